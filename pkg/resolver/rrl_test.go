package resolver_test

import (
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// rrlConfig is NSD's defaults with the rate and slip of a test.
func rrlConfig(rate, slip int) config.RRL {
	return config.RRL{ResponsesPerSecond: rate, Slip: slip, IPv4Prefix: 24, IPv6Prefix: 56, TableSize: 1 << 16}
}

func newLimiter(tb testing.TB, c config.RRL) *resolver.RateLimiter {
	tb.Helper()
	l, err := resolver.NewRateLimiter(c)
	if err != nil {
		tb.Fatalf("NewRateLimiter(%+v): %v", c, err)
	}
	return l
}

// actions runs n answers of one bucket through l in one second and
// returns them as a string: A allowed, D dropped, S slipped.
func actions(l *resolver.RateLimiter, client netip.Addr, class resolver.ResponseClass, key uint64, at time.Time, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte("ADS"[l.Allow(client, class, key, at)])
	}
	return b.String()
}

var rrlEpoch = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func TestRateLimiterSlip(t *testing.T) {
	client := netip.MustParseAddr("192.0.2.7")
	cases := []struct {
		name       string
		rate, slip int
		want       string
	}{
		{"every second limited answer slips", 4, 2, "AAAADSDSDS"},
		{"slip 0 drops them all", 4, 0, "AAAADDDDDD"},
		{"slip 1 truncates them all", 4, 1, "AAAASSSSSS"},
		{"slip 3", 2, 3, "AADDSDDSDD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLimiter(t, rrlConfig(c.rate, c.slip))
			key := l.Key("www.example.test.", 1)
			if got := actions(l, client, resolver.ClassAnswer, key, rrlEpoch, len(c.want)); got != c.want {
				t.Errorf("actions = %s, want %s", got, c.want)
			}
			// The next second starts with a full allowance again.
			if got := actions(l, client, resolver.ClassAnswer, key, rrlEpoch.Add(time.Second), c.rate+1); got != strings.Repeat("A", c.rate)+c.want[c.rate:c.rate+1] {
				t.Errorf("a second later: actions = %s, want %d allowed then limited", got, c.rate)
			}
		})
	}
}

// TestRateLimiterBuckets: what shares a bucket with a flood and what
// does not. The flood is 5 answers at rate 5, so a sixth answer in the
// same bucket is limited and one in another bucket is not.
func TestRateLimiterBuckets(t *testing.T) {
	flooder := netip.MustParseAddr("198.51.100.10")
	flooder6 := netip.MustParseAddr("2001:db8:1:ab00::1")
	cases := []struct {
		name    string
		client  netip.Addr
		class   resolver.ResponseClass
		name2   string
		qtype   uint16
		limited bool
	}{
		{"the same address", flooder, resolver.ClassAnswer, "www.example.test.", 1, true},
		{"another address in the /24", netip.MustParseAddr("198.51.100.250"), resolver.ClassAnswer, "www.example.test.", 1, true},
		{"the /24 as an IPv4-mapped IPv6 address", netip.MustParseAddr("::ffff:198.51.100.99"), resolver.ClassAnswer, "www.example.test.", 1, true},
		{"the next /24", netip.MustParseAddr("198.51.101.10"), resolver.ClassAnswer, "www.example.test.", 1, false},
		{"another name", flooder, resolver.ClassAnswer, "mail.example.test.", 1, false},
		{"another type", flooder, resolver.ClassAnswer, "www.example.test.", 28, false},
		{"another class", flooder, resolver.ClassNoData, "www.example.test.", 1, false},
		{"the IPv6 /56", netip.MustParseAddr("2001:db8:1:abff::99"), resolver.ClassAnswer, "www.example.test.", 1, true},
		{"the next IPv6 /56", netip.MustParseAddr("2001:db8:1:ac00::1"), resolver.ClassAnswer, "www.example.test.", 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLimiter(t, rrlConfig(5, 2))
			key := l.Key("www.example.test.", 1)
			if got := actions(l, flooder, resolver.ClassAnswer, key, rrlEpoch, 5); got != "AAAAA" {
				t.Fatalf("flood from %s: %s, want AAAAA", flooder, got)
			}
			if got := actions(l, flooder6, resolver.ClassAnswer, key, rrlEpoch, 5); got != "AAAAA" {
				t.Fatalf("flood from %s: %s, want AAAAA", flooder6, got)
			}
			got := l.Allow(c.client, c.class, l.Key(c.name2, c.qtype), rrlEpoch)
			if limited := got != resolver.ActionAllow; limited != c.limited {
				t.Errorf("sixth answer: %s, want limited %v", got, c.limited)
			}
		})
	}
}

