package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/health"
)

// watchLoop keeps the state current: a full read at revision R, then a
// watch from R+1; when the watch breaks (compaction, lost leader, lost
// connection) it reads everything again, after a growing, jittered pause.
func (s *Store) watchLoop() {
	defer s.wg.Done()
	for attempt := 0; ; attempt++ {
		rev, err := s.resync()
		if err == nil {
			attempt = 0
			err = s.watch(rev)
		}
		if s.isClosing(err) {
			return
		}
		s.log.Debug("cluster watch interrupted; reading the store again", "err", err)
		if !s.backoff(attempt) {
			return
		}
	}
}

// resync reads every key of the prefix into a new state, ReadPage keys
// at a time, all at the revision of the first read: a zone of a million
// records read in one response took 150 MB at once, and longer than a
// store call may take.
func (s *Store) resync() (int64, error) {
	st := newState()
	s.pending = pendingGens{}
	// A stored document that cannot be read keeps the one served before,
	// as applyPut does on a watched change; none stored means none.
	prev := s.State()
	// A zone whose head is as before is the same records: they are kept,
	// not read into a second copy (a million records, which the node
	// would hold twice until the zone next changed).
	s.resyncFrom, s.reused = prev.Zones, map[string]string{}
	defer func() { s.resyncFrom, s.reused = nil, nil }()
	st.Traffic, st.TrafficRevision = prev.Traffic, prev.TrafficRevision
	trafficKey := s.keys.traffic()
	stored := false
	// Each read within a store call's time.
	perRead := func() (context.Context, context.CancelFunc) { return context.WithTimeout(s.ctx, 5*time.Second) }
	rev, err := s.readPages(perRead, s.keys.prefix, 0, func(kv *mvccpb.KeyValue) error {
		stored = stored || string(kv.Key) == trafficKey
		s.applyPut(st, kv)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", s.keys.prefix, err)
	}
	if !stored {
		st.Traffic, st.TrafficRevision = nil, 0
	}
	st.Revision = rev
	// A state read whole starts a new log (ChangesSince): what it
	// changed is everything.
	st.changes = nil
	st.settleZones()
	s.publish(st)
	return st.Revision, nil
}

// watch applies changes from rev+1 until the watch ends.
func (s *Store) watch(rev int64) error {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(s.ctx))
	defer cancel()
	wch := s.client.Watch(ctx, s.keys.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithProgressNotify())
	for wr := range wch {
		if err := wr.Err(); err != nil {
			return err
		}
		if wr.IsProgressNotify() || len(wr.Events) == 0 || s.onlyAudit(wr.Events) {
			continue
		}
		st := s.State().clone()
		for _, ev := range wr.Events {
			if ev.Type == mvccpb.DELETE {
				s.applyDelete(st, string(ev.Kv.Key))
			} else {
				s.applyPut(st, ev.Kv)
			}
		}
		st.Revision = wr.Header.Revision
		st.settleZones()
		st.owned = nil
		s.publish(st)
	}
	return errors.New("watch channel closed")
}

// DefaultReadPage is Options.ReadPage's default. Not fewer: etcd counts
// every key left in the range at each read (the response's Count), so
// pages of 10,000 made reading a million keys take a hundred such counts.
const DefaultReadPage = 100_000

// onlyAudit reports whether every event is of the audit trail, which
// the state does not hold: an operator's change writes its entry right
// after it, and the nodes need not take in a state that did not change.
func (s *Store) onlyAudit(evs []*clientv3.Event) bool {
	dir := s.keys.auditDir()
	for _, ev := range evs {
		if !strings.HasPrefix(string(ev.Kv.Key), dir) {
			return false
		}
	}
	return true
}

// publish makes st the current state and hands it on.
func (s *Store) publish(st *State) {
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
	s.metrics.members.Set(float64(len(st.Members)))
	var rejected *RejectedDocumentError
	if errors.As(st.TrafficError, &rejected) {
		s.metrics.rejectedRevision.Set(float64(rejected.Revision))
	} else {
		s.metrics.rejectedRevision.Set(0)
	}
	s.report(func(u *Update) { u.State = st })
}

