package cluster

import (
	"iter"
	"slices"
	"strings"

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
	shards []rrShard
	// overlays holds, while the records are built, the changes to
	// shards too large to change in place (overlay); nil once settled,
	// as every state handed out is.
	overlays []*overlay
	// borrowed has bit i set while shards[i] (and overlays[i]) is
	// shared with another state's records, which must not see a change.
	borrowed []uint64
	n        int
	// bucketed says the shards are the buckets of the generation they
	// were read from: a change can be written bucket by bucket.
	bucketed bool
}

// rrShard is one shard of storedRRsets: its RRsets sorted by Key, in a
// slice of exactly their number when built whole. A map held about 122
// bytes an RRset at a million (its slots rounded up to a power of two,
// 56 bytes each); the slice holds the 56, and a lookup is a binary
// search of a bucket's hundred-odd Keys.
type rrShard []shardEntry

// shardEntry is an RRset of a shard under its Key.
type shardEntry struct {
	key string
	set storedRRset
}

// search returns where k is in sh, or would be, and whether it is.
func (sh rrShard) search(k string) (int, bool) {
	lo, hi := 0, len(sh)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sh[m].key < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(sh) && sh[lo].key == k
}

func byKey(a, b shardEntry) int { return strings.Compare(a.key, b.key) }

// sameShard reports whether a and b are one shard (two empty ones
// included): a shard two records share holds the same RRsets in both.
func sameShard(a, b rrShard) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// overlay holds the changes to one shard, too large to change in place,
// of records being built: an insert or a delete in the middle of a
// sorted slice of thousands moves half of it, and a million RRsets put
// one at a time (stored one RRset a key by an earlier gtmd) or deleted
// so would move it a million times. settle merges them into the slice
// once, in O(n log n).
type overlay struct {
	// added are RRsets whose Keys the shard does not hold.
	added map[string]storedRRset
	// removed are Keys the shard holds that are deleted.
	removed map[string]struct{}
}

// inPlaceMax is the size up to which an owned shard is changed in place
// (a bucket holds about 122 RRsets); a larger one, through an overlay.
const inPlaceMax = 256

// defaultShards is how many shards RRsets not read from buckets are kept
// in (records made in memory, or stored one RRset a key by an earlier
// gtmd).
const defaultShards = 64

