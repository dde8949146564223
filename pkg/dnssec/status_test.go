package dnssec

import (
	"strings"
	"testing"
)

// TestStatusDS: the status shows the DS the parent should hold with the
// parent's DS TTL, the lines `gtmd dnssec ds` prints, not the DNSKEY TTL.
func TestStatusDS(t *testing.T) {
	for _, tc := range []struct {
		name        string
		parentDSTTL uint32
		want        uint32
	}{
		{"parent TTL given", 3600, 3600},
		{"parent TTL left out", 0, DefaultParentDSTTL},
		{"parent TTL below the DNSKEY TTL", 60, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, s := newTestKeySet(t, ECDSAP256SHA256, false)
			s.ParentDSTTL = tc.parentDSTTL
			if s.DNSKEYTTL == tc.want {
				t.Fatalf("the DNSKEY TTL %d equals the TTL wanted: the case cannot tell them apart", s.DNSKEYTTL)
			}
			st := ks.Status(s, t0)
			if got, want := strings.Join(st.DS, "\n")+"\n", ks.DSText(tc.want); got != want {
				t.Errorf("status DS\n%s\nwant\n%s", got, want)
			}
		})
	}
}
