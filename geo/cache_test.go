package geo

import (
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/gtmd/gtmd/geo/testdb"
)

func newTestProvider(tb testing.TB, path, asnPath string, opts ProviderOptions) *Provider {
	tb.Helper()
	p, err := NewProvider(path, asnPath, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Error(err)
		}
	})
	return p
}

func TestCacheKey(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"198.18.7.9", "198.18.7.0"},
		{"198.18.7.255", "198.18.7.0"},
		{"2001:db8:1234:56ff:ffff::1", "2001:db8:1234:5600::"},
		{"2001:db8:1234:5600::", "2001:db8:1234:5600::"},
	}
	for _, tc := range cases {
		if got := cacheKey(netip.MustParseAddr(tc.addr)); got != netip.MustParseAddr(tc.want) {
			t.Errorf("cacheKey(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestCacheStoresOnlyNetworksCoveringTheKey(t *testing.T) {
	city, _, asn := testDBs(t)
	p := newTestProvider(t, city, asn, ProviderOptions{})
	gen := p.cur.Load().gen
	for _, n := range testdb.Networks() {
		addr := n.Addr()
		want := p.Locate(addr)
		cached, ok := p.cache.get(cacheKey(addr), gen)
		if ok != n.Cacheable() {
			t.Errorf("%s (%s): cached = %v, want %v", n.Name, n.Prefix, ok, n.Cacheable())
		}
		if ok && cached != want {
			t.Errorf("%s: cached %+v, want %+v", n.Name, cached, want)
		}
	}
	// The City network of jp is a /17, but its ASN network 198.19.1.0/28 is
	// finer than /24: that answer must not be cached for the whole /24.
	ix := testdb.TokyoIXPrefix.Addr().Next()
	if got := p.Locate(ix); got.ASN != testdb.ASNTokyoIX {
		t.Fatalf("Locate(%s).ASN = %d, want %d", ix, got.ASN, testdb.ASNTokyoIX)
	}
	if _, ok := p.cache.get(cacheKey(ix), gen); ok {
		t.Errorf("%s cached although its ASN network %s is finer than /24", ix, testdb.TokyoIXPrefix)
	}
	outside := netip.MustParseAddr("198.19.1.200") // same /24, outside the /28
	if got := p.Locate(outside); got.ASN != testdb.ASNJapan {
		t.Errorf("Locate(%s).ASN = %d, want %d", outside, got.ASN, testdb.ASNJapan)
	}
	// Unknown addresses in a wide empty range are cached too.
	if got := p.Locate(testdb.Unknown); got.Known() {
		t.Fatalf("Locate(%s) = %+v, want unknown", testdb.Unknown, got)
	}
	if _, ok := p.cache.get(cacheKey(testdb.Unknown), gen); !ok {
		t.Errorf("unknown %s in a wide empty network not cached", testdb.Unknown)
	}
}

// TestCacheSameKeyAnswers checks that every address of a cached /24 gets the
// answer its own lookup would give.
func TestCacheSameKeyAnswers(t *testing.T) {
	city, _, asn := testDBs(t)
	db := openDB(t, city, asn)
	p := newTestProvider(t, city, asn, ProviderOptions{CacheSize: 8}) // tiny: many collisions
	for _, base := range []string{"198.18.0.0", "198.19.224.0", "198.19.1.0", "198.19.225.0"} {
		a := netip.MustParseAddr(base)
		for range 256 {
			if got, want := p.Locate(a), db.Locate(a); got != want {
				t.Fatalf("Provider.Locate(%s) = %+v, Database.Locate = %+v", a, got, want)
			}
			a = a.Next()
		}
	}
}

func TestCacheHitDoesNotAllocate(t *testing.T) {
	city, _, asn := testDBs(t)
	p := newTestProvider(t, city, asn, ProviderOptions{})
	for _, name := range []string{"us-va", "de", "jp-v6"} {
		n, _ := testdb.ByName(name)
		addr := n.Addr()
		want := p.Locate(addr) // fill
		var got Location
		allocs := testing.AllocsPerRun(1000, func() { got = p.Locate(addr) })
		if allocs != 0 {
			t.Errorf("%s: cache hit allocates %v times per Locate, want 0", name, allocs)
		}
		if got != want {
			t.Errorf("%s: cached %+v, want %+v", name, got, want)
		}
	}
}

func TestCacheOff(t *testing.T) {
	city, _, _ := testDBs(t)
	p := newTestProvider(t, city, "", ProviderOptions{CacheSize: -1})
	if p.cache != nil {
		t.Fatal("CacheSize -1: cache is on")
	}
	n, _ := testdb.ByName("gb")
	if got, want := p.Locate(n.Addr()), expectedLocation(t, n, testdb.CitySchema, false); got != want {
		t.Errorf("Locate(%s)\n got %+v\nwant %+v", n.Addr(), got, want)
	}
}

func TestNewCacheSize(t *testing.T) {
	for _, tc := range []struct{ size, want int }{{1, 1}, {3, 4}, {1000, 1024}, {1 << 16, 1 << 16}} {
		c := newCache(tc.size)
		if len(c.slots) != tc.want {
			t.Errorf("newCache(%d): %d slots, want %d", tc.size, len(c.slots), tc.want)
		}
		// Every key must land in range.
		a := netip.MustParseAddr("198.18.0.0")
		for range 300 {
			c.put(cacheKey(a), 1, Location{Country: "US"})
			a = netip.AddrFrom4([4]byte{a.As4()[0], a.As4()[1], a.As4()[2] + 1, 0})
		}
	}
}

// TestCacheSpreadsNeighbours checks that neighbouring networks, the common
// case (a provider's resolvers sit in adjacent /24s), land in distinct slots.
func TestCacheSpreadsNeighbours(t *testing.T) {
	const size = 4096
	c := newCache(size)
	for _, start := range []string{"198.18.0.0", "2001:db8::"} {
		seen := map[*atomic.Pointer[cacheEntry]]bool{}
		a := netip.MustParseAddr(start)
		bits := MaxClientBitsIPv4
		if a.Is6() {
			bits = MaxClientBitsIPv6
		}
		for range size {
			seen[c.slot(a)] = true
			p := netip.PrefixFrom(a, bits)
			a = lastAddr(p).Next() // the next network
		}
		if len(seen) < size*8/10 { // uniform random slots would fill 63%
			t.Errorf("%d neighbouring networks from %s use %d of %d slots, want at least 80%%", size, start, len(seen), size)
		}
	}
}