// newStoredRRsets returns empty records of n shards (a power of two).
func newStoredRRsets(n int, bucketed bool) *storedRRsets {
	return &storedRRsets{shards: make([]rrShard, n), borrowed: make([]uint64, (n+63)/64), bucketed: bucketed}
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

// overlayOf is shard i's overlay, nil when it has none.
func (s *storedRRsets) overlayOf(i int) *overlay {
	if s.overlays == nil {
		return nil
	}
	return s.overlays[i]
}

// overlayFor returns shard i's overlay for writing, made when it has
// none. Shard i is s's own.
func (s *storedRRsets) overlayFor(i int) *overlay {
	if s.overlays == nil {
		s.overlays = make([]*overlay, len(s.shards))
	}
	o := s.overlays[i]
	if o == nil {
		o = &overlay{added: map[string]storedRRset{}, removed: map[string]struct{}{}}
		s.overlays[i] = o
	}
	return o
}

func (s *storedRRsets) get(k string) (storedRRset, bool) {
	if s == nil {
		return storedRRset{}, false
	}
	return s.lookup(s.shardOf(k), k)
}

// lookup is get in shard i.
func (s *storedRRsets) lookup(i int, k string) (storedRRset, bool) {
	sh := s.shards[i]
	j, found := sh.search(k)
	o := s.overlayOf(i)
	switch {
	case o == nil:
	case found:
		if _, gone := o.removed[k]; gone {
			return storedRRset{}, false
		}
	default:
		r, ok := o.added[k]
		return r, ok
	}
	if !found {
		return storedRRset{}, false
	}
	return sh[j].set, true
}

func (s *storedRRsets) len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// shardLen is how many RRsets shard i holds.
func (s *storedRRsets) shardLen(i int) int {
	n := len(s.shards[i])
	if o := s.overlayOf(i); o != nil {
		n += len(o.added) - len(o.removed)
	}
	return n
}

// borrow returns a copy of s that shares its shards until it changes
// them. s must not change after.
func (s *storedRRsets) borrow() *storedRRsets {
	c := *s
	c.shards = slices.Clone(s.shards)
	// Shared as the shards are: c replaces a borrowed shard's overlay
	// with a copy of the shard before it writes.
	c.overlays = slices.Clone(s.overlays)
	c.borrowed = make([]uint64, len(s.borrowed))
	for i := range c.borrowed {
		c.borrowed[i] = ^uint64(0)
	}
	return &c
}

func (s *storedRRsets) isBorrowed(i int) bool { return s.borrowed[i/64]&(1<<(i%64)) != 0 }
func (s *storedRRsets) own(i int)             { s.borrowed[i/64] &^= 1 << (i % 64) }

// fold merges shard i's overlay into a new slice, s's own.
func (s *storedRRsets) fold(i int) {
	s.shards[i] = s.merged(i)
	s.overlays[i] = nil
	s.own(i)
}

// locate returns the shard of Key k, its entries, and where k is in
// them or would be, for a write: a borrowed shard with an overlay is
// folded first, so that no write goes through an overlay it shares.
func (s *storedRRsets) locate(k string) (i int, sh rrShard, j int, found bool) {
	i = s.shardOf(k)
	if s.isBorrowed(i) && s.overlayOf(i) != nil {
		s.fold(i)
	}
	sh = s.shards[i]
	j, found = sh.search(k)
	return i, sh, j, found
}

// put makes r the RRset of Key k: in a copy of k's shard when it is
// borrowed, else in place, or in its overlay when it is large.
func (s *storedRRsets) put(k string, r storedRRset) {
	i, sh, j, found := s.locate(k)
	if s.isBorrowed(i) {
		// A copy with the change, of exactly its size.
		if found {
			c := slices.Clone(sh)
			c[j].set = r
			s.shards[i] = c
		} else {
			c := make(rrShard, 0, len(sh)+1)
			c = append(append(append(c, sh[:j]...), shardEntry{key: k, set: r}), sh[j:]...)
			s.shards[i] = c
			s.n++
		}
		s.own(i)
		return
	}
	o := s.overlayOf(i)
	switch {
	case found:
		sh[j].set = r
		if o != nil {
			if _, gone := o.removed[k]; gone {
				delete(o.removed, k)
				s.n++
			}
		}
	case o == nil && len(sh) < inPlaceMax:
		s.shards[i] = slices.Insert(sh, j, shardEntry{key: k, set: r})
		s.n++
	default:
		o = s.overlayFor(i)
		if _, ok := o.added[k]; !ok {
			s.n++
		}
		o.added[k] = r
	}
}

// del removes the RRset of Key k, as put changes it.
func (s *storedRRsets) del(k string) {
	if _, ok := s.get(k); !ok {
		return
	}
	s.n--
	i, sh, j, found := s.locate(k)
	if s.isBorrowed(i) {
		// Held, and with no overlay: in the shard.
		c := make(rrShard, 0, len(sh)-1)
		s.shards[i] = append(append(c, sh[:j]...), sh[j+1:]...)
		s.own(i)
		return
	}
	o := s.overlayOf(i)
	switch {
	case !found:
		delete(o.added, k)
	case o == nil && len(sh) <= inPlaceMax:
		s.shards[i] = slices.Delete(sh, j, j+1)
	default:
		s.overlayFor(i).removed[k] = struct{}{}
	}
}

// merged returns shard i with its overlay merged in: a new slice of
// exactly its RRsets.
func (s *storedRRsets) merged(i int) rrShard {
	sh, o := s.shards[i], s.overlays[i]
	added := make(rrShard, 0, len(o.added))
	for k, r := range o.added {
		added = append(added, shardEntry{key: k, set: r})
	}
	slices.SortFunc(added, byKey)
	out := make(rrShard, 0, len(sh)+len(added)-len(o.removed))
	a := 0
	for _, e := range sh {
		if len(o.removed) > 0 {
			if _, gone := o.removed[e.key]; gone {
				continue
			}
		}
		for a < len(added) && added[a].key < e.key {
			out = append(out, added[a])
			a++
		}
		out = append(out, e)
	}
	return append(out, added[a:]...)
}

// settle merges every overlay into its shard, so that a state handed
// out holds its RRsets in sorted slices alone. Records without overlays
// (those handed out already) are left as they are, unwritten.
func (s *storedRRsets) settle() {
	if s == nil || s.overlays == nil {
		return
	}
	for i, o := range s.overlays {
		if o != nil {
			s.fold(i)
		}
	}
	s.overlays = nil
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
	c.shards, c.n = shardsOf(defaultShards, s.len(), s.all)
	return c
}

// shardsOf returns the RRsets all yields (the later of two of one Key)
// in n shards, and how many they are. Each shard is filled, then sorted
// once and copied to a slice of exactly its size: kept sorted as it
// filled, it would move half its entries at each insert.
func shardsOf(n, hint int, all iter.Seq2[string, storedRRset]) ([]rrShard, int) {
	// Each entry with its place in all, which orders two of one Key.
	type placed struct {
		shardEntry
		seq int
	}
	filling := make([][]placed, n)
	if hint >= 8*n {
		// Room for all at once; fewer grow their shards as they fill.
		for i := range filling {
			filling[i] = make([]placed, 0, hint/n+hint/(4*n))
		}
	}
	seq := 0
	for k, r := range all {
		i := bucketOf(k, n)
		filling[i] = append(filling[i], placed{shardEntry{key: k, set: r}, seq})
		seq++
	}
	shards := make([]rrShard, n)
	total := 0
	for i, f := range filling {
		if len(f) == 0 {
			continue
		}
		slices.SortFunc(f, func(a, b placed) int {
			if c := strings.Compare(a.key, b.key); c != 0 {
				return c
			}
			return a.seq - b.seq
		})
		keys := 0
		for j := range f {
			if j+1 == len(f) || f[j+1].key != f[j].key {
				keys++
			}
		}
		sh := make(rrShard, 0, keys)
		for j := range f {
			if j+1 == len(f) || f[j+1].key != f[j].key {
				sh = append(sh, f[j].shardEntry)
			}
		}
		shards[i] = sh
		filling[i] = nil
		total += len(sh)
	}
	return shards, total
}

// takeBucket makes the decoded RRsets of bucket i s's: its shard whole,
// or, held RRset by RRset (not bucketed), each put, those the bucket no
// longer holds left for the zone's next change. stored makes each
// RRset's value from the one s held under its key, if any.
func (s *storedRRsets) takeBucket(i int, decoded map[string]RRset, stored func(key string, r RRset, old storedRRset, held bool) storedRRset) {
	if !s.bucketed {
		// Into overlays where the shards are large: settle sorts them
		// in once the records are read.
		for key, r := range decoded {
			old, held := s.get(key)
			s.put(key, stored(key, r, old, held))
		}
		return
	}
	sh := make(rrShard, 0, len(decoded))
	for key, r := range decoded {
		o, held := s.lookup(i, key)
		sh = append(sh, shardEntry{key: key, set: stored(key, r, o, held)})
	}
	slices.SortFunc(sh, byKey)
	s.setShard(i, sh)
}

// setShard makes sh (sorted by Key, each once; nil: nothing) shard i
// whole: a bucket as stored.
func (s *storedRRsets) setShard(i int, sh rrShard) {
	s.n += len(sh) - s.shardLen(i)
	s.shards[i] = sh
	if s.overlays != nil {
		s.overlays[i] = nil
	}
	s.own(i)
}

// all yields each RRset with its Key, in no particular order.
func (s *storedRRsets) all(yield func(string, storedRRset) bool) {
	if s == nil {
		return
	}
	for i := range s.shards {
		if !s.each(i, yield) {
			return
		}
	}
}

// inShard yields the RRsets of shard i with their Keys, in no particular
// order.
func (s *storedRRsets) inShard(i int) iter.Seq2[string, storedRRset] {
	return func(yield func(string, storedRRset) bool) { s.each(i, yield) }
}

// each calls yield for each RRset of shard i until it returns false;
// false when it did.
func (s *storedRRsets) each(i int, yield func(string, storedRRset) bool) bool {
	o := s.overlayOf(i)
	for _, e := range s.shards[i] {
		if o != nil {
			if _, gone := o.removed[e.key]; gone {
				continue
			}
		}
		if !yield(e.key, e.set) {
			return false
		}
	}
	if o != nil {
		for k, r := range o.added {
			if !yield(k, r) {
				return false
			}
		}
	}
	return true
}

// storedRRset is an RRset as a zone's records hold it. Its owner and type
// are its Key in its shard, its source a byte and its records packed
// (config.WireRRset): 32 bytes and the records' few, held a million
// times in a zone of a million RRsets. Its data are kept only when its
// records do not give them back as written (config.RData): most records
// are written as miekg/dns writes them, and their text is made again
// when asked for rather than held beside them.
type storedRRset struct {
	ttl    uint32
	source sourceCode
	wire   config.WireRRset
	data   *[]string
}

// dataOf is s's data as written; typ is its type's mnemonic.
func (s storedRRset) dataOf(typ string) []string {
	if s.data != nil {
		return *s.data
	}
	rrtype, _ := config.ParseType(typ)
	// The owner is not part of the data.
	rrs, err := s.wire.RRs(".", rrtype)
	if err != nil {
		// Not reached: the store packed wire itself (RRset.parsed),
		// and config.PackRRset packs only what unpacks.
		return nil
	}
	out := make([]string, len(rrs))
	for i, rr := range rrs {
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
	s := storedRRset{ttl: r.TTL, source: codeOf(r.Source), wire: r.wire}
	if r.wire == "" || !r.plain {
		data := r.Data
		s.data = &data
	}
	return s
}

// rrset is s as the RRset of Key key; its owner and type are parts of
// key, not copies.
func (s storedRRset) rrset(key string) RRset {
	name, typ := splitKey(key)
	return RRset{Name: name, Type: typ, TTL: s.ttl, Data: s.dataOf(typ), Source: s.source.String(), wire: s.wire, plain: s.data == nil}
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
			if o, ok := prev.get(k); (!ok || !o.same(r, k)) && !add(k) {
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
		if sameShard(s.shards[i], prev.shards[i]) && s.overlayOf(i) == prev.overlayOf(i) {
			continue
		}
		for k, r := range s.inShard(i) {
			if o, ok := prev.lookup(i, k); (!ok || !o.same(r, k)) && !add(k) {
				return nil, false
			}
		}
		for k := range prev.inShard(i) {
			if _, ok := s.lookup(i, k); !ok && !add(k) {
				return nil, false
			}
		}
	}
	return keys, true
}

// same reports whether s and o, the RRsets of Key key, hold the same
// records.
func (s storedRRset) same(o storedRRset, key string) bool {
	if s.ttl != o.ttl || s.source != o.source {
		return false
	}
	if s.data == nil && o.data == nil {
		// Records that give their data back are the same when their
		// wire formats are: two parses of one text pack alike.
		return s.wire == o.wire
	}
	_, typ := splitKey(key)
	return slices.Equal(s.dataOf(typ), o.dataOf(typ))
}
