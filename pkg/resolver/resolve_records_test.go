package resolver_test

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
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
