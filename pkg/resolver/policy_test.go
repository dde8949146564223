package resolver_test

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/geo/testdb"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/policy"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// policySetup is a handler over testdata/policies.yaml with a City
// database generated for the test.
type policySetup struct {
	snap    *resolver.Snapshot
	handler *resolver.Handler
}

func newPolicySetup(tb testing.TB, withGeo bool) *policySetup {
	tb.Helper()
	tr, err := config.LoadTraffic("testdata/policies.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	snap, err := resolver.Build(tr, 7)
	if err != nil {
		tb.Fatal(err)
	}
	opts := resolver.Options{}
	if withGeo {
		opts.Locator = testLocator(tb)
	}
	h := resolver.NewHandler(opts)
	h.Swap(snap)
	return &policySetup{snap: snap, handler: h}
}

// clientIn returns a /24 inside the named test network.
func clientIn(tb testing.TB, name string) netip.Prefix {
	tb.Helper()
	n, ok := testdb.ByName(name)
	if !ok {
		tb.Fatalf("no test network %q", name)
	}
	p, _ := n.Addr().Prefix(min(24, n.Prefix.Addr().BitLen()))
	if n.Prefix.Addr().Is6() {
		p, _ = n.Addr().Prefix(56)
	}
	return p
}

func ecsQuery(name string, qtype uint16, subnet netip.Prefix) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.SetEdns0(1232, false)
	if subnet.IsValid() {
		o := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(subnet.Bits()), Address: subnet.Addr().AsSlice()}
		if subnet.Addr().Is6() {
			o.Family = 2
		}
		q.IsEdns0().Option = append(q.IsEdns0().Option, o)
	}
	return q
}

// answerData returns the answer's RDATA in order, and the echoed ECS
// scope (-1 without an echo).
func answerData(resp *dns.Msg) ([]string, int) {
	var data []string
	for _, rr := range resp.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			data = append(data, rr.A.String())
		case *dns.AAAA:
			data = append(data, rr.AAAA.String())
		case *dns.CNAME:
			data = append(data, rr.Target)
		case *dns.TXT:
			data = append(data, rr.Txt...)
		}
	}
	scope := -1
	if opt := resp.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_SUBNET); ok {
				scope = int(e.SourceScope)
			}
		}
	}
	return data, scope
}

