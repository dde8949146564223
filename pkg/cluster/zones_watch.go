package cluster

import (
	"encoding/json"
	"maps"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
)

// pendingGens holds the RRsets of generations no head names yet (a
// large replacement being written), by zone then generation. Only the
// watch goroutine touches it: nothing is served from it until the head
// flips to one of them, when its records move into the state whole.
type pendingGens map[string]map[string]*storedRRsets

// gen returns a pending generation's records for k's key: in k's buckets,
// or in defaultShards for a key of one RRset.
func (p pendingGens) gen(k zoneKey) *storedRRsets {
	byGen := p[k.zone]
	if byGen == nil {
		byGen = map[string]*storedRRsets{}
		p[k.zone] = byGen
	}
	sets := byGen[k.gen]
	if sets == nil {
		sets = newRecordsFor(k)
		byGen[k.gen] = sets
	}
	return sets
}

// newRecordsFor returns empty records in the layout of k's generation.
func newRecordsFor(k zoneKey) *storedRRsets {
	if k.buckets > 0 {
		return newStoredRRsets(k.buckets, true)
	}
	return newStoredRRsets(defaultShards, false)
}

// take removes and returns a pending generation (empty when none was
// written: a generation of no RRsets has no keys).
func (p pendingGens) take(zone, gen string) *storedRRsets {
	sets := p[zone][gen]
	delete(p[zone], gen)
	if len(p[zone]) == 0 {
		delete(p, zone)
	}
	if sets == nil {
		sets = newStoredRRsets(defaultShards, false)
	}
	return sets
}

// ServedRevision is the revision of the latest change to what the
// document's zones serve: the document itself or any of its zones'
// records; the largest of the zones' serials (ZoneSerial).
func (s *State) ServedRevision() int64 {
	rev := s.TrafficRevision
	if s.Traffic == nil {
		return rev
	}
	for i := range s.Traffic.Zones {
		if z := s.Zones[ZoneName(s.Traffic.Zones[i].Name)]; z != nil {
			rev = max(rev, z.Revision)
		}
	}
	return rev
}

// ZoneSerial is a zone's SOA serial: the revision of the latest change
// to the document or to the zone's records. A change to one zone's
// records leaves the others' serials.
func (s *State) ZoneSerial(zone string) int64 {
	rev := s.TrafficRevision
	if z := s.Zones[ZoneName(zone)]; z != nil {
		rev = max(rev, z.Revision)
	}
	return rev
}

// ZoneSerials are the serials of the document's zones, by name (lower
// case, fully qualified).
func (s *State) ZoneSerials() map[string]uint32 {
	if s.Traffic == nil {
		return nil
	}
	out := make(map[string]uint32, len(s.Traffic.Zones))
	for _, z := range s.Traffic.Zones {
		out[ZoneName(z.Name)] = uint32(s.ZoneSerial(z.Name))
	}
	return out
}

// zonesForWrite returns the zones' map for writing, copying it first when
// the state shares it with the one before.
func (s *State) zonesForWrite() map[string]*ZoneRecords {
	if s.owned != nil && !s.owned.zoneMap {
		s.Zones = maps.Clone(s.Zones)
		s.owned.zoneMap = true
	}
	return s.Zones
}

// zoneForWrite returns zone's records for writing, copying them first
// when the state shares them with the one before.
func (s *State) zoneForWrite(zone string) *ZoneRecords {
	zones := s.zonesForWrite()
	z := zones[zone]
	if z == nil {
		z = &ZoneRecords{sets: newStoredRRsets(1, false)}
		zones[zone] = z
		if s.owned != nil {
			s.owned.zones[zone] = true
		}
		return z
	}
	if s.owned != nil && !s.owned.zones[zone] {
		// A new ZoneRecords: its largest TTL is worked out anew.
		z = &ZoneRecords{Revision: z.Revision, Gen: z.Gen, sets: z.sets.borrow()}
		zones[zone] = z
		s.owned.zones[zone] = true
	}
	return z
}

// settleZones settles the records of the zones st's batch wrote (of
// every zone, in a state read whole) before st is handed out: its
// readers share it, and it never changes after. A pending generation
// is settled once a head makes it a zone's.
func (s *State) settleZones() {
	if s.owned == nil {
		for _, z := range s.Zones {
			z.sets.settle()
		}
		return
	}
	for zone := range s.owned.zones {
		if z := s.Zones[zone]; z != nil {
			z.sets.settle()
		}
	}
}

// flipZone makes gen the zone's generation, as its head at revision rev
// says; a generation other than the one served comes whole from the
// pending ones, without copying the one served.
func (s *State) flipZone(zone, gen string, rev int64, pending pendingGens) {
	if cur := s.Zones[zone]; cur != nil && cur.Gen == gen {
		z := s.zoneForWrite(zone)
		z.Revision = rev
		return
	}
	s.zonesForWrite()[zone] = &ZoneRecords{Revision: rev, Gen: gen, sets: pending.take(zone, gen)}
	if s.owned != nil {
		s.owned.zones[zone] = true
	}
}

