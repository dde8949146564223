package cluster

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkStoredRRsetsMillion measures what a node holds for a zone of
// a million A records stored in 8,192 buckets, read as the watch reads
// them (each bucket decoded, parsed and taken whole by takeBucket): the
// heap the records keep, per RRset (the Key's bytes and the parsed
// records included), and the time of a get and of an UPDATE's put and
// del on records borrowed for it. One build whatever b.N: run it with
// -benchtime 1x.
//
//	go test ./pkg/cluster -run '^$' -bench StoredRRsetsMillion -benchtime 1x
func BenchmarkStoredRRsetsMillion(b *testing.B) {
	const (
		rrsets  = 1_000_000
		buckets = 8192
		zone    = "example.com."
	)
	byBucket := make([]map[string]RRset, buckets)
	for i := range rrsets {
		r := aRRset(i)
		j := bucketOf(r.Key(), buckets)
		if byBucket[j] == nil {
			byBucket[j] = map[string]RRset{}
		}
		byBucket[j][r.Key()] = r
	}
	encoded := make([]string, buckets)
	for j, m := range byBucket {
		encoded[j] = encodeBucket(m)
	}
	byBucket = nil

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc
	s := newStoredRRsets(buckets, true)
	for j, v := range encoded {
		k := zoneKey{zone: zone, gen: "g", bucket: j, buckets: buckets}
		decoded, err := decodeBucket(k, []byte(v))
		if err != nil {
			b.Fatal(err)
		}
		s.takeBucket(j, decoded, func(key string, r RRset, old storedRRset, held bool) storedRRset {
			if held && old.rrset(key).SameAs(r) {
				return old
			}
			return r.parsed(zone).stored()
		})
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if s.len() != rrsets {
		b.Fatalf("%d RRsets held, want %d", s.len(), rrsets)
	}
	b.ReportMetric(float64(int64(ms.HeapAlloc)-int64(heapBefore))/rrsets, "B/rrset")

	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = aRRset(i * 241 % rrsets).Key()
	}
	const gets = 1 << 20
	start := time.Now()
	for i := range gets {
		if _, ok := s.get(keys[i%len(keys)]); !ok {
			b.Fatal("a key held is not found")
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/gets, "ns/get")

	value, _ := s.get(keys[0])
	var spent time.Duration
	const updates = 2000
	for i := range updates {
		c := s.borrow()
		t0 := time.Now()
		c.put(keys[i%len(keys)], value)
		c.del(keys[(i+1)%len(keys)])
		spent += time.Since(t0)
		if c.len() != rrsets-1 {
			b.Fatalf("%d RRsets after a put and a del, want %d", c.len(), rrsets-1)
		}
	}
	b.ReportMetric(float64(spent.Nanoseconds())/updates, "ns/put+del")
	runtime.KeepAlive(s)
	runtime.KeepAlive(encoded)
}

// BenchmarkStoredRRsetsOneByOne measures a zone of a million RRsets
// taken in one at a time in no order, as records stored one RRset a key
// by an earlier gtmd are: the time of each put (the records settled
// after), then of each delete of them all on records borrowed, as a
// generation deleted key by key is. Neither may grow with the size of a
// shard. Run it with -benchtime 1x.
//
//	go test ./pkg/cluster -run '^$' -bench StoredRRsetsOneByOne -benchtime 1x
func BenchmarkStoredRRsetsOneByOne(b *testing.B) {
	const rrsets = 1_000_000
	keys := make([]string, rrsets)
	for i := range keys {
		keys[i] = aRRset(i).Key()
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	start := time.Now()
	s := newStoredRRsets(defaultShards, false)
	for i, k := range keys {
		s.put(k, storedRRset{ttl: uint32(i)})
	}
	s.settle()
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/rrsets, "ns/put")
	if s.len() != rrsets {
		b.Fatalf("%d RRsets held, want %d", s.len(), rrsets)
	}
	slices.Sort(keys)
	c := s.borrow()
	start = time.Now()
	for _, k := range keys {
		c.del(k)
	}
	c.settle()
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/rrsets, "ns/del")
	if c.len() != 0 || s.len() != rrsets {
		b.Fatalf("%d RRsets left, %d in the records borrowed", c.len(), s.len())
	}
}
