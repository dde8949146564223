package geo

import (
	"net/netip"
	"testing"

	"github.com/gtmd/gtmd/geo/testdb"
)

// benchAddrs are client addresses in cacheable networks of the test databases.
func benchAddrs() []netip.Addr {
	var out []netip.Addr
	for _, n := range testdb.Networks() {
		if n.Cacheable() && n.Country != "" {
			out = append(out, n.Addr())
		}
	}
	return out
}

// BenchmarkLocateCached is the steady state of a busy resolver population:
// every lookup hits the Provider's cache.
func BenchmarkLocateCached(b *testing.B) {
	city, _, asn := testDBs(b)
	p := newTestProvider(b, city, asn, ProviderOptions{})
	addrs := benchAddrs()
	for _, a := range addrs {
		p.Locate(a)
	}
	b.ReportAllocs()
	var sink Location
	for i := 0; b.Loop(); i++ {
		sink = p.Locate(addrs[i%len(addrs)])
	}
	_ = sink
}

// BenchmarkLocateCachedParallel is BenchmarkLocateCached from every P at once.
func BenchmarkLocateCachedParallel(b *testing.B) {
	city, _, asn := testDBs(b)
	p := newTestProvider(b, city, asn, ProviderOptions{})
	addrs := benchAddrs()
	for _, a := range addrs {
		p.Locate(a)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var sink Location
		for i := 0; pb.Next(); i++ {
			sink = p.Locate(addrs[i%len(addrs)])
		}
		_ = sink
	})
}

// BenchmarkLocateUncached is a lookup that misses: both mmdb trees are walked
// and both records decoded (City and ASN databases).
func BenchmarkLocateUncached(b *testing.B) {
	city, _, asn := testDBs(b)
	db := openDB(b, city, asn)
	addrs := benchAddrs()
	b.ReportAllocs()
	var sink Location
	for i := 0; b.Loop(); i++ {
		sink = db.Locate(addrs[i%len(addrs)])
	}
	_ = sink
}
