//go:build linux

package resolver

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// TestMMsgWriter: a batch reaches each datagram's own client, of either
// family; a destination the socket cannot reach is refused alone, with an
// error when it comes first and as a short count after others, as x/net's
// WriteBatch reports it (the reader's flush relies on both).
func TestMMsgWriter(t *testing.T) {
	for _, tc := range []struct{ local, other string }{
		{"127.0.0.1", "::1"},
		{"::1", "127.0.0.1"},
	} {
		t.Run(tc.local, func(t *testing.T) {
			ip := netip.MustParseAddr(tc.local)
			conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
			if err != nil {
				t.Skipf("cannot bind %s here: %v", tc.local, err)
			}
			defer conn.Close()
			rc, err := conn.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			w, err := newMMsgWriter(rc)
			if err != nil {
				t.Fatal(err)
			}
			var clients [2]*net.UDPConn
			for i := range clients {
				if clients[i], err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0))); err != nil {
					t.Fatal(err)
				}
				defer clients[i].Close()
			}
			to := func(i int) *net.UDPAddr { return clients[i].LocalAddr().(*net.UDPAddr) }
			unreachable := &net.UDPAddr{IP: net.ParseIP(tc.other), Port: 53}
			msg := func(payload string, addr *net.UDPAddr) ipv4.Message {
				return ipv4.Message{Buffers: [][]byte{[]byte(payload)}, Addr: addr}
			}

			n, err := w.WriteBatch([]ipv4.Message{msg("a", to(0)), msg("b", to(1)), msg("c", to(0))}, 0)
			if n != 3 || err != nil {
				t.Fatalf("WriteBatch of three = %d, %v; want 3, nil", n, err)
			}
			expect(t, clients[0], "a", "c")
			expect(t, clients[1], "b")

			if n, err := w.WriteBatch([]ipv4.Message{msg("x", unreachable), msg("d", to(1))}, 0); n != 0 || err == nil {
				t.Errorf("WriteBatch starting with %v = %d, %v; want 0 and an error", unreachable, n, err)
			}
			if n, err := w.WriteBatch([]ipv4.Message{msg("e", to(1)), msg("x", unreachable), msg("f", to(0))}, 0); n != 1 || err != nil {
				t.Errorf("WriteBatch with %v second = %d, %v; want 1, nil", unreachable, n, err)
			}
			expect(t, clients[1], "e")
		})
	}
}

// expect reads the datagrams c should have been sent, in order.
func expect(t *testing.T, c *net.UDPConn, want ...string) {
	t.Helper()
	b := make([]byte, 16)
	for _, w := range want {
		if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(b)
		if err != nil {
			t.Fatalf("reading %q: %v", w, err)
		}
		if got := string(b[:n]); got != w {
			t.Errorf("got %q, want %q", got, w)
		}
	}
}
