package config

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func mustRRs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	rrs := make([]dns.RR, len(lines))
	for i, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		rrs[i] = rr
	}
	return rrs
}

// TestWireRRsetRoundTrip: an RRset of each kind a zone holds packs and
// unpacks to the records it was, in their order, under the owner given.
func TestWireRRsetRoundTrip(t *testing.T) {
	cases := [][]string{
		{"a.test. 60 IN A 192.0.2.1"},
		{"a.test. 60 IN A 192.0.2.1", "a.test. 60 IN A 192.0.2.2", "a.test. 60 IN A 192.0.2.1"},
		{"a.test. 0 IN AAAA 2001:db8::1"},
		{"a.test. 300 IN AAAA ::ffff:192.0.2.1"},
		{"a.test. 300 IN CNAME Target.Example."},
		{"a.test. 300 IN NS ns1.test.", "a.test. 300 IN NS ns2.other."},
		{"a.test. 300 IN MX 10 mail.test."},
		{`a.test. 300 IN TXT "v=spf1 -all" "second \"quoted\" \\ string"`, `a.test. 300 IN TXT "\000\255 bytes"`, `a.test. 300 IN TXT ""`},
		{"a.test. 300 IN SRV 0 5 5060 sip.test."},
		{`a.test. 300 IN CAA 0 issue "letsencrypt.org"`},
		{"a.test. 300 IN PTR host.test."},
		{"a.test. 300 IN SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac"},
		{"a.test. 300 IN TLSA 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"},
		{"a.test. 300 IN DS 60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118"},
		{`a.test. 300 IN NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .`},
		{`a.test. 300 IN HTTPS 1 . alpn="h2,h3" ipv4hint=192.0.2.1`},
		{`a.test. 300 IN TYPE65534 \# 4 0a0b0c0d`},
		{"a.test. 300 IN SOA ns.test. host.test. 7 3600 600 86400 60"},
	}
	for _, c := range cases {
		rrs := mustRRs(t, c...)
		w, asWritten, ok := PackRRset(rrs)
		if !ok || !asWritten {
			t.Errorf("%s: packed %v, as written %v", c[0], ok, asWritten)
			continue
		}
		if w.TTL() != rrs[0].Header().Ttl || w.Len() != len(rrs) {
			t.Errorf("%s: TTL %d, %d records; want %d, %d", c[0], w.TTL(), w.Len(), rrs[0].Header().Ttl, len(rrs))
		}
		back, err := w.RRs("b.test.", rrs[0].Header().Rrtype)
		if err != nil {
			t.Errorf("%s: %v", c[0], err)
			continue
		}
		if len(back) != len(rrs) {
			t.Errorf("%s: %d records back, want %d", c[0], len(back), len(rrs))
			continue
		}
		for i := range rrs {
			want := strings.Replace(rrs[i].String(), "a.test.", "b.test.", 1)
			if got := back[i].String(); got != want {
				t.Errorf("record %d back as %q, want %q", i, got, want)
			}
		}
	}
}