// TestPolicyAnswers queries each service from clients around the world,
// through ECS and through the source address, with and without endpoints
// down.
func TestPolicyAnswers(t *testing.T) {
	down := func(ids ...string) func(string, string) bool {
		return func(_, ep string) bool { return !slices.Contains(ids, ep) }
	}
	cases := []struct {
		name   string
		qname  string
		qtype  uint16
		client string // test network of the ECS subnet; "" for none
		source string // source address; default 127.0.0.1
		health func(string, string) bool
		want   []string
		scope  int
		rcode  int
	}{
		{name: "latency US→us-east", qname: "latency.gtm.test.", qtype: dns.TypeA, client: "us-va", want: []string{"192.0.2.1"}, scope: 20},
		{name: "latency DE→eu-west", qname: "latency.gtm.test.", qtype: dns.TypeA, client: "de", want: []string{"192.0.2.2"}, scope: 18},
		{name: "latency JP→ap-northeast", qname: "latency.gtm.test.", qtype: dns.TypeA, client: "jp", want: []string{"192.0.2.3"}, scope: 17},
		{name: "latency JP over IPv6 ECS", qname: "latency.gtm.test.", qtype: dns.TypeA, client: "jp-v6", want: []string{"192.0.2.3"}, scope: 40},
		{name: "latency AAAA from the same endpoint", qname: "latency.gtm.test.", qtype: dns.TypeAAAA, client: "de", want: []string{"2001:db8:ff::2"}, scope: 18},
		{name: "latency US with us-east down→eu-west", qname: "latency.gtm.test.", qtype: dns.TypeA, client: "us-va", health: down("us-east"), want: []string{"192.0.2.2"}, scope: 20},
		{name: "latency all down fails open", qname: "latency.gtm.test.", qtype: dns.TypeA, client: "de", health: down("us-east", "eu-west", "ap-northeast"), want: []string{"192.0.2.2"}, scope: 18},
		{name: "latency by source address without ECS", qname: "latency.gtm.test.", qtype: dns.TypeA, source: "198.18.130.7", want: []string{"192.0.2.2"}, scope: -1},
		{name: "latency unknown client takes the first endpoint", qname: "latency.gtm.test.", qtype: dns.TypeA, source: "127.0.0.1", want: []string{"192.0.2.1"}, scope: -1},
		{name: "static TXT beside a service", qname: "latency.gtm.test.", qtype: dns.TypeTXT, client: "de", want: []string{"static beside a service"}, scope: 0},
		{name: "service without AAAA at the chosen endpoint is NODATA", qname: "latency.gtm.test.", qtype: dns.TypeAAAA, client: "jp", scope: 17},
		{name: "geo subdivision", qname: "geo.gtm.test.", qtype: dns.TypeA, client: "us-ca", want: []string{"192.0.2.11"}, scope: 19},
		{name: "geo country", qname: "geo.gtm.test.", qtype: dns.TypeA, client: "us-ny", want: []string{"192.0.2.12"}, scope: 21},
		{name: "geo continent", qname: "geo.gtm.test.", qtype: dns.TypeA, client: "fr", want: []string{"192.0.2.13"}, scope: 19},
		{name: "geo default", qname: "geo.gtm.test.", qtype: dns.TypeA, client: "br", want: []string{"192.0.2.14"}, scope: 18},
		{name: "geo subdivision down falls to country", qname: "geo.gtm.test.", qtype: dns.TypeA, client: "us-ca", health: down("us-west"), want: []string{"192.0.2.12"}, scope: 19},
		{name: "pin wins for its network", qname: "pinned.gtm.test.", qtype: dns.TypeA, client: "us-va", want: []string{"192.0.2.21"}, scope: 24},
		{name: "failover ignores location", qname: "failover.gtm.test.", qtype: dns.TypeA, client: "jp", want: []string{"192.0.2.31"}, scope: 0},
		{name: "failover to backup", qname: "failover.gtm.test.", qtype: dns.TypeA, client: "jp", health: down("primary"), want: []string{"192.0.2.32"}, scope: 0},
		{name: "when_all_down none is NODATA", qname: "failover.gtm.test.", qtype: dns.TypeA, client: "jp", health: down("primary", "backup"), scope: 0},
		{name: "cname service by location", qname: "cdn.gtm.test.", qtype: dns.TypeA, client: "gb", want: []string{"eu.cdn.example."}, scope: 19},
	}
	s := newPolicySetup(t, true)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := s.snap
			if c.health != nil {
				snap = snap.WithHealth(c.health)
			}
			s.handler.Swap(snap)
			var subnet netip.Prefix
			if c.client != "" {
				subnet = clientIn(t, c.client)
			}
			source := netip.MustParseAddr("127.0.0.1")
			if c.source != "" {
				source = netip.MustParseAddr(c.source)
			}
			q := ecsQuery(c.qname, c.qtype, subnet)
			resp := s.handler.Resolve(q, source, false)
			if resp.Rcode != c.rcode || !resp.Authoritative {
				t.Fatalf("rcode %s aa %v, want %s aa", dns.RcodeToString[resp.Rcode], resp.Authoritative, dns.RcodeToString[c.rcode])
			}
			got, scope := answerData(resp)
			if !slices.Equal(got, c.want) {
				t.Errorf("answer %v, want %v", got, c.want)
			}
			if scope != c.scope {
				t.Errorf("ECS scope %d, want %d", scope, c.scope)
			}
			if len(got) == 0 && (len(resp.Ns) != 1 || resp.Ns[0].Header().Rrtype != dns.TypeSOA) {
				t.Errorf("NODATA without the SOA: %v", resp.Ns)
			}
		})
	}
}

