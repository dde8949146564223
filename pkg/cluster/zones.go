package cluster

import (
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/jsonscan"
	"github.com/gtmd/gtmd/pkg/config"
)

// The zones' static records (those no service manages) are kept apart
// from the traffic document, in buckets of RRsets (owner name and type),
// so a zone holds as many records as etcd's quota allows and a change of
// one RRset writes one bucket of a few hundred:
//
//	<prefix>zones/<zone> head                 {"gen": G}: the zone's current generation
//	<prefix>zones/<zone> rr <G> <i>/<n>       bucket i of the n of generation G
//
// An RRset's bucket is a hash of its Key (bucketOf), and n, a power of
// two, is chosen when a generation is written so that a bucket holds
// about bucketBytes: a million RRsets are a few thousand keys, not a
// million (etcd holds about 200 bytes of index a key in memory, and the
// embedded one's database pages a key's worth more). A bucket's value is
// a JSON object of its RRsets by Key; an empty bucket has no key. An
// earlier gtmd stored one RRset a key, "rr <G> <owner> <TYPE>": those are
// still read, and the zone's next change writes it again in buckets.
//
// Names never hold a raw space (miekg/dns writes it \032), so a space
// separates the parts, and a zone's keys are the range "zones/<zone> ".
// Every change to a zone writes its head in the same transaction, with
// a compare on the head's revision it read: the head's ModRevision is
// the zone's latest change. A change small enough for one transaction
// rewrites the buckets it touches in place; a larger one, or one that
// would grow a bucket past maxBucketBytes, writes a whole new generation
// in chunks that nobody serves yet, then flips the head to it and
// deletes every other generation in one transaction, so readers see the
// old records or the new ones, never a mix. A writer that dies between
// the chunks and the flip leaves keys of a generation no head names: the
// next flip of the zone deletes them.

// MaxTxnOps is how many operations one transaction carries: etcd's
// default --max-txn-ops is 128, and a few are kept for the traffic
// document and the heads that go with them.
const MaxTxnOps = 120

// maxTxnBytes bounds the values of one transaction, below etcd's
// 1.5 MiB request limit.
const maxTxnBytes = 1 << 20

// Sources of a stored RRset.
const (
	// SourceDocument marks an RRset the traffic document states: an
	// apply replaces it and deletes it when the document no longer does.
	SourceDocument = "document"
	// SourceData marks an RRset written by the zones API or an RFC 2136
	// UPDATE: the zone's data, which a document apply leaves alone
	// unless the document states the same owner and type.
	SourceData = "data"
)

// RRset is one owner name and type of a zone's static records.
type RRset struct {
	// Name is the owner, lower case and fully qualified; Type its type's
	// mnemonic (A, TXT, TYPE65534).
	Name string `json:"-"`
	Type string `json:"-"`
	TTL  uint32 `json:"ttl"`
	// Data are the records' RDATA in presentation format; names in them
	// not ending in a dot are relative to the zone.
	Data []string `json:"data"`
	// Source says who wrote it: SourceDocument or SourceData.
	Source string `json:"source"`
	// wire is Data parsed and packed when the watch read it (parsed),
	// shared by every state and snapshot that holds the RRset; "" when
	// it did not parse, or did not pack (config.PackRRset).
	wire config.WireRRset
	// plain says wire gives Data back as written (config.RData), so
	// the store need not keep the text beside it.
	plain bool
}

// Key is the RRset's name within its zone: owner and type.
func (r RRset) Key() string { return rrsetKey(r.Name, r.Type) }

func rrsetKey(owner, typ string) string { return owner + " " + typ }

// splitKey is rrsetKey undone: the type is the key's last word (an
// owner may hold an escaped space), and short, so the search is from
// the end. Owner and type are parts of key, not copies.
func splitKey(k string) (owner, typ string) {
	i := strings.LastIndexByte(k, ' ')
	return k[:i], k[i+1:]
}

// Record is the RRset as the traffic document writes one.
func (r RRset) Record() config.Record {
	ttl := r.TTL
	return config.Record{Name: r.Name, Type: r.Type, TTL: &ttl, Data: r.Data, Wire: r.wire}
}

