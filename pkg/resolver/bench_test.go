package resolver_test

import (
	"net"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// The query path's cost through ServeDNS, with a writer that drops the
// bytes:
//
//	go test -run=^$ -bench=ServeDNS -benchmem ./pkg/resolver

// benchQuery is a query as the server hands it to the handler: unpacked
// from the wire.
func benchQuery(tb testing.TB, name string, qtype uint16, edns bool, ecs *dns.EDNS0_SUBNET) *dns.Msg {
	tb.Helper()
	m := new(dns.Msg).SetQuestion(name, qtype)
	if edns || ecs != nil {
		m.SetEdns0(1232, false)
		if ecs != nil {
			o := m.IsEdns0()
			o.Option = append(o.Option, ecs)
		}
	}
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

// serveOnce answers q through ServeDNS and checks the rcode and answer
// count, so a benchmark never measures the wrong path.
func serveOnce(tb testing.TB, h *resolver.Handler, q *dns.Msg, rcode, answers int) {
	tb.Helper()
	w := &fakeWriter{remote: fakeUDPClient}
	h.ServeDNS(w, q)
	resp := new(dns.Msg)
	if err := resp.Unpack(w.out); err != nil {
		tb.Fatal(err)
	}
	if resp.Rcode != rcode || len(resp.Answer) != answers {
		tb.Fatalf("%v: rcode %s, %d answers; want %s, %d", q.Question, rcodeString(resp.Rcode), len(resp.Answer), rcodeString(rcode), answers)
	}
}

func benchServe(b *testing.B, q *dns.Msg, rcode, answers int) {
	h := newHandler(testSnapshot(b))
	serveOnce(b, h, q, rcode, answers)
	w := &fakeWriter{remote: fakeUDPClient, discard: true}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeDNS(w, q)
	}
}

func BenchmarkServeDNSStaticA(b *testing.B) {
	b.Run("noEDNS", func(b *testing.B) {
		benchServe(b, benchQuery(b, "host.example.test.", dns.TypeA, false, nil), dns.RcodeSuccess, 2)
	})
	b.Run("EDNS", func(b *testing.B) {
		benchServe(b, benchQuery(b, "host.example.test.", dns.TypeA, true, nil), dns.RcodeSuccess, 2)
	})
}

func BenchmarkServeDNSNXDOMAIN(b *testing.B) {
	benchServe(b, benchQuery(b, "nope.example.test.", dns.TypeA, true, nil), dns.RcodeNameError, 0)
}

func BenchmarkServeDNSServiceFailover(b *testing.B) {
	benchServe(b, benchQuery(b, "www.example.test.", dns.TypeA, true, nil), dns.RcodeSuccess, 1)
}

func BenchmarkServeDNSStaticAWithECS(b *testing.B) {
	benchServe(b, benchQuery(b, "host.example.test.", dns.TypeA, true, ecs4("198.51.100.0", 24)), dns.RcodeSuccess, 2)
}

// BenchmarkServeDNSParallel is the static A from every core at once, the
// shape of a loaded server.
func BenchmarkServeDNSParallel(b *testing.B) {
	h := newHandler(testSnapshot(b))
	q := benchQuery(b, "host.example.test.", dns.TypeA, true, nil)
	serveOnce(b, h, q, dns.RcodeSuccess, 2)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &fakeWriter{remote: &net.UDPAddr{IP: net.IPv4(192, 0, 2, 9).To4(), Port: 1}, discard: true}
		for pb.Next() {
			h.ServeDNS(w, q)
		}
	})
}

// TestServeDNSStaticAAllocs: the static A path through ServeDNS does not
// allocate (STYLE.md §4), with or without EDNS, over UDP or TCP; nor do
// NXDOMAIN, a failover service or an ECS answer, which are held to it
// too so that a regression shows.
func TestServeDNSStaticAAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates and sync.Pool drops items under it")
	}
	h := newHandler(testSnapshot(t))
	cases := []struct {
		name    string
		q       *dns.Msg
		tcp     bool
		rcode   int
		answers int
	}{
		{"static A", benchQuery(t, "host.example.test.", dns.TypeA, false, nil), false, dns.RcodeSuccess, 2},
		{"static A with EDNS", benchQuery(t, "host.example.test.", dns.TypeA, true, nil), false, dns.RcodeSuccess, 2},
		{"static A over TCP", benchQuery(t, "host.example.test.", dns.TypeA, false, nil), true, dns.RcodeSuccess, 2},
		{"static AAAA with EDNS", benchQuery(t, "host.example.test.", dns.TypeAAAA, true, nil), false, dns.RcodeSuccess, 1},
		{"NXDOMAIN", benchQuery(t, "nope.example.test.", dns.TypeA, true, nil), false, dns.RcodeNameError, 0},
		{"service failover", benchQuery(t, "www.example.test.", dns.TypeA, true, nil), false, dns.RcodeSuccess, 1},
		{"static A with ECS", benchQuery(t, "host.example.test.", dns.TypeA, true, ecs4("198.51.100.0", 24)), false, dns.RcodeSuccess, 2},
	}
	for _, c := range cases {
		serveOnce(t, h, c.q, c.rcode, c.answers)
		w := &fakeWriter{remote: fakeUDPClient, discard: true}
		if c.tcp {
			w.remote = fakeTCPClient
		}
		n := testing.AllocsPerRun(1000, func() { h.ServeDNS(w, c.q) })
		if n != 0 {
			t.Errorf("%s: %v allocations per query through ServeDNS, want 0", c.name, n)
		}
	}
}
