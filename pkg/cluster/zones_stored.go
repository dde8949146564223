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
// before: one RRset changed in a zone of a million copies 15,000, not a
// million (0.7 s).
type storedRRsets struct {
	shards [rrsetShards]map[string]storedRRset
	// borrowed has bit i set while shards[i] is shared with another
	// state's records, which must not see a change.
	borrowed uint64
	n        int
}

// rrsetShards is how many shards a zone's RRsets are kept in: at most
// 64, the bits of storedRRsets.borrowed.
const rrsetShards = 64

func newStoredRRsets() *storedRRsets { return &storedRRsets{} }

// shardOf is the shard of key k: FNV-1a, which needs no seed.
func shardOf(k string) int {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h ^= uint32(k[i])
		h *= 16777619
	}
	return int(h % rrsetShards)
}

func (s *storedRRsets) get(k string) (storedRRset, bool) {
	if s == nil {
		return storedRRset{}, false
	}
	r, ok := s.shards[shardOf(k)][k]
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
	c.borrowed = ^uint64(0)
	return &c
}

// writable returns the shard of k for writing, copied first when it is
// borrowed.
func (s *storedRRsets) writable(k string) map[string]storedRRset {
	i := shardOf(k)
	if s.borrowed&(1<<i) != 0 {
		s.shards[i] = maps.Clone(s.shards[i])
		s.borrowed &^= 1 << i
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
		s = &storedRRsets{}
	}
	if prev == nil {
		prev = &storedRRsets{}
	}
	var keys []string
	for i := range s.shards {
		now, was := s.shards[i], prev.shards[i]
		if oneMap(now, was) {
			continue
		}
		for k, r := range now {
			if o, ok := was[k]; !ok || !o.same(r) {
				if keys = append(keys, k); len(keys) > limit {
					return nil, false
				}
			}
		}
		for k := range was {
			if _, ok := now[k]; !ok {
				if keys = append(keys, k); len(keys) > limit {
					return nil, false
				}
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
