package resolver_test

import (
	"crypto"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// testSigner signs with one Ed25519 combined key, without a cache:
// enough to check what the resolver puts in an answer, with a real
// algorithm. Ed25519 and a validity fixed when the signer is made give
// the same signature to the same RRset, so two handlers' answers can be
// compared byte for byte.
type testSigner struct {
	zone                  string
	key                   *dns.DNSKEY
	priv                  crypto.Signer
	inception, expiration uint32
	signs                 atomic.Int64
	fail                  bool
}

func newTestSigner(tb testing.TB, zone string) *testSigner {
	tb.Helper()
	k := &dns.DNSKEY{
		Hdr:   dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags: 257, Protocol: 3, Algorithm: dns.ED25519,
	}
	priv, err := k.Generate(256)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	return &testSigner{
		zone: zone, key: k, priv: priv.(crypto.Signer),
		inception: uint32(now.Add(-time.Hour).Unix()), expiration: uint32(now.Add(24 * time.Hour).Unix()),
	}
}

func (s *testSigner) Sign(rrset []dns.RR) ([]dns.RR, error) {
	if s.fail {
		return nil, dns.ErrAlg
	}
	s.signs.Add(1)
	h := rrset[0].Header()
	sig := &dns.RRSIG{
		Hdr:        dns.RR_Header{Name: strings.ToLower(h.Name), Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: h.Ttl},
		Algorithm:  s.key.Algorithm,
		KeyTag:     s.key.KeyTag(),
		SignerName: s.zone,
		Inception:  s.inception,
		Expiration: s.expiration,
	}
	if err := sig.Sign(s.priv, rrset); err != nil {
		return nil, err
	}
	return []dns.RR{sig}, nil
}

func (s *testSigner) DNSKEYs() []dns.RR            { return []dns.RR{s.key} }
func (s *testSigner) CDS() []dns.RR                { return nil }
func (s *testSigner) CDNSKEY() []dns.RR            { return nil }
func (s *testSigner) KeyTags(uint16) []uint16      { return []uint16{s.key.KeyTag()} }
func (s *testSigner) dnskey() *dns.DNSKEY          { return s.key }
func (s *testSigner) signedBy(sig *dns.RRSIG) bool { return sig.KeyTag == s.key.KeyTag() }

// signedHandler serves the test document with example.test. signed by
// signer; sub.example.test. stays unsigned.
func signedHandler(tb testing.TB, signer *testSigner) *resolver.Handler {
	tb.Helper()
	s := testSnapshot(tb).WithSigning(map[string]resolver.Signing{"example.test.": {Signer: signer}})
	return newHandler(s)
}

// doQuery asks name/qtype over transport with the DO bit (and CO when
// co), from a real client.
func doQuery(tb testing.TB, addr, transport, name string, qtype uint16, co bool) *dns.Msg {
	tb.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.SetEdns0(1232, true)
	if co {
		q.IsEdns0().Hdr.Ttl |= 0x4000
	}
	c := &dns.Client{Net: transport, Timeout: 5 * time.Second, UDPSize: 1232}
	resp, _, err := c.Exchange(q, addr)
	if err != nil {
		tb.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], transport, err)
	}
	return resp
}

// rrsets groups a section's records by owner and type, signatures apart.
func rrsets(rrs []dns.RR) (sets map[string][]dns.RR, sigs map[string][]*dns.RRSIG) {
	sets, sigs = map[string][]dns.RR{}, map[string][]*dns.RRSIG{}
	for _, rr := range rrs {
		h := rr.Header()
		if sig, ok := rr.(*dns.RRSIG); ok {
			k := strings.ToLower(h.Name) + "/" + dns.TypeToString[sig.TypeCovered]
			sigs[k] = append(sigs[k], sig)
			continue
		}
		if h.Rrtype == dns.TypeOPT {
			continue
		}
		k := strings.ToLower(h.Name) + "/" + dns.TypeToString[h.Rrtype]
		sets[k] = append(sets[k], rr)
	}
	return sets, sigs
}

