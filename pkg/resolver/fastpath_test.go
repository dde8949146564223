package resolver_test

import (
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/geo/testdb"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// The fast path's differential tests: every query is sent to two
// handlers alike, one answering through AnswerPacket (falling back to
// ServeDNS as the UDP reader does), one through ServeDNS alone, and the
// responses must be the same bytes, ID included, and the metrics the
// same counts.

// Sources the queries come from: the cookie, rate limiting and policy
// verdicts depend on them.
var (
	srcV4 = netip.MustParseAddrPort("192.0.2.1:53535")
	srcV6 = netip.MustParseAddrPort("[2001:db8:200::7]:5353")
	// srcMapped is srcV4 as a dual-stack socket reports it.
	srcMapped = netip.MustParseAddrPort("[::ffff:192.0.2.1]:53535")
)

// queryEdit is one shape of a query: its flags and OPT record.
type queryEdit struct {
	name string
	edit func(m *dns.Msg, src netip.AddrPort)
}

// withOPT adds an OPT record of size (DO set when do) carrying opts.
func withOPT(size uint16, do bool, opts ...dns.EDNS0) func(*dns.Msg) {
	return func(m *dns.Msg) {
		m.SetEdns0(size, do)
		o := m.IsEdns0()
		o.Option = append(o.Option, opts...)
	}
}

// cookieOpt is a cookie option of the bytes given.
func cookieOpt(b []byte) *dns.EDNS0_COOKIE {
	return &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: hex.EncodeToString(b)}
}

// fastClientCookie is the client cookie every query of these tests sends.
func fastClientCookie() []byte { return []byte{1, 2, 3, 4, 5, 6, 7, 8} }

// mintCookie returns the cookie option a handler with the pair's secret
// and clock gives src: a valid server cookie for src.
func mintCookie(tb testing.TB, p *fastPair, snap *resolver.Snapshot, src netip.AddrPort) []byte {
	tb.Helper()
	h := resolver.NewHandler(resolver.Options{Cookies: config.Cookies{Enabled: true}, Now: p.clock.Now})
	h.SetCookieSecrets(pairSecret(), [16]byte{})
	h.Swap(snap)
	q := cookieQuery("example.test.", dns.TypeSOA, hex.EncodeToString(fastClientCookie()))
	b, err := q.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	_, in := serverSees(b)
	resp := new(dns.Msg)
	if err := resp.Unpack(serveFull(h, in, src)); err != nil {
		tb.Fatal(err)
	}
	c := replyCookie(tb, resp)
	if len(c) != 24 {
		tb.Fatalf("minted cookie %x, want 24 bytes", c)
	}
	return c
}

