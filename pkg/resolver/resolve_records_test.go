package resolver_test

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// TestResolvedRecordsOutliveLaterQueries: the records of a response
// Resolve returns are the caller's: queries answered after it, through
// Resolve and ServeDNS (whose pooled states reuse the memory of the
// records they unpack), leave them as they were.
func TestResolvedRecordsOutliveLaterQueries(t *testing.T) {
	h := newHandler(testSnapshot(t))
	client := netip.MustParseAddr("192.0.2.1")
	first := h.Resolve(new(dns.Msg).SetQuestion("host.example.test.", dns.TypeA), client, false)
	want := first.String()
	if len(first.Answer) == 0 {
		t.Fatalf("no answer to build on:\n%s", want)
	}
	for _, name := range []string{"ns1.example.test.", "mail.example.test.", "host.example.test."} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			q := new(dns.Msg).SetQuestion(name, qtype)
			h.Resolve(q, client, false)
			h.ServeDNS(&fakeWriter{remote: fakeUDPClient}, q)
			h.ServeDNS(&fakeWriter{remote: fakeTCPClient}, q)
		}
	}
	if got := first.String(); got != want {
		t.Errorf("the response changed under later queries:\n%s\nwas\n%s", got, want)
	}
}

// TestBuildChecksPackedRecords: records handed to a build packed
// (config.Record.Wire, as the store hands them) that are not laid out as
// packed records are are a build error naming them, not answers that
// fail later.
func TestBuildChecksPackedRecords(t *testing.T) {
	doc := loadTraffic(t)
	good, _, _ := config.PackRRset([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "packed.example.test.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 7).To4()}})
	doc.Zones[0].Records = append(doc.Zones[0].Records, config.Record{Name: "packed.example.test.", Type: "A", Wire: good})
	s, err := resolver.Build(doc, testSerial)
	if err != nil {
		t.Fatalf("a packed A record: %v", err)
	}
	resp := newHandler(s).Resolve(new(dns.Msg).SetQuestion("packed.example.test.", dns.TypeA), netip.MustParseAddr("192.0.2.1"), false)
	if len(resp.Answer) != 1 || resp.Answer[0].String() != "packed.example.test.\t60\tIN\tA\t192.0.2.7" {
		t.Errorf("a packed A record answered as %v", resp.Answer)
	}
	doc.Zones[0].Records[len(doc.Zones[0].Records)-1].Wire = good[:len(good)-1]
	if _, err := resolver.Build(doc, testSerial); err == nil || !strings.Contains(err.Error(), "packed.example.test.") || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("a packed A record cut short: %v, want an error naming it", err)
	}
}

// TestPackedRecordsAnswerAsParsed: a snapshot holding its records packed
// answers every name it holds, a name below each, and every common type,
// over UDP and TCP, with and without EDNS and DNSSEC OK, with the same
// bytes as the same snapshot holding them parsed.
func TestPackedRecordsAnswerAsParsed(t *testing.T) {
	packed, parsed := testSnapshot(t), testSnapshot(t)
	if n := resolver.UnpackAll(parsed); n < 50 {
		t.Fatalf("%d packed RRsets to compare, want the test zone's", n)
	}
	hp, hq := newHandler(packed), newHandler(parsed)
	var names []string
	for _, name := range resolver.NodeNames(packed) {
		below := strings.TrimPrefix(name, "*.")
		names = append(names, name, "Below."+below, strings.ToUpper(name))
	}
	types := []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeTXT, dns.TypeCNAME, dns.TypeMX, dns.TypeNS, dns.TypeSOA,
		dns.TypeSRV, dns.TypeCAA, dns.TypeDS, dns.TypePTR, dns.TypeHTTPS, dns.TypeANY, dns.TypeDNAME}
	compared := 0
	for _, name := range names {
		for _, qtype := range types {
			for _, edns := range []int{0, 1, 2} {
				q := new(dns.Msg).SetQuestion(dns.Fqdn(name), qtype)
				q.Id = 4242
				if edns > 0 {
					q.SetEdns0(1232, edns == 2)
				}
				for _, remote := range []net.Addr{fakeUDPClient, fakeTCPClient} {
					wp, wq := &fakeWriter{remote: remote}, &fakeWriter{remote: remote}
					hp.ServeDNS(wp, q)
					hq.ServeDNS(wq, q)
					if string(wp.out) != string(wq.out) {
						a, b := new(dns.Msg), new(dns.Msg)
						_, _ = a.Unpack(wp.out), b.Unpack(wq.out)
						t.Fatalf("%s %s over %T: packed records answer\n%v\nparsed ones\n%v", name, dns.TypeToString[qtype], remote, a, b)
					}
					compared++
				}
			}
		}
	}
	t.Logf("%d answers compared", compared)
}