// parsed returns r with its data parsed as records of zone, for the
// snapshots built from it; data that does not parse is left to them,
// which report it.
func (r RRset) parsed(zone string) RRset {
	// With no TTL of its own, the record takes r's.
	rec := config.Record{Name: r.Name, Type: r.Type, Data: r.Data}
	if p, err := rec.Pack(zone, r.TTL); err == nil {
		r.wire, r.plain = p.Wire, p.AsWritten
	}
	return r
}

// SameAs reports whether r and o store the same value.
func (r RRset) SameAs(o RRset) bool {
	return r.TTL == o.TTL && r.Source == o.Source && slices.Equal(r.Data, o.Data)
}

// ZoneRecords is a zone's static records as of one revision. It is never
// changed once handed out.
type ZoneRecords struct {
	// Revision is the revision of the zone's latest change (its head's
	// ModRevision); 0 when nothing is stored for the zone.
	Revision int64
	// Gen is the generation served.
	Gen string
	// sets are the RRsets by Key.
	sets *storedRRsets
	// largestTTL is LargestTTL plus one, once worked out (0: not yet).
	largestTTL atomic.Uint64
}

// LargestTTL is the largest TTL of z's RRsets (0 for none): signed
// zones' key rollovers wait for it. Worked out once for each z.
func (z *ZoneRecords) LargestTTL() uint32 {
	if z == nil {
		return 0
	}
	if v := z.largestTTL.Load(); v != 0 {
		return uint32(v - 1)
	}
	var ttl uint32
	for _, r := range z.sets.all {
		ttl = max(ttl, r.ttl)
	}
	z.largestTTL.Store(uint64(ttl) + 1)
	return ttl
}

// NewZoneRecords returns records holding sets (each under its Key), at
// revision 0 of no generation: records read from a file, or made in a
// test.
func NewZoneRecords(sets map[string]RRset) *ZoneRecords {
	return zoneRecordsFrom(len(sets), maps.All(sets))
}

// ZoneRecordsOf returns records holding sets (the later of two of one
// Key), as NewZoneRecords does, without a map of them made first: a
// million read from a node's kept copy.
func ZoneRecordsOf(sets []RRset) *ZoneRecords {
	return zoneRecordsFrom(len(sets), func(yield func(string, RRset) bool) {
		for _, r := range sets {
			if !yield(r.Key(), r) {
				return
			}
		}
	})
}

// zoneRecordsFrom returns records holding the n RRsets all yields by
// Key (the later of two of one Key), at revision 0 of no generation.
func zoneRecordsFrom(n int, all iter.Seq2[string, RRset]) *ZoneRecords {
	z := &ZoneRecords{sets: newStoredRRsets(defaultShards, false)}
	z.sets.shards, z.sets.n = shardsOf(defaultShards, n, func(yield func(string, storedRRset) bool) {
		for k, r := range all {
			if !yield(k, r.stored()) {
				return
			}
		}
	})
	return z
}

// Len is how many RRsets z holds; a nil z holds none.
func (z *ZoneRecords) Len() int {
	if z == nil {
		return 0
	}
	return z.sets.len()
}

// All yields z's RRsets in no particular order.
func (z *ZoneRecords) All() iter.Seq[RRset] {
	return func(yield func(RRset) bool) {
		for _, r := range z.byKey() {
			if !yield(r) {
				return
			}
		}
	}
}

// Records yields z's RRsets as a document's records, each with its data
// as the store read it parsed and packed (Record.Wire) and no text, or with its
// text and TTL when it did not parse, in no particular order.
func (z *ZoneRecords) Records() iter.Seq[config.Record] {
	return func(yield func(config.Record) bool) {
		if z == nil {
			return
		}
		for k, s := range z.sets.all {
			name, typ := splitKey(k)
			rec := config.Record{Name: name, Type: typ, Wire: s.wire}
			if rec.Wire == "" {
				// Unparsed data is parsed again, and reported, by
				// whoever reads it: with its TTL. Parsed records need
				// their text made again by no one.
				ttl := s.ttl
				rec.TTL, rec.Data = &ttl, s.dataOf(typ)
			}
			if !yield(rec) {
				return
			}
		}
	}
}

// byKey yields z's RRsets with their Keys, in no particular order.
func (z *ZoneRecords) byKey() iter.Seq2[string, RRset] {
	return func(yield func(string, RRset) bool) {
		if z == nil {
			return
		}
		for k, r := range z.sets.all {
			if !yield(k, r.rrset(k)) {
				return
			}
		}
	}
}

