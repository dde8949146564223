package geo

import (
	"net/netip"
	"testing"
)

func TestCapClientPrefix(t *testing.T) {
	cases := []struct{ in, want string }{
		{"198.51.100.77/32", "198.51.100.0/24"},
		{"198.51.100.77/24", "198.51.100.0/24"},
		{"198.51.100.77/25", "198.51.100.0/24"},
		{"198.51.100.77/20", "198.51.96.0/20"},
		{"198.51.100.77/0", "0.0.0.0/0"},
		{"2001:db8:aaaa:bbcc:dddd::1/128", "2001:db8:aaaa:bb00::/56"},
		{"2001:db8:aaaa:bbcc::/64", "2001:db8:aaaa:bb00::/56"},
		{"2001:db8:aaaa:bbcc::/48", "2001:db8:aaaa::/48"},
		{"::ffff:198.51.100.77/128", "198.51.100.0/24"},
		{"::ffff:198.51.100.77/112", "198.51.0.0/16"},
		{"::ffff:0:0/90", "::/56"},
	}
	for _, tc := range cases {
		got := CapClientPrefix(netip.MustParsePrefix(tc.in))
		if got != netip.MustParsePrefix(tc.want) {
			t.Errorf("CapClientPrefix(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := CapClientPrefix(netip.Prefix{}); got.IsValid() {
		t.Errorf("CapClientPrefix(zero) = %s, want the zero Prefix", got)
	}
}