// TestPolicyOverTheWire asks a real server over UDP and TCP with ECS, as
// a resolver would, and checks that a health change shows in the next
// answer.
func TestPolicyOverTheWire(t *testing.T) {
	s := newPolicySetup(t, true)
	srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{"127.0.0.1:0"}, Handler: s.handler, UDPListeners: 2})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	addr := srv.Addrs()[0]
	for _, net := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: net}
		for _, tc := range []struct {
			client string
			want   string
		}{{"us-va", "192.0.2.1"}, {"gb", "192.0.2.2"}, {"jp", "192.0.2.3"}} {
			s.handler.Swap(s.snap)
			resp, _, err := c.Exchange(ecsQuery("latency.gtm.test.", dns.TypeA, clientIn(t, tc.client)), addr)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := answerData(resp); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("%s from %s: %v, want %s", net, tc.client, got, tc.want)
			}
			// The nearest region goes down: the very next answer avoids it.
			s.handler.Swap(s.snap.WithHealth(func(_, ep string) bool { return ep != "eu-west" }))
			resp, _, err = c.Exchange(ecsQuery("latency.gtm.test.", dns.TypeA, clientIn(t, "gb")), addr)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := answerData(resp); slices.Contains(got, "192.0.2.2") {
				t.Errorf("%s: eu-west is down but still answered: %v", net, got)
			}
		}
	}
}

// TestPolicyWithoutGeoIP checks the documented fallbacks when no
// database is loaded, and that explain says so.
func TestPolicyWithoutGeoIP(t *testing.T) {
	s := newPolicySetup(t, false)
	cases := []struct {
		qname, want string
	}{
		{"latency.gtm.test.", "192.0.2.1"}, // the first endpoint
		{"geo.gtm.test.", "192.0.2.14"},    // the default endpoint
	}
	for _, c := range cases {
		resp := s.handler.Resolve(ecsQuery(c.qname, dns.TypeA, clientIn(t, "jp")), netip.MustParseAddr("127.0.0.1"), false)
		if got, scope := answerData(resp); !slices.Equal(got, []string{c.want}) || scope != 0 {
			t.Errorf("%s: %v scope %d, want %s scope 0", c.qname, got, scope, c.want)
		}
		ex := s.handler.Explain(c.qname, dns.TypeA, netip.MustParseAddr("127.0.0.1"), clientIn(t, "jp"))
		if !traceMentions(ex.Trace, "no location") {
			t.Errorf("%s: explain does not say there is no location: %+v", c.qname, ex.Trace)
		}
	}
}

// TestExplainAgreesWithAnswer checks that Explain reports the answer
// ServeDNS gives and why.
func TestExplainAgreesWithAnswer(t *testing.T) {
	s := newPolicySetup(t, true)
	s.handler.Swap(s.snap.WithHealth(func(_, ep string) bool { return ep != "us-east" }))
	ex := s.handler.Explain("latency.gtm.test", dns.TypeA, netip.MustParseAddr("127.0.0.1"), clientIn(t, "us-va"))
	got, _ := answerData(ex.Response)
	resp := s.handler.Resolve(ecsQuery("latency.gtm.test.", dns.TypeA, clientIn(t, "us-va")), netip.MustParseAddr("127.0.0.1"), false)
	want, _ := answerData(resp)
	if !slices.Equal(got, want) || !slices.Equal(got, []string{"192.0.2.2"}) {
		t.Fatalf("explain answered %v, the query %v; want [192.0.2.2]", got, want)
	}
	if ex.Service != "latency.gtm.test." || ex.Scope != 20 || ex.Client.Loc.Country != "US" {
		t.Errorf("explain: service %q scope %d country %q", ex.Service, ex.Scope, ex.Client.Loc.Country)
	}
	health := map[string]bool{}
	for _, e := range ex.Endpoints {
		health[e.ID] = e.Healthy
	}
	if health["us-east"] || !health["eu-west"] || !health["ap-northeast"] {
		t.Errorf("explain health %v", health)
	}
	if ex.Trace.Rule == "" || len(ex.Trace.Steps) == 0 {
		t.Errorf("explain has no steps: %+v", ex.Trace)
	}
}