// Sorted returns the RRsets in owner then type order.
func (z *ZoneRecords) Sorted() []RRset {
	if z == nil {
		return nil
	}
	out := slices.Collect(z.All())
	slices.SortFunc(out, func(a, b RRset) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
	return out
}

// Lookup returns the RRset of Key k; a nil z holds none.
func (z *ZoneRecords) Lookup(k string) (RRset, bool) {
	if z == nil {
		return RRset{}, false
	}
	r, ok := z.sets.get(k)
	if !ok {
		return RRset{}, false
	}
	return r.rrset(k), true
}

// RRsetChange is an RRset of a zone as it is after a change.
type RRsetChange struct {
	// Name and Type are the RRset's owner and type, as RRset's.
	Name, Type string
	// RRset is the RRset now, unless Removed.
	RRset   RRset
	Removed bool
}

// ChangedSince returns the RRsets of z that differ from prev's (either
// may be nil: no records), in no particular order, and true; or false
// when there are more than limit. Records a state derives from
// another's share the shards of RRsets that did not change, so between
// those this costs the shards changed, not the zone's size; records read
// apart (a new generation, a resync) share none and cost a look at
// every RRset.
func (z *ZoneRecords) ChangedSince(prev *ZoneRecords, limit int) ([]RRsetChange, bool) {
	var now, was *storedRRsets
	if z != nil {
		now = z.sets
	}
	if prev != nil {
		was = prev.sets
	}
	keys, ok := now.changed(was, limit)
	if !ok {
		return nil, false
	}
	out := make([]RRsetChange, len(keys))
	for i, k := range keys {
		out[i].Name, out[i].Type = splitKey(k)
		if r, ok := z.Lookup(k); ok {
			out[i].RRset = r
		} else {
			out[i].Removed = true
		}
	}
	return out, true
}

// zoneHead is the value of a zone's head key.
type zoneHead struct {
	Gen string `json:"gen"`
}

func (k keys) zoneDir(zone string) string  { return k.prefix + dirZones + zone + " " }
func (k keys) zoneHead(zone string) string { return k.zoneDir(zone) + "head" }
func (k keys) zoneGens(zone string) string { return k.zoneDir(zone) + "rr " }
func (k keys) zoneGen(zone, gen string) string {
	return k.zoneGens(zone) + gen + " "
}
func (k keys) zoneRRset(zone, gen, owner, typ string) string {
	return k.zoneGen(zone, gen) + rrsetKey(owner, typ)
}

func (k keys) zoneBucket(zone, gen string, i, n int) string {
	return k.zoneGen(zone, gen) + strconv.Itoa(i) + "/" + strconv.Itoa(n)
}

// zoneKey is one key below <prefix>zones/, taken apart.
type zoneKey struct {
	zone string
	head bool
	gen  string
	// bucket is the bucket's number among buckets, when buckets > 0.
	bucket, buckets int
	// set is the RRset's Key (owner and type) in the layout of one
	// RRset a key.
	set string
}

// parseZoneKey takes apart the rest of a key below zones/.
func parseZoneKey(rest string) (zoneKey, bool) {
	zone, tail, ok := strings.Cut(rest, " ")
	if !ok || zone == "" {
		return zoneKey{}, false
	}
	if tail == "head" {
		return zoneKey{zone: zone, head: true}, true
	}
	tail, ok = strings.CutPrefix(tail, "rr ")
	if !ok {
		return zoneKey{}, false
	}
	gen, set, ok := strings.Cut(tail, " ")
	if !ok {
		return zoneKey{}, false
	}
	if strings.Contains(set, " ") {
		return zoneKey{zone: zone, gen: gen, set: set}, true
	}
	is, ns, ok := strings.Cut(set, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || n > maxBuckets || n&(n-1) != 0 || i < 0 || i >= n || strconv.Itoa(i) != is || strconv.Itoa(n) != ns {
		// Not a key gtmd writes (01/4 is another key than 1/4).
		return zoneKey{}, false
	}
	return zoneKey{zone: zone, gen: gen, bucket: i, buckets: n}, true
}

// decodeRRset reads a stored RRset value whose Key is set.
func decodeRRset(set string, value []byte) (RRset, error) {
	var r RRset
	if err := json.Unmarshal(value, &r); err != nil {
		return RRset{}, err
	}
	r.Name, r.Type = splitKey(set)
	return r, nil
}

// decodeBucket reads a stored bucket: its RRsets by Key, each of the
// bucket it is stored in.
func decodeBucket(k zoneKey, value []byte) (map[string]RRset, error) {
	sets, ok := scanBucket(value)
	if !ok {
		// Not as bucketJSON writes it: encoding/json says what it is.
		sets = nil
		if err := json.Unmarshal(value, &sets); err != nil {
			return nil, err
		}
	}
	for key, r := range sets {
		if !strings.Contains(key, " ") {
			return nil, fmt.Errorf("%q is not an owner name and a type", key)
		}
		if b := bucketOf(key, k.buckets); b != k.bucket {
			return nil, fmt.Errorf("%q belongs in bucket %d, not %d", key, b, k.bucket)
		}
		r.Name, r.Type = splitKey(key)
		sets[key] = r
	}
	return sets, nil
}

// scanBucket reads a bucket as bucketJSON writes it, without
// encoding/json's reflection (a million RRsets took 1.5 s of a restart
// through it); false when it is not one the scan reads exactly as
// encoding/json would (FuzzBucket).
func scanBucket(b []byte) (map[string]RRset, bool) {
	s := jsonscan.New(b)
	// About 70 bytes an RRset.
	out := make(map[string]RRset, len(b)/70+1)
	ok := s.Members(func(key string) bool {
		var r RRset
		ok := s.Members(func(name string) bool {
			var ok bool
			switch name {
			case "ttl":
				ok = s.Null()
				if !ok {
					r.TTL, ok = s.Uint32()
				}
			case "data":
				r.Data, ok = s.Strings()
			case "source":
				ok = s.Null()
				if !ok {
					r.Source, ok = s.Str()
				}
			}
			return ok
		})
		out[key] = r
		return ok
	})
	return out, ok && s.End()
}

// bucketJSON is a bucket of RRsets by Key as JSON, as it is stored
// before compression (bucketCodec), written by hand, byte for byte as
// encoding/json writes it (keys sorted): through its reflection, a
// million RRsets took a second of a put.
func bucketJSON(sets map[string]RRset) []byte {
	b := make([]byte, 0, 80*len(sets))
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(sets)) {
		r := sets[k]
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonscan.AppendString(b, k)
		b = append(b, `:{"ttl":`...)
		b = strconv.AppendUint(b, uint64(r.TTL), 10)
		b = append(b, `,"data":`...)
		b = jsonscan.AppendStrings(b, r.Data)
		b = append(b, `,"source":`...)
		b = jsonscan.AppendString(b, r.Source)
		b = append(b, '}')
	}
	return append(b, '}')
}

// ZoneName is a zone's name as the store keys it: lower case and fully
// qualified.
func ZoneName(zone string) string { return dns.CanonicalName(zone) }

// DocumentRRsets returns the records a zone of a validated document
// states, as the store keeps them: by Key, each owner lower case and
// absolute, each TTL set, marked SourceDocument.
func DocumentRRsets(z *config.Zone) (map[string]RRset, error) {
	zone := ZoneName(z.Name)
	ttl := z.DefaultTTL()
	out := make(map[string]RRset, len(z.Records))
	for i := range z.Records {
		r := &z.Records[i]
		typ := strings.ToUpper(r.Type)
		if _, known := dns.StringToType[typ]; !known && !strings.HasPrefix(typ, "TYPE") {
			return nil, fmt.Errorf("zone %s: records[%d]: unknown type %q", zone, i, r.Type)
		}
		set := RRset{Name: config.OwnerName(r.Name, zone), Type: typ, TTL: ttl, Data: r.Data, Source: SourceDocument}
		if r.TTL != nil {
			set.TTL = *r.TTL
		}
		if prev, ok := out[set.Key()]; ok {
			// Validation refuses two RRsets of one name and type; a
			// document built in code is merged rather than lost.
			set.Data = append(slices.Clone(prev.Data), set.Data...)
		}
		out[set.Key()] = set
	}
	return out, nil
}
