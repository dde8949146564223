package policy

import (
	"sync"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// hotCase is one Select call the query path makes.
type hotCase struct {
	name    string
	s       *Service
	healthy []bool
	c       *Client
}

func hotCases(tb testing.TB) []hotCase {
	de := client("203.0.113.0", 24, locGermany, "203.0.113.0/24")
	ca := client("2001:db8:ca::", 56, locCalifornia, "2001:db8:ca::/48")
	pinned := regions()
	for i := range pinned {
		// Nested pins belong to different endpoints: config refuses
		// overlapping networks on one.
		pinned[i].Networks = []string{"10." + itoa(i) + ".0.0/16", "10." + itoa((i+1)%len(pinned)) + ".1.0/24"}
	}
	weights := regions()
	for i := range weights {
		w := 10 * i
		weights[i].Weight = &w
	}
	mk := func(policy string, o svcOpts, eps []config.Endpoint) *Service { return compile(tb, policy, o, eps...) }
	return []hotCase{
		{"failover", mk("failover", svcOpts{}, regions()), up(6, 0), de},
		{"geo", mk("geo", svcOpts{}, regions()), up(6), ca},
		{"geo-nearest", mk("geo", svcOpts{}, regions()), up(6, 0, 1), ca},
		{"geo-no-location", mk("geo", svcOpts{}, regions()), up(6), noGeo("192.0.2.1", 32)},
		{"latency", mk("latency", svcOpts{}, regions()), up(6), de},
		{"latency-3", mk("latency", svcOpts{maxAnswers: 3}, regions()), up(6, 2), de},
		{"geoproximity", mk("geoproximity", svcOpts{}, regions(bias(20))), up(6), ca},
		{"weighted", mk("weighted", svcOpts{}, weights), up(6, 5), de},
		{"weighted-2", mk("weighted", svcOpts{maxAnswers: 2}, weights), up(6), de},
		{"multivalue", mk("multivalue", svcOpts{}, regions()), up(6, 3), de},
		{"pin", mk("latency", svcOpts{}, pinned), up(6), client("10.3.1.7", 32, locGermany, "10.3.0.0/16")},
		{"pin-unhealthy", mk("latency", svcOpts{}, pinned), up(6, 3), client("10.3.1.7", 32, locGermany, "10.3.0.0/16")},
		{"pins-near", mk("latency", svcOpts{}, pinned), up(6), de},
		{"all-down-all", mk("latency", svcOpts{}, regions()), make([]bool, 6), de},
		{"all-down-none", mk("latency", svcOpts{whenAllDown: "none"}, regions()), make([]bool, 6), de},
		{"nil-client", mk("geo", svcOpts{}, regions()), up(6), nil},
		{"all-down-endpoint", mk("latency", svcOpts{whenAllDown: "sa-east"}, regions()), make([]bool, 6), de},
	}
}

// TestSelectDoesNotAllocate proves the query path: no allocation without a
// trace, for every policy and rule.
func TestSelectDoesNotAllocate(t *testing.T) {
	r := newRand()
	out := make([]int, 0, 8)
	for _, hc := range hotCases(t) {
		t.Run(hc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, func() { out, _ = hc.s.Select(hc.healthy, hc.c, r, out, nil) }); n != 0 {
				t.Errorf("Select allocates %.1f times per call", n)
			}
		})
	}
}

// TestSelectConcurrent runs Select on shared services from many goroutines
// (each with its own Rand), for the race detector.
func TestSelectConcurrent(t *testing.T) {
	cases := hotCases(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := newRand()
			out := make([]int, 0, 8)
			for k := range 2000 {
				hc := cases[(g+k)%len(cases)]
				out, _ = hc.s.Select(hc.healthy, hc.c, r, out, nil)
				if len(out) == 0 && hc.name != "all-down-none" {
					t.Errorf("%s: empty answer", hc.name)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkSelect measures the query path for each policy; run with
// -benchmem to see it does not allocate.
func BenchmarkSelect(b *testing.B) {
	for _, hc := range hotCases(b) {
		b.Run(hc.name, func(b *testing.B) {
			r := newRand()
			out := make([]int, 0, 8)
			b.ReportAllocs()
			for b.Loop() {
				out, _ = hc.s.Select(hc.healthy, hc.c, r, out, nil)
			}
		})
	}
}

// BenchmarkSelectManyPins measures longest-prefix match in a service with
// 10,000 pinned networks.
func BenchmarkSelectManyPins(b *testing.B) {
	eps := regions()
	for k := range 10000 {
		i := k % len(eps)
		eps[i].Networks = append(eps[i].Networks, "10."+itoa(k/256)+"."+itoa(k%256)+".0/24")
	}
	s := compile(b, "latency", svcOpts{}, eps...)
	c := client("10.20.30.0", 24, locGermany, "10.20.0.0/16")
	r := newRand()
	out := make([]int, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		out, _ = s.Select(nil, c, r, out, nil)
	}
}

// BenchmarkExplain measures the traced path, for comparison.
func BenchmarkExplain(b *testing.B) {
	s := compile(b, "geo", svcOpts{}, regions()...)
	c := client("2001:db8:ca::", 56, locCalifornia, "2001:db8:ca::/48")
	b.ReportAllocs()
	for b.Loop() {
		s.Explain(nil, c, nil)
	}
}
