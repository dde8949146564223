package cluster

import (
	"maps"
	"reflect"
	"slices"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// storedRRsets are a zone's RRsets by Key, as the state holds them, in
// shards by a hash of the Key. A state that changes a zone's records
// copies the shards it changes and shares the rest with the state
// before: one RRset changed in a zone of a million copies a few hundred,
// not a million (0.7 s). The records of a generation stored in buckets
// (zones.go) keep one shard a bucket, so a bucket the watch delivers
// replaces its shard whole.
type storedRRsets struct {
	shards []map[string]storedRRset
	// borrowed has bit i set while shards[i] is shared with another
	// state's records, which must not see a change.
	borrowed []uint64
	n        int
	// bucketed says the shards are the buckets of the generation they
	// were read from: a change can be written bucket by bucket.
	bucketed bool
}

// defaultShards is how many shards RRsets not read from buckets are kept
// in (records made in memory, or stored one RRset a key by an earlier
// gtmd).
const defaultShards = 64

// newStoredRRsets returns empty records of n shards (a power of two).
func newStoredRRsets(n int, bucketed bool) *storedRRsets {
	return &storedRRsets{shards: make([]map[string]storedRRset, n), borrowed: make([]uint64, (n+63)/64), bucketed: bucketed}
}

// keyHash is the hash of key k that picks its shard and bucket: FNV-1a,
// which needs no seed, so every node and every writer agree.
func keyHash(k string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h ^= uint32(k[i])
		h *= 16777619
	}
	return h
}

// bucketOf is the bucket (or shard) of key k among n, a power of two.
func bucketOf(k string, n int) int { return int(keyHash(k) & uint32(n-1)) }

func (s *storedRRsets) shardOf(k string) int { return bucketOf(k, len(s.shards)) }

func (s *storedRRsets) get(k string) (storedRRset, bool) {
	if s == nil {
		return storedRRset{}, false
	}
	r, ok := s.shards[s.shardOf(k)][k]
	return r, ok
}

func (s *storedRRsets) len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// borrow returns a copy of s that shares its shards until it changes
// them.
func (s *storedRRsets) borrow() *storedRRsets {
	c := *s
	c.shards = slices.Clone(s.shards)
	c.borrowed = make([]uint64, len(s.borrowed))
	for i := range c.borrowed {
		c.borrowed[i] = ^uint64(0)
	}
	return &c
}

func (s *storedRRsets) isBorrowed(i int) bool { return s.borrowed[i/64]&(1<<(i%64)) != 0 }
func (s *storedRRsets) own(i int)             { s.borrowed[i/64] &^= 1 << (i % 64) }

// writable returns the shard of k for writing, copied first when it is
// borrowed.
func (s *storedRRsets) writable(k string) map[string]storedRRset {
	i := s.shardOf(k)
	if s.isBorrowed(i) {
		s.shards[i] = maps.Clone(s.shards[i])
		s.own(i)
	}
	if s.shards[i] == nil {
		s.shards[i] = map[string]storedRRset{}
	}
	return s.shards[i]
}

func (s *storedRRsets) put(k string, r storedRRset) {
	m := s.writable(k)
	if _, ok := m[k]; !ok {
		s.n++
	}
	m[k] = r
}

func (s *storedRRsets) del(k string) {
	if _, ok := s.get(k); !ok {
		return
	}
	delete(s.writable(k), k)
	s.n--
}

// forKey returns the records that take in key k of their generation:
// s, or records in k's layout when s is empty, or (mixed) s held RRset
// by RRset when k is of another layout than s's buckets.
func (s *storedRRsets) forKey(k zoneKey) (_ *storedRRsets, mixed bool) {
	switch {
	case (k.buckets > 0) == s.bucketed && (k.buckets == 0 || len(s.shards) == k.buckets):
		return s, false
	case s.len() == 0:
		return newRecordsFor(k), false
	case s.bucketed:
		return s.unbucketed(), true
	}
	return s, false
}

// unbucketed returns a copy of s in defaultShards, not bucketed.
func (s *storedRRsets) unbucketed() *storedRRsets {
	c := newStoredRRsets(defaultShards, false)
	for k, r := range s.all {
		c.put(k, r)
	}
	return c
}

// takeBucket makes the decoded RRsets of bucket i s's: its shard whole,
// or, held RRset by RRset (not bucketed), each put, those the bucket no
// longer holds left for the zone's next change. stored makes each
// RRset's value from the one s held under its key, if any.
func (s *storedRRsets) takeBucket(i int, decoded map[string]RRset, stored func(key string, r RRset, old storedRRset, held bool) storedRRset) {
	if !s.bucketed {
		for key, r := range decoded {
			old, held := s.get(key)
			s.put(key, stored(key, r, old, held))
		}
		return
	}
	old := s.shards[i]
	m := make(map[string]storedRRset, len(decoded))
	for key, r := range decoded {
		o, held := old[key]
		m[key] = stored(key, r, o, held)
	}
	s.setShard(i, m)
}