// checkSigned verifies that every RRset of the section owned inside
// example.test. (not below a delegation, not sub.example.test.) carries
// a signature that validates with signer's key, and that nothing else is
// signed.
func checkSigned(t *testing.T, section string, rrs []dns.RR, signer *testSigner, unsignedSets ...string) {
	t.Helper()
	sets, sigs := rrsets(rrs)
	for k, set := range sets {
		owner := strings.ToLower(set[0].Header().Name)
		want := dns.IsSubDomain("example.test.", owner) && !dns.IsSubDomain("sub.example.test.", owner) && !slices.Contains(unsignedSets, k)
		got := sigs[k]
		if !want {
			if len(got) > 0 {
				t.Errorf("%s: %s is signed; it should not be", section, k)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s: %s has %d signatures, want 1", section, k, len(got))
			continue
		}
		if err := got[0].Verify(signer.dnskey(), set); err != nil {
			t.Errorf("%s: the signature of %s does not verify: %v", section, k, err)
		}
		if !got[0].ValidityPeriod(time.Now()) {
			t.Errorf("%s: the signature of %s is not valid now", section, k)
		}
	}
	for k := range sigs {
		if _, ok := sets[k]; !ok {
			t.Errorf("%s: a signature covers %s, which is not there", section, k)
		}
	}
}

// nsecOf returns the one NSEC of rrs, or nil.
func nsecOf(t *testing.T, rrs []dns.RR) *dns.NSEC {
	t.Helper()
	var found *dns.NSEC
	for _, rr := range rrs {
		if n, ok := rr.(*dns.NSEC); ok {
			if found != nil {
				t.Errorf("more than one NSEC: %v and %v", found, n)
			}
			found = n
		}
	}
	return found
}

func typesOf(names ...string) []uint16 {
	var types []uint16
	for _, n := range names {
		if n == "NXNAME" {
			types = append(types, 128)
			continue
		}
		types = append(types, dns.StringToType[n])
	}
	slices.Sort(types)
	return types
}

func TestSignedAnswers(t *testing.T) {
	signer := newTestSigner(t, "example.test.")
	srv := startServer(t, signedHandler(t, signer), nil)
	addr := srv.Addrs()[0]
	cases := []struct {
		name  string
		qtype uint16
		co    bool
		// rcode and answer count expected; nsec, when set, is the owner
		// and bitmap of the compact denial.
		rcode     int
		answers   int
		nsecOwner string
		nsecTypes []uint16
		// unsigned lists the RRsets (owner/TYPE) that go unsigned: a
		// delegation's NS.
		unsigned []string
	}{
		{name: "host.example.test.", qtype: dns.TypeA, answers: 2},
		{name: "HoSt.Example.Test.", qtype: dns.TypeA, answers: 2},
		{name: "example.test.", qtype: dns.TypeSOA, answers: 1},
		{name: "example.test.", qtype: dns.TypeDNSKEY, answers: 1},
		{name: "www.example.test.", qtype: dns.TypeA, answers: 1},
		{name: "www.example.test.", qtype: dns.TypeAAAA, answers: 1},
		{name: "a.example.test.", qtype: dns.TypeA, answers: 3},
		{name: "anything.wild.example.test.", qtype: dns.TypeTXT, answers: 1},
		{name: "x.wcname.example.test.", qtype: dns.TypeA, answers: 2},
		{name: "tosub.example.test.", qtype: dns.TypeA, answers: 2},
		// Negative answers: compact denial.
		{name: "nope.example.test.", qtype: dns.TypeA, nsecOwner: "nope.example.test.", nsecTypes: typesOf("RRSIG", "NSEC", "NXNAME")},
		{name: "nope.example.test.", qtype: dns.TypeA, co: true, rcode: dns.RcodeNameError, nsecOwner: "nope.example.test.", nsecTypes: typesOf("RRSIG", "NSEC", "NXNAME")},
		{name: "host.example.test.", qtype: dns.TypeMX, nsecOwner: "host.example.test.", nsecTypes: typesOf("A", "AAAA", "TXT", "RRSIG", "NSEC")},
		{name: "example.test.", qtype: dns.TypeCDS, nsecOwner: "example.test.", nsecTypes: typesOf("SOA", "NS", "MX", "TXT", "DNSKEY", "RRSIG", "NSEC")},
		{name: "www.example.test.", qtype: dns.TypeTXT, nsecOwner: "www.example.test.", nsecTypes: typesOf("A", "AAAA", "RRSIG", "NSEC")},
		{name: "y.z.example.test.", qtype: dns.TypeA, nsecOwner: "y.z.example.test.", nsecTypes: typesOf("RRSIG", "NSEC")},
		{name: "anything.wild.example.test.", qtype: dns.TypeMX, nsecOwner: "anything.wild.example.test.", nsecTypes: typesOf("A", "TXT", "RRSIG", "NSEC")},
		{name: "dangling.example.test.", qtype: dns.TypeA, answers: 1, nsecOwner: "missing.example.test.", nsecTypes: typesOf("RRSIG", "NSEC", "NXNAME")},
		// Delegations: no DS, so an NSEC at the cut proves it insecure.
		{name: "www.child.example.test.", qtype: dns.TypeA, nsecOwner: "child.example.test.", nsecTypes: typesOf("NS", "RRSIG", "NSEC"), unsigned: []string{"child.example.test./NS"}},
		{name: "child.example.test.", qtype: dns.TypeDS, nsecOwner: "child.example.test.", nsecTypes: typesOf("NS", "RRSIG", "NSEC")},
		// The other zone is not signed: nothing of it carries RRSIG.
		{name: "host.sub.example.test.", qtype: dns.TypeA, answers: 1},
	}
	for _, tr := range []string{"udp", "tcp"} {
		for _, c := range cases {
			t.Run(tr+"/"+c.name+"/"+dns.TypeToString[c.qtype], func(t *testing.T) {
				resp := doQuery(t, addr, tr, c.name, c.qtype, c.co)
				if resp.Rcode != c.rcode {
					t.Fatalf("rcode %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[c.rcode])
				}
				if opt := resp.IsEdns0(); opt == nil || !opt.Do() {
					t.Errorf("the response's OPT record does not echo DO")
				} else if got := opt.Hdr.Ttl&0x4000 != 0; got != c.co {
					t.Errorf("CO echoed %v, want %v", got, c.co)
				}
				sets, _ := rrsets(resp.Answer)
				n := 0
				for _, set := range sets {
					n += len(set)
				}
				if n != c.answers {
					t.Errorf("%d answer records, want %d:\n%v", n, c.answers, resp.Answer)
				}
				checkSigned(t, "answer", resp.Answer, signer)
				checkSigned(t, "authority", resp.Ns, signer, c.unsigned...)
				nsec := nsecOf(t, resp.Ns)
				switch {
				case c.nsecOwner == "" && nsec != nil:
					t.Errorf("unexpected NSEC %v", nsec)
				case c.nsecOwner != "" && nsec == nil:
					t.Errorf("no NSEC in the authority section:\n%v", resp.Ns)
				case nsec != nil:
					if nsec.Hdr.Name != c.nsecOwner || nsec.NextDomain != "\\000."+c.nsecOwner {
						t.Errorf("NSEC %s -> %s, want %s -> \\000.%s", nsec.Hdr.Name, nsec.NextDomain, c.nsecOwner, c.nsecOwner)
					}
					if !slices.Equal(nsec.TypeBitMap, c.nsecTypes) {
						t.Errorf("NSEC types %v, want %v", nsec.TypeBitMap, c.nsecTypes)
					}
					if slices.Contains(nsec.TypeBitMap, c.qtype) {
						t.Errorf("the NSEC says %s exists, which the answer denies", dns.TypeToString[c.qtype])
					}
				}
			})
		}
	}
}

// TestSigningNeedsDO: without the DO bit, a signed zone answers exactly
// as an unsigned one, the apex keys aside, and signs nothing.
func TestSigningNeedsDO(t *testing.T) {
	signer := newTestSigner(t, "example.test.")
	signed := signedHandler(t, signer)
	plain := newHandler(testSnapshot(t))
	for _, c := range []struct {
		name  string
		qtype uint16
	}{
		{"host.example.test.", dns.TypeA},
		{"nope.example.test.", dns.TypeA},
		{"host.example.test.", dns.TypeMX},
		{"www.child.example.test.", dns.TypeA},
		{"www.example.test.", dns.TypeAAAA},
	} {
		q := new(dns.Msg)
		q.SetQuestion(c.name, c.qtype)
		q.SetEdns0(1232, false)
		a := signed.Resolve(q, netip.MustParseAddr("192.0.2.77"), false)
		b := plain.Resolve(q, netip.MustParseAddr("192.0.2.77"), false)
		if a.String() != b.String() {
			t.Errorf("%s %s without DO differs from the unsigned zone's:\n%v\nwant\n%v", c.name, dns.TypeToString[c.qtype], a, b)
		}
	}
	if n := signer.signs.Load(); n != 0 {
		t.Errorf("%d signatures made for queries without DO", n)
	}
	q := new(dns.Msg)
	q.SetQuestion("example.test.", dns.TypeDNSKEY)
	if a := signed.Resolve(q, netip.MustParseAddr("192.0.2.77"), false); len(a.Answer) != 1 || a.Answer[0].Header().Rrtype != dns.TypeDNSKEY {
		t.Errorf("DNSKEY without DO answered %v, want the key", a.Answer)
	}
}

// TestSigningFailures: a zone to sign with no key, or whose signer
// fails, answers SERVFAIL; one allowed to go unsigned answers unsigned.
func TestSigningFailures(t *testing.T) {
	failing := newTestSigner(t, "example.test.")
	failing.fail = true
	for _, c := range []struct {
		desc    string
		signing resolver.Signing
		do      bool
		rcode   int
	}{
		{"no key", resolver.Signing{}, false, dns.RcodeServerFailure},
		{"no key, DO", resolver.Signing{}, true, dns.RcodeServerFailure},
		{"no key, unsigned fallback", resolver.Signing{Unsigned: true}, true, dns.RcodeSuccess},
		{"signer fails", resolver.Signing{Signer: failing}, true, dns.RcodeServerFailure},
		{"signer fails, no DO", resolver.Signing{Signer: failing}, false, dns.RcodeSuccess},
	} {
		t.Run(c.desc, func(t *testing.T) {
			h := newHandler(testSnapshot(t).WithSigning(map[string]resolver.Signing{"example.test.": c.signing}))
			srv := startServer(t, h, nil)
			q := new(dns.Msg)
			q.SetQuestion("host.example.test.", dns.TypeA)
			q.SetEdns0(1232, c.do)
			resp, err := dns.Exchange(q, srv.Addrs()[0])
			if err != nil {
				t.Fatal(err)
			}
			if resp.Rcode != c.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[c.rcode])
			}
			for _, rr := range resp.Answer {
				if rr.Header().Rrtype == dns.TypeRRSIG {
					t.Errorf("an unsigned answer carries %v", rr)
				}
			}
			// The other zone is untouched.
			q.SetQuestion("host.sub.example.test.", dns.TypeA)
			if resp, err = dns.Exchange(q, srv.Addrs()[0]); err != nil || resp.Rcode != dns.RcodeSuccess {
				t.Errorf("sub.example.test. answered %v, %v", resp, err)
			}
		})
	}
}