// traceMentions reports whether any step or the rule of tr says s.
func traceMentions(tr policy.Trace, s string) bool {
	if strings.Contains(strings.ToLower(tr.Rule), s) {
		return true
	}
	for _, st := range tr.Steps {
		if strings.Contains(strings.ToLower(st.Detail), s) {
			return true
		}
	}
	return false
}

// TestPinMatchesWholeSourceAddress: without ECS the client is the whole
// source address, so a pin longer than /24 (or /56), such as one
// resolver's /32, matches it; a client subnet is cut to /24 before use,
// so the same pin does not match an ECS /32 (policy.Client.Bits).
func TestPinMatchesWholeSourceAddress(t *testing.T) {
	h := newHandler(snapshotFrom(t, `
zones:
  - name: pin.test.
    soa: {mname: ns1.pin.test., rname: hostmaster.pin.test., minimum: 60}
    ns: [ns1.pin.test.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
services:
  - name: www.pin.test.
    policy: failover
    endpoints:
      - {id: main, priority: 1, a: [198.51.100.1]}
      - {id: pinned, priority: 2, networks: [192.0.2.77/32, "2001:db8::53/128"], a: [198.51.100.2]}
`))
	cases := []struct {
		name   string
		source string
		ecs    netip.Prefix
		want   string
	}{
		// The neighbour comes first: its decision must not be reused for
		// the pinned resolver in the same /24.
		{name: "a neighbour of the pinned resolver", source: "192.0.2.78", want: "198.51.100.1"},
		{name: "the pinned resolver", source: "192.0.2.77", want: "198.51.100.2"},
		{name: "the pinned IPv6 resolver", source: "2001:db8::53", want: "198.51.100.2"},
		{name: "an IPv6 neighbour", source: "2001:db8::54", want: "198.51.100.1"},
		{name: "ECS /32 is cut to /24", source: "127.0.0.1", ecs: netip.MustParsePrefix("192.0.2.77/32"), want: "198.51.100.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := h.Resolve(ecsQuery("www.pin.test.", dns.TypeA, c.ecs), netip.MustParseAddr(c.source), false)
			if got, _ := answerData(resp); !slices.Equal(got, []string{c.want}) {
				t.Errorf("answer %v, want %s", got, c.want)
			}
		})
	}
}

// TestECSFamilyZero: an option with family 0 and source prefix 0, which
// dig and some stubs send to mean "no subnet", is ignored rather than
// refused, over the wire too.
func TestECSFamilyZero(t *testing.T) {
	s := newPolicySetup(t, true)
	q := new(dns.Msg)
	q.SetQuestion("latency.gtm.test.", dns.TypeA)
	q.SetEdns0(1232, false)
	q.IsEdns0().Option = append(q.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 0})
	source := netip.MustParseAddr("198.18.130.7") // DE
	resp := s.handler.Resolve(q, source, false)
	got, scope := answerData(resp)
	if resp.Rcode != dns.RcodeSuccess || !slices.Equal(got, []string{"192.0.2.2"}) || scope != -1 {
		t.Fatalf("rcode %s answer %v scope %d; want NOERROR, the source address's answer, no ECS echo", dns.RcodeToString[resp.Rcode], got, scope)
	}
	w := &fakeWriter{remote: &net.UDPAddr{IP: net.IP(source.AsSlice()), Port: 5353}}
	s.handler.ServeDNS(w, benchQuery(t, "latency.gtm.test.", dns.TypeA, true, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 0}))
	wire := new(dns.Msg)
	if err := wire.Unpack(w.out); err != nil {
		t.Fatal(err)
	}
	if got, scope := answerData(wire); wire.Rcode != dns.RcodeSuccess || !slices.Equal(got, []string{"192.0.2.2"}) || scope != -1 {
		t.Errorf("over the wire: rcode %s answer %v scope %d", dns.RcodeToString[wire.Rcode], got, scope)
	}
}