// setShard makes m (nil: nothing) shard i whole: a bucket as stored.
func (s *storedRRsets) setShard(i int, m map[string]storedRRset) {
	s.n += len(m) - len(s.shards[i])
	s.shards[i] = m
	s.own(i)
}

// all yields each RRset with its Key, in no particular order.
func (s *storedRRsets) all(yield func(string, storedRRset) bool) {
	if s == nil {
		return
	}
	for _, m := range s.shards {
		for k, r := range m {
			if !yield(k, r) {
				return
			}
		}
	}
}

// storedRRset is an RRset as a zone's records hold it. Its owner and type
// are its Key in the map, and its source a byte: a zone of a million
// RRsets holds 40 bytes a slot instead of RRset's 104, since a map of a
// million entries keeps about two million slots. Its data are kept only
// when its parsed records do not give them back as written (config.RData):
// most records are written as miekg/dns writes them, and their text is
// made again when asked for rather than held beside them.
type storedRRset struct {
	ttl    uint32
	source sourceCode
	rrs    []dns.RR
	data   *[]string
}

// dataOf is s's data as written.
func (s storedRRset) dataOf() []string {
	if s.data != nil {
		return *s.data
	}
	out := make([]string, len(s.rrs))
	for i, rr := range s.rrs {
		out[i] = config.RData(rr)
	}
	return out
}

// givesBack reports whether rrs, parsed from data, give each back as
// written: the data need not be kept.
func givesBack(rrs []dns.RR, data []string) bool {
	if len(rrs) == 0 || len(rrs) != len(data) {
		return false
	}
	for i, rr := range rrs {
		if config.RData(rr) != data[i] {
			return false
		}
	}
	return true
}

// sourceCode is an RRset's Source as a byte.
type sourceCode uint8

const (
	sourceUnset sourceCode = iota
	sourceDocument
	sourceData
)

func codeOf(source string) sourceCode {
	switch source {
	case SourceDocument:
		return sourceDocument
	case SourceData:
		return sourceData
	}
	return sourceUnset
}

func (c sourceCode) String() string {
	switch c {
	case sourceDocument:
		return SourceDocument
	case sourceData:
		return SourceData
	}
	return ""
}

// stored is r as a zone's records hold it.
func (r RRset) stored() storedRRset {
	s := storedRRset{ttl: r.TTL, source: codeOf(r.Source), rrs: r.rrs}
	if !givesBack(r.rrs, r.Data) {
		data := r.Data
		s.data = &data
	}
	return s
}

// rrset is s as the RRset of Key key; its owner and type are parts of
// key, not copies.
func (s storedRRset) rrset(key string) RRset {
	name, typ := splitKey(key)
	return RRset{Name: name, Type: typ, TTL: s.ttl, Data: s.dataOf(), Source: s.source.String(), rrs: s.rrs}
}

// changed returns the keys whose RRsets differ between s and prev (nil:
// none), looking only in the shards the two do not share; false when
// there are more than limit.
func (s *storedRRsets) changed(prev *storedRRsets, limit int) ([]string, bool) {
	if s == nil {
		s = newStoredRRsets(1, false)
	}
	if prev == nil {
		prev = newStoredRRsets(len(s.shards), false)
	}
	var keys []string
	add := func(k string) bool {
		keys = append(keys, k)
		return len(keys) <= limit
	}
	if len(s.shards) != len(prev.shards) {
		// Shards of two layouts hold different keys: each RRset is
		// looked up in the other.
		for k, r := range s.all {
			if o, ok := prev.get(k); (!ok || !o.same(r)) && !add(k) {
				return nil, false
			}
		}
		for k := range prev.all {
			if _, ok := s.get(k); !ok && !add(k) {
				return nil, false
			}
		}
		return keys, true
	}
	for i := range s.shards {
		now, was := s.shards[i], prev.shards[i]
		if oneMap(now, was) {
			continue
		}
		for k, r := range now {
			if o, ok := was[k]; (!ok || !o.same(r)) && !add(k) {
				return nil, false
			}
		}
		for k := range was {
			if _, ok := now[k]; !ok && !add(k) {
				return nil, false
			}
		}
	}
	return keys, true
}

// oneMap reports whether a and b are one map (both nil included): a
// shard two records share holds the same RRsets in both.
func oneMap(a, b map[string]storedRRset) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// same reports whether s and o hold the same records.
func (s storedRRset) same(o storedRRset) bool {
	if s.ttl != o.ttl || s.source != o.source {
		return false
	}
	if s.data == nil && o.data == nil && len(s.rrs) == len(o.rrs) && (len(s.rrs) == 0 || &s.rrs[0] == &o.rrs[0]) {
		// One parse, shared: an RRset a change left alone.
		return true
	}
	return slices.Equal(s.dataOf(), o.dataOf())
}