// queryEdits are the shapes every name is asked in: flags, EDNS sizes,
// DO, client subnets of both families (and the pinned network), each
// cookie verdict, NSID, padding, and options the fast path leaves alone.
func queryEdits(valid func(src netip.AddrPort) []byte) []queryEdit {
	de := netip.MustParsePrefix("198.18.128.0/24")
	opt := func(size uint16, do bool, opts ...dns.EDNS0) func(*dns.Msg, netip.AddrPort) {
		return func(m *dns.Msg, _ netip.AddrPort) { withOPT(size, do, opts...)(m) }
	}
	subnet := func(p netip.Prefix) *dns.EDNS0_SUBNET {
		if p.Addr().Is4() {
			return ecs4(p.Addr().String(), uint8(p.Bits()))
		}
		return ecs6(p.Addr().String(), uint8(p.Bits()))
	}
	return []queryEdit{
		{"plain", func(*dns.Msg, netip.AddrPort) {}},
		{"CD, no RD", func(m *dns.Msg, _ netip.AddrPort) { m.CheckingDisabled, m.RecursionDesired = true, false }},
		{"AD and Z", func(m *dns.Msg, _ netip.AddrPort) { m.AuthenticatedData, m.Zero = true, true }},
		{"EDNS 1232", opt(1232, false)},
		{"EDNS 512 DO", opt(512, true)},
		{"EDNS 100", opt(100, false)},
		{"EDNS 4096", opt(4096, false)},
		{"ECS de /24", opt(1232, false, subnet(de))},
		{"ECS pinned /24", opt(1232, true, ecs4("203.0.113.0", 24))},
		{"ECS /32", opt(1232, false, ecs4("198.18.33.9", 32))},
		{"ECS /0", opt(1232, false, ecs4("0.0.0.0", 0))},
		{"ECS v6 /56", opt(1232, false, subnet(netip.MustParsePrefix("2001:db8:200::/56")))},
		{"ECS v6 /20", opt(1232, false, subnet(netip.MustParsePrefix("2001:d00::/20")))},
		{"cookie client only", opt(1232, false, cookieOpt(fastClientCookie()))},
		{"cookie invalid", opt(1232, false, cookieOpt(append(fastClientCookie(), 1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9)))},
		{"cookie short server part", opt(1232, false, cookieOpt(append(fastClientCookie(), 1, 2, 3, 4, 5, 6, 7, 8)))},
		{"cookie valid", func(m *dns.Msg, src netip.AddrPort) { withOPT(1232, false, cookieOpt(valid(src)))(m) }},
		{"cookie malformed", opt(1232, false, cookieOpt([]byte{1, 2, 3}))},
		{"NSID", opt(1232, false, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})},
		{"padding", opt(1232, false, &dns.EDNS0_PADDING{Padding: make([]byte, 16)})},
		{"everything", func(m *dns.Msg, src netip.AddrPort) {
			withOPT(1232, true, subnet(de), cookieOpt(valid(src)), &dns.EDNS0_NSID{Code: dns.EDNS0NSID}, &dns.EDNS0_PADDING{Padding: make([]byte, 8)})(m)
		}},
		{"two subnets", opt(1232, false, subnet(de), subnet(de))},
		{"unknown option", opt(1232, false, &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1}})},
		{"keepalive", opt(1232, false, &dns.EDNS0_TCP_KEEPALIVE{Code: dns.EDNS0TCPKEEPALIVE})},
		{"EDNS version 1", func(m *dns.Msg, _ netip.AddrPort) { withOPT(1232, false)(m); m.IsEdns0().SetVersion(1) }},
	}
}

// diffTypes are the types every name is asked for: the node types, the
// ones the full path treats apart, and some it holds nowhere (0xff00 is
// the type the fast path precomputes "any other type" with).
func diffTypes() []uint16 {
	return []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeNS, dns.TypeSOA, dns.TypeMX, dns.TypeTXT, dns.TypeSRV, dns.TypeCNAME,
		dns.TypeANY, dns.TypeDS, dns.TypePTR, dns.TypeHTTPS, dns.TypeNULL, 0xff00, 65535, dns.TypeAXFR, dns.TypeOPT, 0}
}

// diffNames are every name of the snapshot, missing names in each zone
// (below wildcards and delegations too), a name outside every zone and
// the root, each also in mixed case.
func diffNames(snap *resolver.Snapshot) []string {
	names := resolver.NodeNames(snap)
	for _, z := range resolver.ZoneNames(snap) {
		names = append(names, "nope."+z, "a.b.nope."+z, "x.child."+z, "a.b.outdeleg."+z, "foo.wild."+z, "foo.wcname."+z,
			"q.multi."+z, "a.b.c.multi."+z, "x.mail."+z, "s.a-rather-long-label-for-a-wildcard-owner.x."+z, "y.deleg."+z)
	}
	names = append(names, "www.example.com.", ".", "nope.")
	for _, n := range names[:len(names):len(names)] {
		names = append(names, mixedCase(n))
	}
	return names
}

// mixedCase changes the case of every other letter (0x20 case
// randomization, as resolvers send it).
func mixedCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		if 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// diffSetup is one snapshot with the pair options it is answered with.
type diffSetup struct {
	name string
	snap *resolver.Snapshot
	opts pairOptions
}

