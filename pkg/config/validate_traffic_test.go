package config

import (
	"testing"

	"github.com/miekg/dns"
)

// TestTypeSet: the types at a name, common and rare, each counted once.
func TestTypeSet(t *testing.T) {
	var s typeSet
	for _, typ := range []uint16{dns.TypeA, dns.TypeCAA, dns.TypeA, dns.TypeHTTPS, 63, 64, dns.TypeCAA} {
		s.add(typ)
	}
	for _, typ := range []uint16{dns.TypeA, dns.TypeCAA, dns.TypeHTTPS, 63, 64} {
		if !s.has(typ) {
			t.Errorf("type %d added but not held", typ)
		}
	}
	for _, typ := range []uint16{dns.TypeAAAA, dns.TypeCNAME, 65535, 0} {
		if s.has(typ) {
			t.Errorf("type %d held but never added", typ)
		}
	}
	if s.len() != 5 {
		t.Errorf("len %d, want 5", s.len())
	}
}
