package resolver_test

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// targetDoc has an apex service whose primary is a load balancer named
// by hostname, a second service sharing that balancer, and a service of
// addresses only.
const targetDoc = `zones:
  - {name: example.test., soa: {mname: ns1.example.test., rname: hostmaster.example.test.}, ns: [ns1.example.test.], records: [{name: ns1, type: A, data: [192.0.2.53]}]}
services:
  - {name: example.test., policy: failover, ttl: 30, endpoints: [{id: lb, priority: 1, target: lb-123.example.net.}, {id: backup, priority: 2, a: [198.51.100.2]}]}
  - {name: api.example.test., policy: multivalue, ttl: 20, endpoints: [{id: lb, target: LB-123.example.net.}, {id: other, target: lb-9.example.net.}]}
  - {name: static.example.test., policy: failover, ttl: 30, endpoints: [{id: only, a: [198.51.100.7]}]}
`

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// TestWithTargets: a snapshot answers a hostname endpoint's A and AAAA
// with the addresses handed in, at the apex as for any name (never a
// CNAME); each step's snapshot keeps its own addresses, and a target no
// endpoint names changes nothing.
func TestWithTargets(t *testing.T) {
	base := snapshotFrom(t, targetDoc)
	soa := soaRR("example.test.", 60, 60)
	steps := []struct {
		name      string
		addrs     map[string][]netip.Addr
		apexA     []string
		apexAAAA  []string
		apexAAAAn []string
		apiA      []string
	}{
		{"nothing resolved yet: the endpoint has no addresses", nil, nil, nil, []string{soa}, nil},
		{"both families", map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.10", "203.0.113.11", "2001:db8::10")},
			[]string{"example.test. 30 IN A 203.0.113.10", "example.test. 30 IN A 203.0.113.11"},
			[]string{"example.test. 30 IN AAAA 2001:db8::10"}, nil,
			[]string{"api.example.test. 20 IN A 203.0.113.10", "api.example.test. 20 IN A 203.0.113.11"}},
		{"the other target resolves; the first keeps its addresses", map[string][]netip.Addr{"lb-9.example.net.": addrs("192.0.2.99")},
			[]string{"example.test. 30 IN A 203.0.113.10", "example.test. 30 IN A 203.0.113.11"},
			[]string{"example.test. 30 IN AAAA 2001:db8::10"}, nil,
			[]string{"api.example.test. 20 IN A 203.0.113.10", "api.example.test. 20 IN A 203.0.113.11", "api.example.test. 20 IN A 192.0.2.99"}},
		{"the balancer moves to IPv4 alone", map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.20"), "unused.example.net.": addrs("192.0.2.1")},
			[]string{"example.test. 30 IN A 203.0.113.20"}, nil, []string{soa},
			[]string{"api.example.test. 20 IN A 203.0.113.20", "api.example.test. 20 IN A 192.0.2.99"}},
	}
	snap := base
	served := make([]*resolver.Snapshot, len(steps))
	for i, st := range steps {
		snap = snap.WithTargets(st.addrs)
		served[i] = snap
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rcode := dns.RcodeSuccess
			runCases(t, newHandler(served[i]), []dnsCase{
				{name: "apex A", qname: "example.test.", qtype: dns.TypeA, rcode: rcode, aa: true, answer: st.apexA, ns: nsIfEmpty(st.apexA, soa)},
				{name: "apex AAAA", qname: "example.test.", qtype: dns.TypeAAAA, rcode: rcode, aa: true, answer: st.apexAAAA, ns: st.apexAAAAn},
				{name: "api A", qname: "api.example.test.", qtype: dns.TypeA, rcode: rcode, aa: true, answer: st.apiA, ns: nsIfEmpty(st.apiA, soa)},
				{name: "static A", qname: "static.example.test.", qtype: dns.TypeA, rcode: rcode, aa: true, answer: []string{"static.example.test. 30 IN A 198.51.100.7"}},
			})
		})
	}
	t.Run("a health change keeps the addresses", func(t *testing.T) {
		down := served[len(served)-1].WithHealthChanges([]resolver.HealthChange{{Service: "api.example.test.", Endpoint: "other", Healthy: false}})
		runCases(t, newHandler(down), []dnsCase{
			{name: "api A", qname: "api.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: []string{"api.example.test. 20 IN A 203.0.113.20"}},
		})
	})
	if same := base.WithTargets(map[string][]netip.Addr{"unused.example.net.": addrs("192.0.2.1")}); same != base {
		t.Error("WithTargets of a name no endpoint uses made a new snapshot")
	}
}

// nsIfEmpty is the authority section of a NODATA answer: the SOA when
// answer is empty.
func nsIfEmpty(answer []string, soa string) []string {
	if len(answer) == 0 {
		return []string{soa}
	}
	return nil
}

// TestWithTargetsFastPath: the packet fast path answers hostname
// endpoints byte for byte as the full path does, before and after their
// addresses change, signed too: a move signs the new addresses, never
// serves the old ones' signatures.
func TestWithTargetsFastPath(t *testing.T) {
	first := map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.10", "2001:db8::10")}
	moved := map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.30", "203.0.113.31")}
	base := snapshotFrom(t, targetDoc)
	signed := base.WithSigning(map[string]resolver.Signing{"example.test.": {Signer: newTestSigner(t, "example.test.")}})
	for _, c := range []struct {
		name string
		snap *resolver.Snapshot
		do   bool
	}{{"unsigned", base, false}, {"signed", signed, true}} {
		t.Run(c.name, func(t *testing.T) {
			src := netip.MustParseAddrPort("127.0.0.1:5353")
			snap := c.snap.WithTargets(first)
			p := newFastPair(t, snap, pairOptions{})
			for i, step := range []map[string][]netip.Addr{nil, moved} {
				snap = snap.WithTargets(step)
				p.fast.Swap(snap)
				p.slow.Swap(snap)
				for _, name := range []string{"example.test.", "api.example.test."} {
					for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
						wire := packEdited(t, name, qtype, withOPT(1232, c.do))
						// The first query of a name packs its answer; the
						// second is the fast path's own.
						p.exchange(t, wire, src)
						// A signed NODATA needs the full path's denial: the
						// balancer has moved to IPv4 alone.
						nodata := i == 1 && qtype == dns.TypeAAAA
						if !p.exchange(t, wire, src) && !(c.do && nodata) {
							t.Errorf("%s %s: the fast path declined", name, dns.TypeToString[qtype])
						}
					}
				}
			}
		})
	}
}
