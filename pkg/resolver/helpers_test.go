package resolver_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// testSerial is the serial every test snapshot is built with; the SOA
// records the tables expect carry it.
const testSerial = 2024010101

// trafficFile is the traffic document the tests answer from.
var trafficFile = filepath.Join("testdata", "traffic.yaml")

// loadTraffic parses testdata/traffic.yaml as the cluster would.
func loadTraffic(tb testing.TB) *config.Traffic {
	tb.Helper()
	src, err := os.ReadFile(trafficFile)
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := config.ParseTraffic(trafficFile, src, filepath.Dir(trafficFile))
	if err != nil {
		tb.Fatalf("parsing %s: %v", trafficFile, err)
	}
	return tr
}

// testSnapshot builds the test document with testSerial, every endpoint
// healthy.
func testSnapshot(tb testing.TB) *resolver.Snapshot {
	tb.Helper()
	s, err := resolver.Build(loadTraffic(tb), testSerial)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return s
}

// snapshotFrom builds a traffic document given inline, for tests that
// need a service testdata/traffic.yaml does not have.
func snapshotFrom(tb testing.TB, doc string) *resolver.Snapshot {
	tb.Helper()
	tr, err := config.ParseTraffic("inline.yaml", []byte(doc), "")
	if err != nil {
		tb.Fatalf("parsing the inline document: %v", err)
	}
	s, err := resolver.Build(tr, testSerial)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return s
}

// newHandler returns a handler answering from s.
func newHandler(s *resolver.Snapshot) *resolver.Handler {
	h := resolver.NewHandler(resolver.Options{})
	h.Swap(s)
	return h
}

// startServer starts a server for h on 127.0.0.1:0 and stops it when the
// test ends. Start returns once every socket is bound and served, so
// nothing needs to wait afterwards.
func startServer(tb testing.TB, h dns.Handler, edit func(*resolver.ServerOptions)) *resolver.Server {
	tb.Helper()
	opts := resolver.ServerOptions{Addrs: []string{"127.0.0.1:0"}, Handler: h, UDPListeners: 2}
	if edit != nil {
		edit(&opts)
	}
	srv := resolver.NewServer(opts)
	if err := srv.Start(); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
	})
	if len(srv.Addrs()) != 1 {
		tb.Fatalf("Addrs() = %v, want one address", srv.Addrs())
	}
	return srv
}

// ednsOpt describes the OPT record of a query.
type ednsOpt struct {
	size    uint16 // 0: 4096
	version uint8
	do      bool
	// ecs is a client subnet option packed by miekg/dns (which masks the
	// address to the source prefix).
	ecs *dns.EDNS0_SUBNET
	// rawECS, when set, is sent verbatim as the client subnet option's
	// data, for options miekg/dns would not pack.
	rawECS []byte
	// twoECS repeats the client subnet option.
	twoECS bool
}

// dnsCase is one query and the response every transport must give.
// Records are written in zone-file syntax; within a section they are
// compared as sets.
type dnsCase struct {
	name   string
	qname  string
	qtype  uint16
	qclass uint16 // 0: IN
	opcode int    // 0: QUERY
	edns   *ednsOpt
	// edit changes the query after it is built, for what the other
	// fields cannot say.
	edit func(*dns.Msg)
	// skipOPT leaves the response's OPT record unchecked.
	skipOPT bool
	// questions is 2 to send the question twice; an empty qname sends
	// none.
	questions int

	rcode int
	aa    bool
	// udpTC: over UDP the answer does not fit, so TC=1 with empty
	// sections; Resolve and TCP give the full answer.
	udpTC bool
	// udpNoExtra: over UDP the additional section is dropped to fit (no
	// TC); Resolve and TCP carry it.
	udpNoExtra bool
	// noQuestion: the response carries no question section (the query's
	// own was unusable).
	noQuestion bool
	// wireNoQuestion: as noQuestion, but only through the server, where
	// miekg/dns's accept function answers before the handler runs.
	wireNoQuestion bool
	// unpackFails: miekg/dns cannot unpack the query, so the server
	// answers FORMERR itself and the handler never sees it; Resolve is
	// not run.
	unpackFails bool
	// wireNoOPT: through the server, no OPT record in the response even
	// though the query had one (miekg/dns's accept function answers).
	wireNoOPT bool

	answer, ns, extra []string
	// oneRRset replaces the exact answer and additional comparison with
	// "exactly one RRset, owned by the query name" (RFC 8482 ANY).
	oneRRset bool
	// ecsScope is the scope the echoed client subnet option must carry.
	ecsScope uint8
}

