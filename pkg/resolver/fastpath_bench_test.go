package resolver_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// The fast path's cost beside the full path's, per query, in one run:
//
//	go test -run='^$' -bench=Fast -benchmem ./pkg/resolver
//
// "fast" is AnswerPacket on the packet's bytes; "full" is what the server
// does per packet without the fast path: unpack the query into a dns.Msg,
// then ServeDNS with a writer that drops the bytes.

// fastCase is one query of the benchmarks and the allocation test.
type fastCase struct {
	name string
	h    *resolver.Handler
	wire []byte
}

// fastCases are the queries the fast path is held to 0 allocations on:
// static answers (a wildcard's too), services with and without a client
// subnet (the decision table warm), signed for a client that sets DO
// too, and a valid cookie.
func fastCases(tb testing.TB) []fastCase {
	tb.Helper()
	clock := newFakeClock(time.Unix(1_700_000_000, 0))
	snap := testSnapshot(tb)
	static := newHandler(snap)
	cookies := resolver.NewHandler(resolver.Options{Cookies: config.Cookies{Enabled: true}, Now: clock.Now})
	cookies.SetCookieSecrets(pairSecret(), [16]byte{})
	cookies.Swap(snap)
	p := &fastPair{clock: clock}
	valid := mintCookie(tb, p, snap, srcV4)
	ps := newPolicySetup(tb, true)
	de := clientIn(tb, "de")
	subnet := ecs4(de.Addr().String(), uint8(de.Bits()))
	signedStatic := newHandler(snap.WithSigning(map[string]resolver.Signing{"example.test.": {Signer: newTestSigner(tb, "example.test.")}}))
	signedGeo := newPolicySetup(tb, true).handler
	signedGeo.Swap(ps.snap.WithSigning(map[string]resolver.Signing{"gtm.test.": {Signer: newTestSigner(tb, "gtm.test.")}}))
	targeted := newHandler(snapshotFrom(tb, targetDoc).WithTargets(map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.10", "2001:db8::10")}))
	return []fastCase{
		{"staticA", static, packEdited(tb, "host.example.test.", dns.TypeA, nil)},
		{"staticAEDNS", static, packEdited(tb, "host.example.test.", dns.TypeA, withOPT(1232, false))},
		{"NXDOMAIN", static, packEdited(tb, "nope.example.test.", dns.TypeA, withOPT(1232, false))},
		{"wildcard", static, packEdited(tb, "foo.wild.example.test.", dns.TypeA, withOPT(1232, false))},
		{"serviceFailover", static, packEdited(tb, "www.example.test.", dns.TypeA, withOPT(1232, false))},
		{"latencyWithECS", ps.handler, packEdited(tb, "latency.gtm.test.", dns.TypeA, withOPT(1232, false, subnet))},
		{"geoWithECS", ps.handler, packEdited(tb, "geo.gtm.test.", dns.TypeA, withOPT(1232, false, subnet))},
		{"serviceFailoverSigned", signedStatic, packEdited(tb, "www.example.test.", dns.TypeA, withOPT(1232, true))},
		{"latencyWithECSSigned", signedGeo, packEdited(tb, "latency.gtm.test.", dns.TypeA, withOPT(1232, true, subnet))},
		{"serviceTargetApex", targeted, packEdited(tb, "example.test.", dns.TypeA, withOPT(1232, false))},
		{"validCookie", cookies, packEdited(tb, "host.example.test.", dns.TypeA, withOPT(1232, false, cookieOpt(valid)))},
	}
}

// warm answers c once through the fast path, failing when it declines,
// so that what follows measures a hit of the precomputed answers and the
// decision table.
func (c *fastCase) warm(tb testing.TB, out []byte) {
	tb.Helper()
	if resp, ok := c.h.AnswerPacket(c.wire, srcV4, out); !ok || resp == nil {
		tb.Fatalf("%s: the fast path declined (ok %v) or sent nothing", c.name, ok)
	}
}

func BenchmarkFastPath(b *testing.B) {
	for _, c := range fastCases(b) {
		b.Run(c.name+"/fast", func(b *testing.B) {
			out := make([]byte, 0, 65535)
			c.warm(b, out)
			b.ReportAllocs()
			for b.Loop() {
				c.h.AnswerPacket(c.wire, srcV4, out)
			}
		})
		b.Run(c.name+"/full", func(b *testing.B) {
			w := &fakeWriter{remote: fakeUDPClient, discard: true}
			b.ReportAllocs()
			for b.Loop() {
				q := new(dns.Msg)
				if err := q.Unpack(c.wire); err != nil {
					b.Fatal(err)
				}
				c.h.ServeDNS(w, q)
			}
		})
	}
}

// TestFastPathAllocs: the fast path answers every case of fastCases
// without allocating (STYLE.md §4), once its answers are precomputed and
// its decisions made.
func TestFastPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates and sync.Pool drops items under it")
	}
	out := make([]byte, 0, 65535)
	for _, c := range fastCases(t) {
		c.warm(t, out)
		if n := testing.AllocsPerRun(1000, func() { c.h.AnswerPacket(c.wire, srcV4, out) }); n != 0 {
			t.Errorf("%s: %v allocations per query on the fast path, want 0", c.name, n)
		}
	}
}