// applyPut records one key's value in st. A value that cannot be read is
// logged and left out; a traffic document that cannot be read keeps the
// previous one, so a bad write changes no answer.
func (s *Store) applyPut(st *State, kv *mvccpb.KeyValue) {
	key := string(kv.Key)
	dir, rest, ok := s.keys.split(key)
	if !ok {
		return
	}
	var err error
	switch dir {
	case keyTraffic:
		s.applyTraffic(st, kv)
	case dirMembers:
		var m Member
		if err = json.Unmarshal(kv.Value, &m); err == nil {
			st.Members[rest] = m
			st.Written[rest] = max(st.Written[rest], kv.ModRevision)
			st.record(Change{Kind: ChangeMember, Node: rest})
		}
	case dirObservations:
		node, check, ok := strings.Cut(rest, "/")
		var o health.Observation
		if err = json.Unmarshal(kv.Value, &o); err == nil && ok {
			st.observationsOf(node)[check] = o
			st.Written[node] = max(st.Written[node], kv.ModRevision)
			st.record(Change{Kind: ChangeObservation, Node: node, Check: check})
		}
	case dirOverrides:
		svc, ep, ok := strings.Cut(rest, "/")
		var o health.Override
		if err = json.Unmarshal(kv.Value, &o); err == nil && ok {
			st.overridesForWrite()[health.EndpointKey{Service: svc, Endpoint: ep}] = o
			st.record(Change{Kind: ChangeOverride, Endpoint: health.EndpointKey{Service: svc, Endpoint: ep}})
		}
	case dirRegions:
		var o health.Override
		if err = json.Unmarshal(kv.Value, &o); err == nil {
			st.regionsForWrite()[rest] = o
			st.record(Change{Kind: ChangeRegionOverride, Region: rest})
		}
	case dirExternal:
		var e health.External
		if err = json.Unmarshal(kv.Value, &e); err == nil {
			st.externalForWrite()[rest] = e
			st.record(Change{Kind: ChangeExternal, Check: rest})
		}
	case dirDetails:
		// Kept as stored: decoded only when asked for (State.Details).
		// A node that writes counts again after an outage (Written):
		// followers recount it as for its member entry.
		st.details[rest] = kv.Value
		st.Written[rest] = max(st.Written[rest], kv.ModRevision)
		st.record(Change{Kind: ChangeMember, Node: rest})
	case dirDNSSEC:
		// Opaque here: pkg/dnssec reads (and unseals) them.
		st.keySetsForWrite()[rest] = StoredKeySet{Zone: rest, Value: kv.Value, Revision: kv.ModRevision}
		st.record(Change{Kind: ChangeKeySet, Zone: rest})
	case dirZones:
		err = s.applyZonePut(st, rest, kv)
	}
	if err != nil {
		s.log.Warn("unreadable value in the cluster store", "key", key, "err", err)
	}
}

// applyTraffic reads a stored traffic document into st. One that cannot
// be read (invalid, or past the parsing limits, which decide in
// milliseconds) leaves st's document as it was and is recorded as a
// *RejectedDocumentError; it is logged once per revision, as a resync
// reads it again.
func (s *Store) applyTraffic(st *State, kv *mvccpb.KeyValue) {
	t, rej := parseStored(kv)
	if rej == nil {
		st.Traffic, st.TrafficRevision, st.TrafficError = t, kv.ModRevision, nil
		return
	}
	st.TrafficError = rej
	s.metrics.documentRejected.Inc()
	var prev *RejectedDocumentError
	if cur := s.State(); cur != nil && errors.As(cur.TrafficError, &prev) && prev.Revision == kv.ModRevision {
		return
	}
	s.log.Error("stored traffic document refused; still serving the previous one", "key", string(kv.Key), "revision", kv.ModRevision, "bytes", len(kv.Value), "err", rej.Err)
}

// applyDelete removes one key from st.
func (s *Store) applyDelete(st *State, key string) {
	dir, rest, ok := s.keys.split(key)
	if !ok {
		return
	}
	switch dir {
	case keyTraffic:
		st.Traffic, st.TrafficRevision, st.TrafficError = nil, 0, nil
	case dirMembers:
		delete(st.Members, rest)
		delete(st.Written, rest)
		st.record(Change{Kind: ChangeMember, Node: rest})
	case dirObservations:
		node, check, _ := strings.Cut(rest, "/")
		if _, ok := st.Observations[node][check]; ok {
			obs := st.observationsOf(node)
			delete(obs, check)
			if len(obs) == 0 {
				delete(st.Observations, node)
			}
			st.record(Change{Kind: ChangeObservation, Node: node, Check: check})
		}
	case dirOverrides:
		svc, ep, _ := strings.Cut(rest, "/")
		delete(st.overridesForWrite(), health.EndpointKey{Service: svc, Endpoint: ep})
		st.record(Change{Kind: ChangeOverride, Endpoint: health.EndpointKey{Service: svc, Endpoint: ep}})
	case dirRegions:
		delete(st.regionsForWrite(), rest)
		st.record(Change{Kind: ChangeRegionOverride, Region: rest})
	case dirExternal:
		delete(st.externalForWrite(), rest)
		st.record(Change{Kind: ChangeExternal, Check: rest})
	case dirDetails:
		delete(st.details, rest)
	case dirDNSSEC:
		// gtmd never deletes a key set; an operator may, by hand.
		delete(st.keySetsForWrite(), rest)
		st.record(Change{Kind: ChangeKeySet, Zone: rest})
	case dirZones:
		s.applyZoneDelete(st, rest)
	}
}