// TestWireRRsetRefuses: what is not one RRset of class IN stays parsed.
func TestWireRRsetRefuses(t *testing.T) {
	cases := map[string][]dns.RR{
		"none":             nil,
		"two owners":       mustRRs(t, "a.test. 60 IN A 192.0.2.1", "b.test. 60 IN A 192.0.2.2"),
		"two TTLs":         mustRRs(t, "a.test. 60 IN A 192.0.2.1", "a.test. 61 IN A 192.0.2.2"),
		"two types":        mustRRs(t, "a.test. 60 IN A 192.0.2.1", "a.test. 60 IN AAAA 2001:db8::1"),
		"class CH":         mustRRs(t, "a.test. 60 CH TXT hello"),
		"owner's case":     mustRRs(t, "a.test. 60 IN A 192.0.2.1", "A.test. 60 IN A 192.0.2.2"),
		"an A of 16 bytes": {&dns.A{Hdr: dns.RR_Header{Name: "a.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP("2001:db8::1")}},
	}
	for name, rrs := range cases {
		if w, _, ok := PackRRset(rrs); ok {
			t.Errorf("%s: packed as %q", name, w)
		}
	}
}

// TestWireRRsetAsWritten: records whose wire format unpacks to records
// printed otherwise are packed, and said not to be as written, so that
// whoever holds their text keeps it; the others are.
func TestWireRRsetAsWritten(t *testing.T) {
	cases := []struct {
		rr   string
		want bool
	}{
		{"a.test. 300 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", true},
		{"a.test. 300 IN SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac", true},
		{`a.test. 300 IN TXT "\065"`, true},
		{"a.test. 300 IN TXT \"\xc3\xa9\"", true},
		{"a.test. 300 IN CNAME \\046odd.test.", true},
		// The parser keeps an escape in a name that unpacking writes
		// as the letter it stands for.
		{"a.test. 300 IN CNAME A\\065.test.", false},
		{"a.test. 300 IN MX 10 mail\\065.test.", false},
	}
	for _, c := range cases {
		rrs := mustRRs(t, c.rr)
		w, asWritten, ok := PackRRset(rrs)
		if !ok {
			t.Errorf("%s: not packed", c.rr)
			continue
		}
		if asWritten != c.want {
			t.Errorf("%s: as written %v, want %v", c.rr, asWritten, c.want)
		}
		back, err := w.RRs("a.test.", rrs[0].Header().Rrtype)
		if err != nil {
			t.Fatalf("%s: %v", c.rr, err)
		}
		if same := RData(back[0]) == RData(rrs[0]); same != asWritten {
			t.Errorf("%s: back as %q: as written %v", c.rr, RData(back[0]), asWritten)
		}
	}
}

// TestWireRRsetBad: bytes that are not a packed RRset are an error that
// says where, never a panic.
func TestWireRRsetBad(t *testing.T) {
	cases := map[string]string{
		"no TTL":           "\x00\x00",
		"length cut":       "\x00\x00\x00\x3c\x00",
		"data cut":         "\x00\x00\x00\x3c\x00\x04\xc0\x00\x02",
		"data too long":    "\x00\x00\x00\x3c\x00\x05\xc0\x00\x02\x01\x09",
		"bad name in data": "\x00\x00\x00\x3c\x00\x02\x05a",
	}
	for name, w := range cases {
		rrtype := dns.TypeA
		if strings.Contains(name, "name") {
			rrtype = dns.TypeCNAME
		}
		if rrs, err := WireRRset(w).RRs("a.test.", rrtype); err == nil {
			t.Errorf("%s: unpacked to %v, want an error", name, rrs)
		} else if !strings.Contains(err.Error(), "a.test.") {
			t.Errorf("%s: %v does not name the owner", name, err)
		}
	}
}

// FuzzWireRRset: any bytes unpack to records or to an error, and what
// packs comes back as it was.
func FuzzWireRRset(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"), uint16(dns.TypeA))
	f.Add([]byte("\x00\x00\x00\x3c\x00\x06\x04host\x00"), uint16(dns.TypeCNAME))
	f.Add([]byte("\x00\x00\x00\x3c\x00\x03\x02hi"), uint16(dns.TypeTXT))
	f.Fuzz(func(t *testing.T, b []byte, rrtype uint16) {
		rrs, err := WireRRset(b).RRs("f.test.", rrtype)
		if err != nil || len(rrs) == 0 {
			return
		}
		w, _, ok := PackRRset(rrs)
		if !ok {
			return
		}
		again, err := w.RRs("f.test.", rrtype)
		if err != nil {
			t.Fatalf("%q packed from %v does not unpack: %v", w, rrs, err)
		}
		for i := range rrs {
			if again[i].String() != rrs[i].String() {
				t.Fatalf("record %d: %q, then %q", i, rrs[i], again[i])
			}
		}
	})
}

// TestPackedMatchesParser: for every record it takes, Record.Packed
// packs what the parser and PackRRset make, and says plain exactly when
// RData writes each record back as written.
func TestPackedMatchesParser(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	data := []string{
		"192.0.2.1", "0.0.0.0", "255.255.255.255", "010.0.0.1", "1.2.3", "1.2.3.4.5", "256.1.1.1",
		"2001:db8::1", "2001:DB8::1", "2001:0db8::1", "::", "::1", "::ffff:192.0.2.1", "::ffff:c000:201",
		"fe80::1%eth0", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7",
	}
	for range 2000 {
		var b [16]byte
		for i := range b {
			if rnd.IntN(3) > 0 {
				b[i] = byte(rnd.IntN(256))
			}
		}
		data = append(data, netip.AddrFrom4([4]byte(b[:4])).String(), netip.AddrFrom16(b).String(), strings.ToUpper(netip.AddrFrom16(b).String()), netip.AddrFrom16(b).StringExpanded())
	}
	for _, d := range data {
		for _, typ := range []string{"A", "AAAA"} {
			r := Record{Name: "a", Type: typ, Data: []string{d}}
			owner, w, plain, ok := r.Packed("test.", 300)
			if !ok {
				continue
			}
			rrs, err := r.RRs("test.", 300)
			if err != nil {
				t.Errorf("%s %q: QuickWire takes it, the parser: %v", typ, d, err)
				continue
			}
			want, _, _ := PackRRset(rrs)
			if owner != rrs[0].Header().Name || w != want {
				t.Errorf("%s %q: Packed %s %x, the parser %s %x", typ, d, owner, w, rrs[0].Header().Name, want)
			}
			if back := RData(rrs[0]) == d; plain != back {
				t.Errorf("%s %q: plain %v, written back as %q", typ, d, plain, RData(rrs[0]))
			}
		}
	}
	ttl := uint32(60)
	others := []Record{
		{Name: "a", Type: "TXT", Data: []string{`"x"`}},
		{Name: "a", Type: "a", Data: []string{"192.0.2.1"}},
		{Name: `a\.b`, Type: "A", Data: []string{"192.0.2.1"}},
		{Name: "a", Type: "A"},
	}
	for _, r := range others {
		if _, w, _, ok := r.Packed("test.", 300); ok {
			t.Errorf("%s %s %v: packed as %q, want the long way", r.Name, r.Type, r.Data, w)
		}
	}
	two := Record{Name: "b.test.", Type: "A", TTL: &ttl, Data: []string{"192.0.2.1", "192.0.2.2"}}
	if owner, w, plain, ok := two.Packed("test.", 300); !ok || owner != "b.test." || w.Len() != 2 || w.TTL() != 60 || !plain {
		t.Errorf("two addresses: %s %q, %v, %v", owner, w, plain, ok)
	}
}

// TestWireRRsetCheck: Check takes what PackRRset makes and names what is
// wrong in anything laid out otherwise.
func TestWireRRsetCheck(t *testing.T) {
	for _, lines := range [][]string{
		{"a.test. 60 IN A 192.0.2.1", "a.test. 60 IN A 192.0.2.2"},
		{"a.test. 60 IN AAAA 2001:db8::1"},
		{`a.test. 60 IN TXT "one" "two"`},
	} {
		rrs := mustRRs(t, lines...)
		w, _, _ := PackRRset(rrs)
		if err := w.Check(rrs[0].Header().Rrtype); err != nil {
			t.Errorf("%s: %v", lines[0], err)
		}
	}
	bad := []struct {
		wire   string
		rrtype uint16
		want   string
	}{
		{"", dns.TypeA, "too short"},
		{"\x00\x00\x00\x3c", dns.TypeTXT, "too short"},
		{"\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01\x00", dns.TypeA, "record 2 cut short"},
		{"\x00\x00\x00\x3c\x00\x05\xc0\x00\x02\x01", dns.TypeA, "record 1 cut short"},
		{"\x00\x00\x00\x3c\x00\x03\xc0\x00\x02", dns.TypeA, "record 1 is 3 bytes, not an address"},
		{"\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01", dns.TypeAAAA, "record 1 is 4 bytes, not an address"},
	}
	for _, c := range bad {
		err := WireRRset(c.wire).Check(c.rrtype)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q as %s: %v, want %q", c.wire, TypeName(c.rrtype), err, c.want)
		}
	}
}
