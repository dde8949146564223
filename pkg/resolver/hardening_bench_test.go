package resolver_test

import (
	"encoding/hex"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// The query path with rate limiting, cookies and NSID on, as gtmd serve
// runs it:
//
//	go test -run='^$' -bench=ServeDNSHardened -benchmem ./pkg/resolver

// hardenedHandler has rate limiting on at a rate no benchmark reaches
// (so every answer is counted and sent), cookies and NSID.
func hardenedHandler(tb testing.TB, rate int) *resolver.Handler {
	tb.Helper()
	h := resolver.NewHandler(resolver.Options{
		RateLimiter: newLimiter(tb, rrlConfig(rate, 2)),
		Cookies:     config.Cookies{Enabled: true},
		NSID:        "fra-1",
	})
	h.Swap(testSnapshot(tb))
	return h
}

// wireQuery packs and unpacks m, as the server hands a query over.
func wireQuery(tb testing.TB, m *dns.Msg) *dns.Msg {
	tb.Helper()
	b, err := m.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	q := new(dns.Msg)
	if err := q.Unpack(b); err != nil {
		tb.Fatal(err)
	}
	return q
}

// hardenedQueries are the shapes of query the hardened path takes: with
// a client cookie only, with the valid server cookie h gave, and asking
// for NSID.
func hardenedQueries(tb testing.TB, h *resolver.Handler) map[string]*dns.Msg {
	tb.Helper()
	first := wireQuery(tb, cookieQuery("host.example.test.", dns.TypeA, clientCookie))
	w := &fakeWriter{remote: fakeUDPClient}
	h.ServeDNS(w, first)
	resp := new(dns.Msg)
	if err := resp.Unpack(w.out); err != nil {
		tb.Fatal(err)
	}
	valid := wireQuery(tb, cookieQuery("host.example.test.", dns.TypeA, hex.EncodeToString(replyCookie(tb, resp))))
	nsid := cookieQuery("host.example.test.", dns.TypeA, "")
	nsid.IsEdns0().Option = append(nsid.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
	return map[string]*dns.Msg{
		"plain":        benchQuery(tb, "host.example.test.", dns.TypeA, true, nil),
		"clientCookie": first,
		"validCookie":  valid,
		"NSID":         wireQuery(tb, nsid),
	}
}

func BenchmarkServeDNSHardened(b *testing.B) {
	h := hardenedHandler(b, resolver.MaxResponsesPerSecond)
	for name, q := range hardenedQueries(b, h) {
		b.Run(name, func(b *testing.B) {
			serveOnce(b, h, q, dns.RcodeSuccess, 2)
			w := &fakeWriter{remote: fakeUDPClient, discard: true}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeDNS(w, q)
			}
		})
	}
	// Every answer limited: most dropped, every second one slipped.
	b.Run("limited", func(b *testing.B) {
		h := hardenedHandler(b, 1)
		q := benchQuery(b, "host.example.test.", dns.TypeA, true, nil)
		w := &fakeWriter{remote: fakeUDPClient, discard: true}
		b.ReportAllocs()
		for b.Loop() {
			h.ServeDNS(w, q)
		}
	})
}

// TestServeDNSHardenedAllocs holds the hardened path to the query path's
// rule of no allocation (STYLE.md §4): rate limiting (answered, dropped
// and slipped), cookies made and checked, NSID.
func TestServeDNSHardenedAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates and sync.Pool drops items under it")
	}
	for _, rate := range []int{resolver.MaxResponsesPerSecond, 1} {
		h := hardenedHandler(t, rate)
		for name, q := range hardenedQueries(t, h) {
			w := &fakeWriter{remote: fakeUDPClient, discard: true}
			h.ServeDNS(w, q)
			if n := testing.AllocsPerRun(200, func() { h.ServeDNS(w, q) }); n != 0 {
				t.Errorf("rate %d, %s: %v allocations per query, want 0", rate, name, n)
			}
		}
	}
}
