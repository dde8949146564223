package dnssec

import (
	"strings"
	"testing"
	"time"
)

func TestParseAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint8
		err  bool
	}{
		{"ecdsap256sha256", 13, false},
		{"ECDSAP256SHA256", 13, false},
		{"ed25519", 15, false},
		{"Ed25519", 15, false},
		{"13", 13, false},
		{"15", 15, false},
		{"8", 0, true},
		{"rsasha256", 0, true},
		{"", 0, true},
		{"300", 0, true},
	} {
		got, err := ParseAlgorithm(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseAlgorithm(%q) = %d, %v", tc.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+tc.in+`"`) {
			t.Errorf("error %v does not name %q", err, tc.in)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
		err  string
	}{
		{"defaults", Settings{}, ""},
		{"short TTLs", testSettings(ED25519, true), ""},
		{"rsa", Settings{Algorithm: 8}, "algorithm 8 is not supported"},
		{"refresh past validity", Settings{SignatureValidity: 24 * time.Hour, SignatureRefresh: 24 * time.Hour}, "signature refresh 24h0m0s must be shorter than the signature validity 24h0m0s"},
		{"refresh under max TTL", Settings{SignatureRefresh: time.Hour, MaxTTL: 86400}, "must be longer than the largest TTL in the zone (24h0m0s)"},
		{"negative", Settings{PropagationDelay: -time.Second}, "propagation delay -1s is negative"},
	} {
		err := tc.s.Validate()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}

// TestRolloverIntervals: RFC 7583's waits from the zone's TTLs.
func TestRolloverIntervals(t *testing.T) {
	s := Settings{DNSKEYTTL: 3600, MaxTTL: 300, NegativeTTL: 900}
	if got := s.publishInterval(); got != 2*time.Hour {
		t.Errorf("Ipub %s, want Dprp 1h + DNSKEY TTL 1h", got)
	}
	if got := s.retireInterval(); got != 2*time.Hour {
		t.Errorf("Iret %s, want Dprp 1h + largest TTL (DNSKEY's) 1h", got)
	}
	if got := s.dsInterval(); got != 25*time.Hour {
		t.Errorf("DS wait %s, want Dprp 1h + default DS TTL 24h", got)
	}
}