// highRate limits nothing in practice but runs every answer through the
// rate limiter, on both paths.
func highRate() *config.RRL {
	c := rrlConfig(resolver.MaxResponsesPerSecond, 2)
	return &c
}

// testLocator is a GeoIP provider over the generated City database.
func testLocator(tb testing.TB) geo.Locator {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "city.mmdb")
	if err := testdb.WriteCity(path); err != nil {
		tb.Fatal(err)
	}
	p, err := geo.NewProvider(path, "", geo.ProviderOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// zoneDoc is a traffic document's zone with its name server and the
// records given (flow mappings), which the services that follow (the
// document's services section) stand in.
func zoneDoc(zone string, records ...string) string {
	return "zones:\n  - {name: " + zone + ", soa: {mname: ns1." + zone + ", rname: hostmaster." + zone + ", minimum: 30}, ns: [ns1." + zone +
		"], records: [" + strings.Join(append([]string{"{name: ns1, type: A, data: [192.0.2.53]}"}, records...), ", ") + "]}\nservices:\n"
}

// randomPolicies has services the policies of testdata do not: weighted,
// multivalue, an endpoint without AAAA, and all down answered with none.
func randomPolicies() string {
	return zoneDoc("rnd.test.") + `
  - name: weighted.rnd.test.
    policy: weighted
    endpoints:
      - {id: a, weight: 3, a: [192.0.2.1]}
      - {id: b, weight: 1, a: [192.0.2.2], aaaa: ["2001:db8::2"]}
  - name: multi.rnd.test.
    policy: multivalue
    max_answers: 3
    endpoints:
      - {id: a, a: [192.0.2.11, 192.0.2.12]}
      - {id: b, a: [192.0.2.13]}
      - {id: c, a: [192.0.2.14], aaaa: ["2001:db8::14"]}
      - {id: d, a: [192.0.2.15]}
  - name: gone.rnd.test.
    policy: failover
    when_all_down: none
    endpoints:
      - {id: only, priority: 1, a: [192.0.2.21]}
`
}

// wildcards is a zone of wildcards of several records, one spelt in
// capitals, one with additional records, one under a delegation and one
// whose owner is longer than most names asked.
func wildcards() string {
	return zoneDoc("w.test.",
		`{name: "*.Multi", type: A, data: ["192.0.2.1", "192.0.2.2", "192.0.2.3"]}`,
		`{name: "*.Multi", type: AAAA, data: ["2001:db8::1"]}`,
		`{name: "*.mail", type: MX, data: ["10 mx.w.test.", "20 mx2.w.test."]}`,
		`{name: mx, type: A, data: ["192.0.2.25"]}`,
		`{name: mx2, type: AAAA, data: ["2001:db8::25"]}`,
		`{name: "*.a-rather-long-label-for-a-wildcard-owner.x", type: TXT, data: ['"long"']}`,
		`{name: deleg, type: NS, data: ["ns.deleg.w.test."]}`,
		`{name: ns.deleg, type: A, data: ["192.0.2.54"]}`,
		`{name: "*.deleg", type: A, data: ["192.0.2.55"]}`)
}

// diffSetups are the snapshots of the DNS semantics tests (the test
// document, the policies document with GeoIP), each with health
// changed, endpoints by hostname, and a document of random policies; with cookies, NSID and
// rate limiting on, and once with cookies required.
func diffSetups(tb testing.TB) []diffSetup {
	tb.Helper()
	base := pairOptions{rrl: highRate(), cookies: config.Cookies{Enabled: true}, nsid: "node-1.example"}
	required := pairOptions{cookies: config.Cookies{Enabled: true, Require: true}}
	test := testSnapshot(tb)
	policies := newPolicySetup(tb, false).snap
	withGeo := base
	withGeo.locator = testLocator(tb)
	rnd := snapshotFrom(tb, randomPolicies())
	signed := test.WithSigning(map[string]resolver.Signing{"example.test.": {Signer: newTestSigner(tb, "example.test.")}})
	return []diffSetup{
		{"test document", test, base},
		{"test document, primaries down", test.WithHealthChanges([]resolver.HealthChange{
			{Service: "www.example.test.", Endpoint: "primary"}, {Service: "pinned.example.test.", Endpoint: "default"},
			{Service: "cdn.example.test.", Endpoint: "edge"},
		}), base},
		{"test document, cookies required", test, required},
		{"policies with GeoIP", policies, withGeo},
		{"policies with GeoIP, endpoints down", policies.WithHealthChanges([]resolver.HealthChange{
			{Service: "latency.gtm.test.", Endpoint: "eu-west"}, {Service: "geo.gtm.test.", Endpoint: "eu"},
			{Service: "failover.gtm.test.", Endpoint: "primary"}, {Service: "failover.gtm.test.", Endpoint: "backup"},
		}), withGeo},
		{"wildcards", snapshotFrom(tb, wildcards()), base},
		{"test document, signed", signed, base},
		{"test document, signed, primaries down", signed.WithHealthChanges([]resolver.HealthChange{{Service: "www.example.test.", Endpoint: "primary"}}), base},
		{"endpoints by hostname", snapshotFrom(tb, targetDoc).WithTargets(map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.10", "2001:db8::10")}), base},
		{"endpoints by hostname, signed, the balancer moved", snapshotFrom(tb, targetDoc).WithSigning(map[string]resolver.Signing{"example.test.": {Signer: newTestSigner(tb, "example.test.")}}).
			WithTargets(map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.10")}).WithTargets(map[string][]netip.Addr{"lb-123.example.net.": addrs("203.0.113.20", "2001:db8::20"), "lb-9.example.net.": addrs("192.0.2.9")}), base},
		{"random policies", rnd, base},
		{"random policies, down", rnd.WithHealthChanges([]resolver.HealthChange{{Service: "gone.rnd.test.", Endpoint: "only"}, {Service: "multi.rnd.test.", Endpoint: "a"}}), base},
	}
}

// diffQueries packs every query a setup is asked: each name for each
// type plainly and with a full OPT record, and each name's A, AAAA and
// TXT in every shape, from both sources.
func diffQueries(tb testing.TB, p *fastPair, snap *resolver.Snapshot) (wires [][]byte, srcs []netip.AddrPort) {
	tb.Helper()
	cookies := map[netip.AddrPort][]byte{}
	valid := func(src netip.AddrPort) []byte {
		if c, ok := cookies[src]; ok {
			return c
		}
		cookies[src] = mintCookie(tb, p, snap, src)
		return cookies[src]
	}
	edits := queryEdits(valid)
	full := edits[slices.IndexFunc(edits, func(e queryEdit) bool { return e.name == "everything" })]
	pack := func(name string, qtype uint16, e queryEdit, src netip.AddrPort) {
		m := new(dns.Msg).SetQuestion(name, qtype)
		e.edit(m, src)
		b, err := m.Pack()
		if err != nil {
			tb.Fatalf("packing %s %d (%s): %v", name, qtype, e.name, err)
		}
		wires, srcs = append(wires, b), append(srcs, src)
	}
	for _, name := range diffNames(snap) {
		for _, qtype := range diffTypes() {
			pack(name, qtype, edits[0], srcV4)
			pack(name, qtype, full, srcV6)
		}
		pack(name, dns.TypeA, full, srcMapped)
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeTXT} {
			for _, e := range edits {
				pack(name, qtype, e, srcV4)
				pack(name, qtype, e, srcV6)
			}
		}
	}
	return wires, srcs
}

// TestFastPathDifferential: for every query of the table, the fast path
// declines or answers the full path's bytes, with the same metrics. It
// must also answer most of them: a fast path that declines everything
// would pass the comparison.
func TestFastPathDifferential(t *testing.T) {
	for _, setup := range diffSetups(t) {
		t.Run(setup.name, func(t *testing.T) {
			p := newFastPair(t, setup.snap, setup.opts)
			wires, srcs := diffQueries(t, p, setup.snap)
			for i, w := range wires {
				p.exchange(t, w, srcs[i])
			}
			p.checkMetrics(t)
			t.Logf("%d queries: %d answered by the fast path, %d declined", len(wires), p.answered, p.declined)
			if p.answered < len(wires)/3 {
				t.Errorf("the fast path answered %d of %d queries; it should take the common ones", p.answered, len(wires))
			}
		})
	}
}

// TestFastPathMutated sends the table's queries with random bytes
// changed, cut short or extended: every one is declined or answered as
// the full path answers it.
func TestFastPathMutated(t *testing.T) {
	setups := diffSetups(t)
	r := rand.New(rand.NewPCG(13, 17))
	for _, setup := range setups[:1] {
		p := newFastPair(t, setup.snap, setup.opts)
		wires, srcs := diffQueries(t, p, setup.snap)
		for range 20000 {
			i := r.IntN(len(wires))
			p.exchange(t, mutate(r, wires[i]), srcs[i])
		}
		for _, m := range genMalformed(t, r, 5) {
			p.exchange(t, m.pkt, srcV4)
		}
		p.checkMetrics(t)
		t.Logf("%d answered by the fast path, %d declined", p.answered, p.declined)
	}
}

// mutate returns a copy of wire with one to three random changes: a
// byte replaced, a bit flipped, a byte cut off or appended, a length
// byte of the question changed.
func mutate(r *rand.Rand, wire []byte) []byte {
	b := append([]byte(nil), wire...)
	for range 1 + r.IntN(3) {
		switch r.IntN(5) {
		case 0:
			b[r.IntN(len(b))] = byte(r.IntN(256))
		case 1:
			b[r.IntN(len(b))] ^= 1 << r.IntN(8)
		case 2:
			if len(b) > 1 {
				b = b[:len(b)-1-r.IntN(min(len(b)-1, 4))]
			}
		case 3:
			b = append(b, byte(r.IntN(256)))
		case 4:
			if len(b) > 12 {
				b[12] = byte(r.IntN(70))
			}
		}
	}
	return b
}

// TestFastPathTakes: the queries the fast path exists for are answered
// by it, not declined: static A, AAAA and CNAME at the name, SOA and NS
// at the apex, NXDOMAIN, NODATA, a referral, REFUSED, wildcards,
// services with and without a client subnet, a valid cookie, NSID.
func TestFastPathTakes(t *testing.T) {
	setups := diffSetups(t)
	geoSetup := setups[3]
	p := newFastPair(t, setups[0].snap, setups[0].opts)
	pg := newFastPair(t, geoSetup.snap, geoSetup.opts)
	valid := mintCookie(t, p, setups[0].snap, srcV4)
	de := ecs4("198.18.128.0", 24)
	cases := []struct {
		name  string
		pair  *fastPair
		qname string
		qtype uint16
		edit  func(*dns.Msg)
	}{
		{"static A", p, "host.example.test.", dns.TypeA, nil},
		{"static A, EDNS, 0x20", p, "HoSt.ExAmPlE.tEsT.", dns.TypeA, withOPT(1232, false)},
		{"static AAAA", p, "host.example.test.", dns.TypeAAAA, withOPT(1232, true)},
		{"CNAME at the name", p, "b.example.test.", dns.TypeA, nil},
		{"SOA", p, "example.test.", dns.TypeSOA, withOPT(1232, false)},
		{"NS at the apex", p, "example.test.", dns.TypeNS, nil},
		{"NXDOMAIN", p, "nope.example.test.", dns.TypeA, withOPT(1232, false)},
		{"NODATA", p, "host.example.test.", dns.TypeMX, nil},
		{"referral", p, "www.child.example.test.", dns.TypeA, nil},
		{"REFUSED", p, "www.example.com.", dns.TypeA, nil},
		{"wildcard", p, "Foo.Bar.wild.example.test.", dns.TypeA, withOPT(1232, false)},
		{"wildcard NODATA", p, "foo.wild.example.test.", dns.TypeMX, nil},
		{"service", p, "www.example.test.", dns.TypeA, nil},
		{"service AAAA with ECS", p, "www.example.test.", dns.TypeAAAA, withOPT(1232, false, ecs4("192.0.2.0", 24))},
		{"pinned service with ECS", p, "pinned.example.test.", dns.TypeA, withOPT(1232, false, ecs4("203.0.113.0", 24))},
		{"valid cookie", p, "host.example.test.", dns.TypeA, withOPT(1232, false, cookieOpt(valid))},
		{"client cookie", p, "host.example.test.", dns.TypeA, withOPT(1232, false, cookieOpt(fastClientCookie()))},
		{"NSID", p, "host.example.test.", dns.TypeA, withOPT(1232, false, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})},
		{"latency with ECS", pg, "latency.gtm.test.", dns.TypeA, withOPT(1232, false, de)},
		{"geo with ECS", pg, "geo.gtm.test.", dns.TypeA, withOPT(1232, false, de)},
		{"static beside a service", pg, "latency.gtm.test.", dns.TypeTXT, withOPT(1232, false, de)},
	}
	for _, c := range cases {
		wire := packEdited(t, c.qname, c.qtype, c.edit)
		// Twice: the first look makes the precomputed answer or the
		// decision, the second uses them.
		for range 2 {
			if !c.pair.exchange(t, wire, srcV4) {
				t.Errorf("%s: the fast path declined", c.name)
			}
		}
	}
	p.checkMetrics(t)
	pg.checkMetrics(t)
}

// TestFastPathRateLimits: a flood of answers of several kinds from one
// network gets the same allow, drop and slip verdicts on both paths (the
// same name asked for two types counts in two buckets, NXDOMAIN for two
// types in one, two names of one wildcard in two), and a client with a valid cookie is exempt on both.
func TestFastPathRateLimits(t *testing.T) {
	c := rrlConfig(3, 2)
	snap := testSnapshot(t)
	p := newFastPair(t, snap, pairOptions{rrl: &c, cookies: config.Cookies{Enabled: true}})
	valid := mintCookie(t, p, snap, srcV4)
	queries := [][]byte{
		packEdited(t, "host.example.test.", dns.TypeA, nil),
		packEdited(t, "host.example.test.", dns.TypeAAAA, nil),
		packEdited(t, "host.example.test.", dns.TypeMX, nil),
		packEdited(t, "nope.example.test.", dns.TypeA, withOPT(1232, false)),
		packEdited(t, "nope.example.test.", dns.TypeTXT, withOPT(1232, false)),
		packEdited(t, "foo.wild.example.test.", dns.TypeA, nil),
		packEdited(t, "bar.wild.example.test.", dns.TypeA, nil),
		packEdited(t, "www.example.test.", dns.TypeA, withOPT(1232, false, ecs4("198.51.100.0", 24))),
		packEdited(t, "www.child.example.test.", dns.TypeA, nil),
		packEdited(t, "www.example.com.", dns.TypeA, withOPT(1232, false)),
		packEdited(t, "host.example.test.", dns.TypeA, withOPT(1232, false, cookieOpt(valid))),
	}
	sent := 0
	for second := range 2 {
		for range 8 {
			for _, q := range queries {
				if !p.exchange(t, q, srcV4) {
					t.Errorf("second %d: the fast path declined %x", second, q)
				}
				sent++
			}
		}
		p.clock.Advance(time.Second)
	}
	p.checkMetrics(t)
	limited := metricCounts(t, p.fastReg)
	if limited[`gtmd_dns_rrl_responses_total{action="dropped"}`] == 0 || limited[`gtmd_dns_rrl_responses_total{action="slipped"}`] == 0 {
		t.Errorf("the flood was neither dropped nor slipped: %v", limited)
	}
}

// FuzzFastPath: for any packet, from an IPv4 or an IPv6 client, the fast
// path declines, or sends what the full path sends (nothing included),
// byte for byte.
//
//	go test -run=^$ -fuzz=FuzzFastPath -fuzztime=60s ./pkg/resolver
func FuzzFastPath(f *testing.F) {
	snap := testSnapshot(f)
	p := newFastPair(f, snap, pairOptions{rrl: highRate(), cookies: config.Cookies{Enabled: true}, nsid: "node-1.example"})
	valid := mintCookie(f, p, snap, srcV4)
	for _, b := range fuzzSeeds(f) {
		f.Add(b, false)
	}
	for _, b := range validQueries(f) {
		f.Add(b, true)
	}
	for _, e := range queryEdits(func(netip.AddrPort) []byte { return valid }) {
		for _, name := range []string{"host.example.test.", "www.example.test.", "pinned.example.test.", "nope.example.test.", "www.child.example.test."} {
			m := new(dns.Msg).SetQuestion(name, dns.TypeA)
			e.edit(m, srcV4)
			b, err := m.Pack()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, false)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		src := srcV4
		if v6 {
			src = srcV6
		}
		p.exchange(t, b, src)
	})
}

// TestFastPathNames: names the fast path must leave to the full path
// because miekg/dns reads them otherwise (escapes, compression) are
// declined, and answered alike when they are not.
func TestFastPathNames(t *testing.T) {
	p := newFastPair(t, testSnapshot(t), pairOptions{})
	q := packEdited(t, "host.example.test.", dns.TypeA, nil)
	cases := []struct {
		name string
		wire []byte
	}{
		{"dot in a label", append(append(header(1, 1, 0, 0, 0), "\x08host.exa\x04test\x00"...), typeClass...)},
		{"space in a label", append(append(header(1, 1, 0, 0, 0), "\x04ho t\x07example\x04test\x00"...), typeClass...)},
		{"compression pointer", append(append(header(1, 1, 0, 0, 0), "\xc0\x0c"...), typeClass...)},
		{"trailing byte", append(q[:len(q):len(q)], 0)},
		{"no qtype", q[:len(q)-4]},
	}
	for _, c := range cases {
		if p.exchange(t, c.wire, srcV4) {
			t.Errorf("%s: the fast path answered %x", c.name, c.wire)
		}
	}
}

// TestAnswersMade: the fast path counts an answer when it makes and
// keeps it, once per name and type however often asked, and not when it
// declines.
func TestAnswersMade(t *testing.T) {
	h := newHandler(testSnapshot(t))
	out := make([]byte, 0, 65535)
	ask := func(name string, qtype uint16) {
		t.Helper()
		if _, ok := h.AnswerPacket(packEdited(t, name, qtype, nil), srcV4, out); !ok {
			t.Fatalf("the fast path declined %s %s", name, dns.TypeToString[qtype])
		}
	}
	if n := h.AnswersMade(); n != 0 {
		t.Fatalf("%d answers made before any query", n)
	}
	for range 3 {
		ask("host.example.test.", dns.TypeA)
	}
	if n := h.AnswersMade(); n != 1 {
		t.Errorf("%d answers made for one name and type asked three times, want 1", n)
	}
	ask("host.example.test.", dns.TypeTXT)
	ask("mail.example.test.", dns.TypeA)
	if n := h.AnswersMade(); n != 3 {
		t.Errorf("%d answers made for three names and types, want 3", n)
	}
	// Past a CNAME the fast path declines TXT: it keeps the mark of that,
	// not an answer.
	if _, ok := h.AnswerPacket(packEdited(t, "a.example.test.", dns.TypeTXT, nil), srcV4, out); ok {
		t.Fatal("the fast path answered TXT past a CNAME; the test needs a type it declines")
	}
	if n := h.AnswersMade(); n != 3 {
		t.Errorf("%d answers made after a declined type, want still 3", n)
	}
}