// TestNXNAMEQuery: a query for the NXNAME type is malformed (RFC 9824
// §3.5), whichever path reads it.
func TestNXNAMEQuery(t *testing.T) {
	srv := startServer(t, newHandler(testSnapshot(t)), nil)
	q := new(dns.Msg)
	q.SetQuestion("host.example.test.", 128)
	resp, err := dns.Exchange(q, srv.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	if resp.Rcode != dns.RcodeFormatError {
		t.Errorf("rcode %s, want FORMERR", dns.RcodeToString[resp.Rcode])
	}
}

// TestExplainSigning: Explain says whether and with which key the
// answer is signed.
func TestExplainSigning(t *testing.T) {
	signer := newTestSigner(t, "example.test.")
	h := newHandler(testSnapshot(t).WithSigning(map[string]resolver.Signing{
		"example.test.":     {Signer: signer},
		"sub.example.test.": {Unsigned: true},
	}))
	for _, c := range []struct {
		name   string
		signed bool
		reason string
	}{
		{"host.example.test.", true, ""},
		{"host.sub.example.test.", false, "unsigned_fallback"},
		{"www.example.net.", false, "no zone"},
	} {
		e := h.Explain(c.name, dns.TypeA, netip.MustParseAddr("192.0.2.1"), netip.Prefix{})
		if e.Signing.Signed != c.signed || !strings.Contains(e.Signing.Reason, c.reason) {
			t.Errorf("%s: signing %+v, want signed %v and a reason with %q", c.name, e.Signing, c.signed, c.reason)
		}
		if c.signed && (!slices.Equal(e.Signing.KeyTags, []uint16{signer.key.KeyTag()}) || e.Signing.Algorithm != dns.ED25519) {
			t.Errorf("%s: signed with %v alg %d, want key %d alg %d", c.name, e.Signing.KeyTags, e.Signing.Algorithm, signer.key.KeyTag(), dns.ED25519)
		}
	}
}