// query builds the case's query message.
func (c *dnsCase) query() *dns.Msg {
	m := new(dns.Msg)
	m.Id = dns.Id()
	m.RecursionDesired = true
	m.Opcode = c.opcode
	qclass := c.qclass
	if qclass == 0 {
		qclass = dns.ClassINET
	}
	q := dns.Question{Name: c.qname, Qtype: c.qtype, Qclass: qclass}
	switch {
	case c.qname == "":
	case c.questions == 2:
		m.Question = []dns.Question{q, q}
	default:
		m.Question = []dns.Question{q}
	}
	if e := c.edns; e != nil {
		opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		size := e.size
		if size == 0 {
			size = 4096
		}
		opt.SetUDPSize(size)
		opt.SetVersion(e.version)
		if e.do {
			opt.SetDo()
		}
		if e.ecs != nil {
			opt.Option = append(opt.Option, e.ecs)
			if e.twoECS {
				opt.Option = append(opt.Option, e.ecs)
			}
		}
		if e.rawECS != nil {
			opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: dns.EDNS0SUBNET, Data: e.rawECS})
		}
		m.Extra = append(m.Extra, opt)
	}
	if c.edit != nil {
		c.edit(m)
	}
	return m
}

// transport is how a case's query reaches the handler.
type transport string

const (
	viaResolve transport = "resolve"
	viaUDP     transport = "udp"
	viaTCP     transport = "tcp"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// runCases runs every case through Handler.Resolve and through a real
// server over UDP and over TCP, asserting the same response each way.
func runCases(t *testing.T, h *resolver.Handler, cases []dnsCase) {
	t.Helper()
	srv := startServer(t, h, nil)
	addr := srv.Addrs()[0]
	for i := range cases {
		c := &cases[i]
		t.Run(c.name, func(t *testing.T) {
			q := c.query()
			wire, err := q.Pack()
			if err != nil {
				t.Fatalf("packing the query: %v", err)
			}
			t.Run(string(viaResolve), func(t *testing.T) {
				// The handler sees what the server would: the query
				// as unpacked from the wire.
				in := new(dns.Msg)
				err := in.Unpack(wire)
				if c.unpackFails {
					if err == nil {
						t.Fatal("the query unpacks; the case expects it not to")
					}
					t.Skipf("the server answers before the handler: %v", err)
				}
				if err != nil {
					t.Fatalf("unpacking the query: %v", err)
				}
				c.check(t, viaResolve, q, h.Resolve(in, loopback, false))
			})
			for _, tr := range []transport{viaUDP, viaTCP} {
				t.Run(string(tr), func(t *testing.T) {
					cl := &dns.Client{Net: string(tr), Timeout: 5 * time.Second}
					resp, _, err := cl.Exchange(q, addr)
					if err != nil {
						t.Fatalf("exchange: %v", err)
					}
					c.check(t, tr, q, resp)
				})
			}
		})
	}
}

// check compares resp, the answer to q through tr, with the case.
func (c *dnsCase) check(t *testing.T, tr transport, q, resp *dns.Msg) {
	t.Helper()
	if resp == nil {
		t.Fatal("no response")
	}
	wire := tr != viaResolve
	if resp.Id != q.Id || !resp.Response {
		t.Errorf("id %d response %v, want id %d response true", resp.Id, resp.Response, q.Id)
	}
	if resp.Opcode != q.Opcode {
		t.Errorf("opcode %s, want %s", dns.OpcodeToString[resp.Opcode], dns.OpcodeToString[q.Opcode])
	}
	if resp.Rcode != c.rcode {
		t.Errorf("rcode %s, want %s", rcodeString(resp.Rcode), rcodeString(c.rcode))
	}
	if resp.Authoritative != c.aa {
		t.Errorf("AA %v, want %v", resp.Authoritative, c.aa)
	}
	if resp.RecursionAvailable {
		t.Error("RA set, want clear (authoritative only)")
	}
	if resp.AuthenticatedData || resp.Zero {
		t.Errorf("AD %v Z %v, want both clear", resp.AuthenticatedData, resp.Zero)
	}
	if resp.RecursionDesired != q.RecursionDesired {
		t.Errorf("RD %v, want it copied from the query (%v)", resp.RecursionDesired, q.RecursionDesired)
	}
	truncated := tr == viaUDP && c.udpTC
	if resp.Truncated != truncated {
		t.Errorf("TC %v, want %v", resp.Truncated, truncated)
	}
	if c.noQuestion || (wire && c.wireNoQuestion) {
		if len(resp.Question) != 0 {
			t.Errorf("question %v, want none", resp.Question)
		}
	} else if len(resp.Question) != 1 || resp.Question[0] != q.Question[0] {
		// Compared exactly: the question comes back as sent, case and
		// all.
		t.Errorf("question %v, want %v", resp.Question, q.Question[:1])
	}

	if !c.skipOPT {
		c.checkOPT(t, q, resp, wire)
	}

	answer, ns, extra := c.answer, c.ns, c.extra
	if truncated {
		answer, ns, extra = nil, nil, nil
	}
	if tr == viaUDP && c.udpNoExtra {
		extra = nil
	}
	compareSection(t, "authority", resp.Ns, ns)
	if c.oneRRset && !truncated {
		// The additional section follows the RRset picked.
		checkOneRRset(t, q.Question[0], resp.Answer)
		return
	}
	compareSection(t, "answer", resp.Answer, answer)
	compareSection(t, "additional", withoutOPT(resp.Extra), extra)
}

// checkOPT asserts RFC 6891 §6.1.1: an OPT record in the response exactly
// when the query had one, with our payload size (1232), version 0 and
// the DO bit copied; and the client subnet option echoed (RFC 7871
// §7.2.1).
func (c *dnsCase) checkOPT(t *testing.T, q, resp *dns.Msg, wire bool) {
	t.Helper()
	var opts []*dns.OPT
	for _, rr := range resp.Extra {
		if o, ok := rr.(*dns.OPT); ok {
			opts = append(opts, o)
		}
	}
	if len(opts) > 1 {
		t.Errorf("%d OPT records in the response, want at most one", len(opts))
	}
	if c.edns == nil || (wire && c.wireNoOPT) {
		if len(opts) != 0 {
			t.Errorf("OPT record %v in the response to a query without one", opts[0])
		}
		return
	}
	if len(opts) == 0 {
		t.Error("no OPT record in the response to a query with one")
		return
	}
	opt := opts[0]
	if opt.UDPSize() != resolver.DefaultUDPSize {
		t.Errorf("OPT payload size %d, want %d", opt.UDPSize(), resolver.DefaultUDPSize)
	}
	if opt.Version() != 0 {
		t.Errorf("OPT version %d, want 0", opt.Version())
	}
	if opt.Do() != c.edns.do {
		t.Errorf("OPT DO %v, want %v (copied from the query)", opt.Do(), c.edns.do)
	}
	var echoed []*dns.EDNS0_SUBNET
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_SUBNET); ok {
			echoed = append(echoed, e)
		}
	}
	sent := c.edns.ecs
	if sent == nil || c.rcode == dns.RcodeFormatError {
		return
	}
	if len(echoed) != 1 {
		t.Errorf("%d client subnet options in the response, want the query's echoed", len(echoed))
		return
	}
	got := echoed[0]
	if got.Family != sent.Family || got.SourceNetmask != sent.SourceNetmask || !got.Address.Equal(sent.Address) {
		t.Errorf("client subnet echoed as %s, want family %d, source %s/%d", got, sent.Family, sent.Address, sent.SourceNetmask)
	}
	if got.SourceScope != c.ecsScope {
		t.Errorf("client subnet scope %d, want %d", got.SourceScope, c.ecsScope)
	}
}

