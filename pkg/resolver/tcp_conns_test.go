package resolver

import (
	"net"
	"net/netip"
	"testing"
)

// TestSourceOf: connections are grouped per IPv4 address and per IPv6
// /64, an IPv4-mapped address counting as the IPv4 one.
func TestSourceOf(t *testing.T) {
	cases := []struct {
		addr, want string
	}{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::"},
		{"2001:db8:1:3::1", "2001:db8:1:3::"},
		{"::1", "::"},
	}
	for _, c := range cases {
		got := sourceOf(&net.TCPAddr{IP: net.ParseIP(c.addr), Port: 53})
		if got != netip.MustParseAddr(c.want) {
			t.Errorf("sourceOf(%s) = %v, want %s", c.addr, got, c.want)
		}
	}
	if got := sourceOf(&net.UDPAddr{IP: net.ParseIP("192.0.2.7")}); got.IsValid() {
		t.Errorf("sourceOf(a UDP address) = %v, want none", got)
	}
}
