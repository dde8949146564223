package config

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestRData: the addresses' short way writes what miekg/dns writes after
// the header, v4-mapped AAAA included.
func TestRData(t *testing.T) {
	for _, s := range []string{"x. 60 IN A 192.0.2.1", "x. 60 IN AAAA 2001:db8::1", "x. 60 IN AAAA ::ffff:192.0.2.1", "x. 60 IN TXT \"a b\"", "x. 60 IN MX 10 mail.example."} {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := RData(rr), strings.TrimPrefix(rr.String(), rr.Header().String()); got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
}

// TestTypeNames: a type's name reads back as the type, by mnemonic or
// number; type 0 and words are none.
func TestTypeNames(t *testing.T) {
	for _, rrtype := range []uint16{dns.TypeA, dns.TypeCAA, 65534} {
		if got, ok := ParseType(TypeName(rrtype)); !ok || got != rrtype {
			t.Errorf("%d: %s reads as %d, %v", rrtype, TypeName(rrtype), got, ok)
		}
	}
	for s, want := range map[string]uint16{"a": dns.TypeA, "TYPE1": dns.TypeA, "type65534": 65534} {
		if got, ok := ParseType(s); !ok || got != want {
			t.Errorf("%s: %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"TYPE0", "TYPE65536", "AX", ""} {
		if _, ok := ParseType(s); ok {
			t.Errorf("%q reads as a type", s)
		}
	}
}