// manyServices is a document of n failover services of two endpoints
// each, in one zone.
func manyServices(n int) string {
	var b strings.Builder
	b.WriteString(zoneDoc("many.test."))
	for i := range n {
		fmt.Fprintf(&b, "  - name: s%d.many.test.\n    policy: failover\n    endpoints:\n      - {id: primary, priority: 1, a: [198.51.%d.%d]}\n      - {id: backup, priority: 2, a: [203.0.%d.%d]}\n", i, i/250, i%250+1, i/250, i%250+1)
	}
	return b.String()
}

// BenchmarkFastHealthFlip states what one health flip costs at 1,000
// services. "swap" derives the snapshot with one endpoint's health
// changed and swaps it in; "requery" is one query of every service, no
// flip (a decision-table hit each, but for the services whose slots
// collide); "swap+requery" is both, so its excess over the other two is
// what the flip makes the queries after it rebuild: the touched service's
// decision. Precomputed static answers, the endpoints' packed records and
// the other services' decisions are shared. The cpu% metric is the share
// of one core that one flip (with the queries) a second costs.
//
//	go test -run='^$' -bench=FastHealthFlip -benchmem ./pkg/resolver
func BenchmarkFastHealthFlip(b *testing.B) {
	const services = 1000
	snap := snapshotFrom(b, manyServices(services))
	wires := make([][]byte, services)
	for i := range wires {
		wires[i] = packEdited(b, fmt.Sprintf("s%d.many.test.", i), dns.TypeA, withOPT(1232, false, ecs4("198.51.100.0", 24)))
	}
	for _, mode := range []struct {
		name          string
		flip, requery bool
	}{{"swap", true, false}, {"requery", false, true}, {"swap+requery", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			h := newHandler(snap)
			out := make([]byte, 0, 65535)
			src := netip.MustParseAddrPort("192.0.2.1:5353")
			cur, down := snap, false
			b.ReportAllocs()
			for b.Loop() {
				if mode.flip {
					down = !down
					cur = cur.WithHealthChanges([]resolver.HealthChange{{Service: "s500.many.test.", Endpoint: "primary", Healthy: !down}})
					h.Swap(cur)
				}
				if mode.requery {
					for _, w := range wires {
						if _, ok := h.AnswerPacket(w, src, out); !ok {
							b.Fatal("the fast path declined a service query")
						}
					}
				}
			}
			perFlip := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perFlip/1e9*100, "cpu%@1flip/s")
		})
	}
}

// BenchmarkTargetMove states what one endpoint target's change of
// addresses costs at 1,000 services, five of which use it: "swap"
// derives the snapshot with the new addresses and swaps it in, which
// remakes those five services alone; "swap+requery" also asks every
// service once, the decisions of all of them, the five included, kept.
//
//	go test -run='^$' -bench=TargetMove -benchmem ./pkg/resolver
func BenchmarkTargetMove(b *testing.B) {
	const services, users = 1000, 5
	doc := manyServices(services)
	for i := range users {
		doc = strings.Replace(doc, fmt.Sprintf("s%d.many.test.\n    policy: failover\n    endpoints:\n      - {id: primary, priority: 1, a: [198.51.%d.%d]}", i*200, i*200/250, i*200%250+1),
			fmt.Sprintf("s%d.many.test.\n    policy: failover\n    endpoints:\n      - {id: primary, priority: 1, target: lb.example.net.}", i*200), 1)
	}
	snap := snapshotFrom(b, doc).WithTargets(map[string][]netip.Addr{"lb.example.net.": addrs("192.0.2.10")})
	for i := range users {
		q := new(dns.Msg).SetQuestion(fmt.Sprintf("s%d.many.test.", i*200), dns.TypeA)
		if r := newHandler(snap).Resolve(q, loopback, false); len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.10" {
			b.Fatalf("service s%d does not answer with its target: %v", i*200, r.Answer)
		}
	}
	wires := make([][]byte, services)
	for i := range wires {
		wires[i] = packEdited(b, fmt.Sprintf("s%d.many.test.", i), dns.TypeA, withOPT(1232, false))
	}
	moves := [2]map[string][]netip.Addr{{"lb.example.net.": addrs("192.0.2.10")}, {"lb.example.net.": addrs("192.0.2.20", "2001:db8::20")}}
	for _, requery := range []bool{false, true} {
		name := "swap"
		if requery {
			name = "swap+requery"
		}
		b.Run(name, func(b *testing.B) {
			h := newHandler(snap)
			out := make([]byte, 0, 65535)
			src := netip.MustParseAddrPort("192.0.2.1:5353")
			cur, i := snap, 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				cur = cur.WithTargets(moves[i%2])
				h.Swap(cur)
				if requery {
					for _, w := range wires {
						if _, ok := h.AnswerPacket(w, src, out); !ok {
							b.Fatal("the fast path declined a service query")
						}
					}
				}
			}
		})
	}
}