// compareSection compares rrs with the records want, written in zone-file
// syntax, as sets.
func compareSection(t *testing.T, section string, rrs []dns.RR, want []string) {
	t.Helper()
	got := make([]string, len(rrs))
	for i, rr := range rrs {
		got[i] = rr.String()
	}
	exp := make([]string, len(want))
	for i, s := range want {
		exp[i] = normRR(t, s)
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("%s section:\n got: %s\nwant: %s", section, fmtRRs(got), fmtRRs(exp))
	}
}

// checkOneRRset asserts an RFC 8482 answer to ANY: one RRset, at the query
// name, of any type.
func checkOneRRset(t *testing.T, q dns.Question, rrs []dns.RR) {
	t.Helper()
	if len(rrs) == 0 {
		t.Error("answer to ANY is empty, want one RRset")
		return
	}
	h0 := rrs[0].Header()
	for _, rr := range rrs {
		h := rr.Header()
		if !strings.EqualFold(h.Name, q.Name) || h.Rrtype != h0.Rrtype || h.Class != h0.Class {
			t.Errorf("answer to ANY holds more than one RRset or another name: %s", fmtRRs(rrStrings(rrs)))
			return
		}
	}
}

// normRR parses a record in zone-file syntax and prints it as miekg/dns
// does, so that spacing and letter case in the tables do not matter.
func normRR(t *testing.T, s string) string {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil || rr == nil {
		t.Fatalf("bad record in the test table %q: %v", s, err)
	}
	return rr.String()
}

func withoutOPT(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}

func rrStrings(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	return out
}

func fmtRRs(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return "\n\t" + strings.Join(s, "\n\t")
}