// applyZonePut records one key below zones/ in st.
func (s *Store) applyZonePut(st *State, rest string, kv *mvccpb.KeyValue) error {
	k, ok := parseZoneKey(rest)
	if !ok {
		return nil
	}
	if k.head {
		var h zoneHead
		if err := json.Unmarshal(kv.Value, &h); err != nil {
			return err
		}
		if z := s.resyncFrom[k.zone]; s.reused != nil && z != nil && z.Gen == h.Gen && z.Revision == kv.ModRevision {
			// A resync, and every change writes the head: unchanged.
			st.zonesForWrite()[k.zone] = z
			s.reused[k.zone] = h.Gen
			return nil
		}
		st.flipZone(k.zone, h.Gen, kv.ModRevision, s.pending)
		return nil
	}
	if gen, ok := s.reused[k.zone]; ok && gen == k.gen {
		// Held already: the head, read first, said so.
		return nil
	}
	if k.buckets > 0 {
		return s.applyBucket(st, k, kv.Value)
	}
	// The Key alone is kept, not the whole etcd key it is part of (its
	// prefix, zone and generation): 50 bytes an RRset.
	set := strings.Clone(k.set)
	r, err := decodeRRset(set, kv.Value)
	if err != nil {
		return err
	}
	s.genRecords(st, k).put(set, r.parsed(k.zone).stored())
	return nil
}

// genRecords returns the records of k's generation for writing: the
// zone's served ones or a pending generation's. A generation empty so
// far takes the layout of k. One whose keys mix both layouts (an earlier
// gtmd wrote into a generation in buckets) is held RRset by RRset and no
// longer bucketed, so that the next change writes the zone again whole.
func (s *Store) genRecords(st *State, k zoneKey) *storedRRsets {
	cur := st.Zones[k.zone]
	served := cur != nil && cur.Gen == k.gen
	var sets *storedRRsets
	if served {
		sets = st.zoneForWrite(k.zone).sets
	} else {
		sets = s.pending.gen(k)
	}
	next, mixed := sets.forKey(k)
	if mixed {
		s.log.Warn("zone records stored in two layouts; the zone's next change writes them again", "zone", k.zone, "generation", k.gen)
	}
	if next == sets {
		return sets
	}
	sets = next
	if served {
		st.Zones[k.zone].sets = sets
	} else {
		s.pending[k.zone][k.gen] = sets
	}
	return sets
}

// applyBucket makes a stored bucket the RRsets of its shard. An RRset
// the shard holds already as stored keeps its parsed records (and the
// snapshot built from them) rather than a parse of its own.
func (s *Store) applyBucket(st *State, k zoneKey, value []byte) error {
	js, err := s.buckets.decode(value)
	if err != nil {
		return err
	}
	decoded, err := decodeBucket(k, js)
	if err != nil {
		return err
	}
	s.genRecords(st, k).takeBucket(k.bucket, decoded, func(key string, r RRset, old storedRRset, held bool) storedRRset {
		if held && old.rrset(key).SameAs(r) {
			return old
		}
		return r.parsed(k.zone).stored()
	})
	return nil
}

// applyZoneDelete removes one key below zones/ from st.
func (s *Store) applyZoneDelete(st *State, rest string) {
	k, ok := parseZoneKey(rest)
	if !ok {
		return
	}
	cur := st.Zones[k.zone]
	switch {
	case k.head:
		if cur != nil {
			delete(st.zonesForWrite(), k.zone)
		}
	case k.buckets > 0:
		// Not genRecords: the deletion of a generation no head names
		// (the flip to another) must not start a pending one.
		served := cur != nil && cur.Gen == k.gen
		sets := s.pending[k.zone][k.gen]
		if served {
			sets = cur.sets
		}
		if sets == nil || !sets.bucketed || len(sets.shards) != k.buckets || sets.shards[k.bucket] == nil {
			return
		}
		if served {
			sets = st.zoneForWrite(k.zone).sets
		}
		sets.setShard(k.bucket, nil)
		s.pending.drop(k.zone, k.gen)
	case cur != nil && cur.Gen == k.gen:
		if _, ok := cur.sets.get(k.set); ok {
			st.zoneForWrite(k.zone).sets.del(k.set)
		}
	default:
		if sets := s.pending[k.zone][k.gen]; sets != nil {
			sets.del(k.set)
			s.pending.drop(k.zone, k.gen)
		}
	}
}

// drop forgets a pending generation once its keys are all deleted (a
// generation written for a change that then failed).
func (p pendingGens) drop(zone, gen string) {
	if sets := p[zone][gen]; sets != nil && sets.len() == 0 {
		p.take(zone, gen)
	}
}