func TestNewRateLimiter(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*config.RRL)
		off     bool
		wantErr string
	}{
		{"NSD defaults", func(*config.RRL) {}, false, ""},
		{"0 turns it off", func(c *config.RRL) { c.ResponsesPerSecond = 0 }, true, ""},
		{"negative rate", func(c *config.RRL) { c.ResponsesPerSecond = -1 }, false, "rrl.responses_per_second"},
		{"rate beyond the counters", func(c *config.RRL) { c.ResponsesPerSecond = resolver.MaxResponsesPerSecond + 1 }, false, "rrl.responses_per_second"},
		{"negative slip", func(c *config.RRL) { c.Slip = -1 }, false, "rrl.slip"},
		{"IPv4 prefix", func(c *config.RRL) { c.IPv4Prefix = 33 }, false, "rrl.ipv4_prefix"},
		{"IPv6 prefix", func(c *config.RRL) { c.IPv6Prefix = 129 }, false, "rrl.ipv6_prefix"},
		{"empty table", func(c *config.RRL) { c.TableSize = 0 }, false, "rrl.table_size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.DefaultNode().RRL
			c.edit(&cfg)
			l, err := resolver.NewRateLimiter(cfg)
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("err = %v, want one naming %s", err, c.wantErr)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			case (l == nil) != c.off:
				t.Errorf("limiter %v, want off %v", l, c.off)
			}
		})
	}
	var off *resolver.RateLimiter
	if got := off.Allow(netip.MustParseAddr("192.0.2.1"), resolver.ClassError, 0, rrlEpoch); got != resolver.ActionAllow {
		t.Errorf("a nil limiter: %s, want allowed", got)
	}
}

// TestRateLimiterConcurrent: answers counted from every core at once are
// each counted once; the rate holds exactly.
func TestRateLimiterConcurrent(t *testing.T) {
	const rate, workers, each = 1000, 8, 500
	l := newLimiter(t, rrlConfig(rate, 2))
	client := netip.MustParseAddr("192.0.2.1")
	key := l.Key("www.example.test.", 1)
	var mu sync.Mutex
	counts := map[resolver.Action]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			local := map[resolver.Action]int{}
			for range each {
				local[l.Allow(client, resolver.ClassAnswer, key, rrlEpoch)]++
			}
			mu.Lock()
			defer mu.Unlock()
			for a, n := range local {
				counts[a] += n
			}
		})
	}
	wg.Wait()
	limited := workers*each - rate
	if counts[resolver.ActionAllow] != rate || counts[resolver.ActionSlip] != limited/2 || counts[resolver.ActionDrop] != limited-limited/2 {
		t.Errorf("counts %v, want %d allowed, %d slipped, %d dropped", counts, rate, limited/2, limited-limited/2)
	}
}

// TestRateLimiterBounded: a million distinct names (a random-subdomain
// flood) cost no allocation and leave the heap where it was: the table
// is all the memory the limiter has. The flood also does not disturb the
// count of a bucket written after it.
func TestRateLimiterBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	l := newLimiter(t, rrlConfig(3, 1))
	client := netip.MustParseAddr("192.0.2.1")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	allocs := testing.AllocsPerRun(1, func() {
		for i := range uint64(1_000_000) {
			l.Allow(client, resolver.ClassAnswer, i*0x9e3779b97f4a7c15, rrlEpoch)
		}
	})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if allocs != 0 {
		t.Errorf("a million distinct names: %v allocations, want 0", allocs)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("a million distinct names grew the heap by %d bytes", grew)
	}
	key := l.Key("www.example.test.", 1)
	if got := actions(l, client, resolver.ClassAnswer, key, rrlEpoch, 5); got != "AAASS" {
		t.Errorf("after the flood: %s, want AAASS", got)
	}
}

// BenchmarkRateLimiterAllow is the limiter's cost per answer: one hash
// and one compare-and-swap.
func BenchmarkRateLimiterAllow(b *testing.B) {
	l := newLimiter(b, rrlConfig(resolver.MaxResponsesPerSecond, 2))
	client := netip.MustParseAddr("192.0.2.1")
	key := l.Key("www.example.test.", 1)
	b.ReportAllocs()
	for b.Loop() {
		l.Allow(client, resolver.ClassAnswer, key, rrlEpoch)
	}
}