func rcodeString(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// Records of the test document, written once.

func soaRR(zone string, ttl, minimum uint32) string {
	return fmt.Sprintf("%s %d IN SOA ns1.example.test. hostmaster.example.test. %d 7200 900 1209600 %d", zone, ttl, testSerial, minimum)
}

var (
	// apexSOA is example.test.'s SOA as answered at the apex (zone ttl
	// 300); negSOA is the same with the negative TTL, min(300, 60).
	apexSOA = soaRR("example.test.", 300, 60)
	negSOA  = soaRR("example.test.", 60, 60)
	// subApexSOA is sub.example.test.'s (ttl 30, minimum 600);
	// subNegSOA has min(30, 600) = 30.
	subApexSOA = soaRR("sub.example.test.", 30, 600)
	subNegSOA  = soaRR("sub.example.test.", 30, 600)

	apexNS = []string{
		"example.test. 300 IN NS ns1.example.test.",
		"example.test. 300 IN NS ns2.example.test.",
	}
	apexGlue = []string{
		"ns1.example.test. 300 IN A 192.0.2.1",
		"ns1.example.test. 300 IN AAAA 2001:db8::1",
		"ns2.example.test. 300 IN A 192.0.2.2",
	}
	childNS   = []string{"child.example.test. 300 IN NS ns.child.example.test."}
	childGlue = []string{"ns.child.example.test. 300 IN A 192.0.2.54"}
	outNS     = []string{
		"outdeleg.example.test. 300 IN NS ns1.example.net.",
		"outdeleg.example.test. 300 IN NS ns2.example.net.",
	}
	hostA = []string{
		"host.example.test. 300 IN A 192.0.2.10",
		"host.example.test. 300 IN A 192.0.2.11",
	}
)

// txtSet returns the records of bigtxt (8) or midtxt (3).
func txtSet(owner, prefix, fill string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s 300 IN TXT \"%s-%d-%s\"", owner, prefix, i, strings.Repeat(fill, 190))
	}
	return out
}

var (
	bigTXT = txtSet("bigtxt.example.test.", "big", "x", 8)
	midTXT = txtSet("midtxt.example.test.", "mid", "y", 3)
)

// mx1A is the 40 addresses of mx1.example.test.
func mx1A() []string {
	out := make([]string, 40)
	for i := range out {
		out[i] = fmt.Sprintf("mx1.example.test. 300 IN A 192.0.2.%d", 100+i)
	}
	return out
}

// bigDeleg is the NS set of bigdeleg.example.test. and its glue.
func bigDeleg() (ns, glue []string) {
	for i := 1; i <= 12; i++ {
		host := fmt.Sprintf("ns%02d.bigdeleg.example.test.", i)
		ns = append(ns, "bigdeleg.example.test. 300 IN NS "+host)
		glue = append(glue, fmt.Sprintf("%s 300 IN A 198.51.100.%d", host, i), fmt.Sprintf("%s 300 IN AAAA 2001:db8:53::%d", host, i))
	}
	return ns, glue
}

// concat joins record lists.
func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// ecs4 and ecs6 are valid client subnet options.
func ecs4(addr string, bits uint8) *dns.EDNS0_SUBNET {
	return &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: bits, Address: net.ParseIP(addr).To4()}
}

func ecs6(addr string, bits uint8) *dns.EDNS0_SUBNET {
	return &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 2, SourceNetmask: bits, Address: net.ParseIP(addr)}
}

// fakeWriter is a dns.ResponseWriter that keeps (or discards) what the
// handler writes.
type fakeWriter struct {
	remote net.Addr
	// discard drops the bytes, for benchmarks.
	discard bool
	out     []byte
	writes  int
}

var _ dns.ResponseWriter = (*fakeWriter)(nil)

var (
	fakeUDPClient = &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1).To4(), Port: 53535}
	fakeTCPClient = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1).To4(), Port: 53535}
	fakeLocal     = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 53}
)

func (w *fakeWriter) LocalAddr() net.Addr  { return fakeLocal }
func (w *fakeWriter) RemoteAddr() net.Addr { return w.remote }

func (w *fakeWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func (w *fakeWriter) Write(b []byte) (int, error) {
	w.writes++
	if !w.discard {
		w.out = append(w.out[:0], b...)
	}
	return len(b), nil
}

func (w *fakeWriter) Close() error        { return nil }
func (w *fakeWriter) TsigStatus() error   { return nil }
func (w *fakeWriter) TsigTimersOnly(bool) {}
func (w *fakeWriter) Hijack()             {}

// packEdited packs a query for name and qtype, edited by edit when set.
func packEdited(tb testing.TB, name string, qtype uint16, edit func(*dns.Msg)) []byte {
	tb.Helper()
	m := new(dns.Msg).SetQuestion(name, qtype)
	if edit != nil {
		edit(m)
	}
	b, err := m.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
