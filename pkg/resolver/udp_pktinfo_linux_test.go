//go:build linux

package resolver

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// listenLoopbackUDP binds a UDP socket on ip, a port of the kernel's
// choosing, closed when the test ends; it skips a test where ip cannot be
// bound (no IPv6 here).
func listenLoopbackUDP(t *testing.T, ip netip.Addr) *net.UDPConn {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Skipf("cannot bind %s here: %v", ip, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestPacketInfo: the destination read from a real datagram's control
// messages is the address it was sent to, for both families, and the
// source set on an answer is the control message miekg/dns sends (x/net's
// marshalling).
func TestPacketInfo(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			ip := netip.MustParseAddr(addr)
			conn := listenLoopbackUDP(t, ip)
			if err := enablePacketInfo(conn); err != nil {
				t.Fatal(err)
			}
			c, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			b, oob := make([]byte, 16), make([]byte, udpOOBSize)
			_, oobn, _, _, err := conn.ReadMsgUDP(b, oob)
			if err != nil {
				t.Fatal(err)
			}
			if dst := packetDst(oob[:oobn]); dst != ip {
				t.Errorf("packetDst = %v, want %v", dst, ip)
			}

			var want []byte
			if ip.Is4() {
				want = (&ipv4.ControlMessage{Src: ip.AsSlice()}).Marshal()
			} else {
				want = (&ipv6.ControlMessage{Src: ip.AsSlice()}).Marshal()
			}
			if got := appendSource(make([]byte, udpOOBSize), ip); !bytes.Equal(got, want) {
				t.Errorf("appendSource = % x, want % x", got, want)
			}
		})
	}
	if got := appendSource(make([]byte, udpOOBSize), netip.Addr{}); len(got) != 0 {
		t.Errorf("appendSource without a source = % x, want nothing", got)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, make([]byte, 40), bytes.Repeat([]byte{0xFF}, 40)} {
		if dst := packetDst(bad); dst.IsValid() {
			t.Errorf("packetDst(% x) = %v, want none", bad, dst)
		}
	}
}

// TestNeedsPacketInfo: a socket bound to a wildcard of either family
// asks for each datagram's destination (it answers from the address the
// query was sent to); one bound to a single address does not.
func TestNeedsPacketInfo(t *testing.T) {
	for _, c := range []struct {
		addr string
		want bool
	}{{"0.0.0.0", true}, {"::", true}, {"127.0.0.1", false}, {"::1", false}, {"192.0.2.1", false}, {"2001:db8::1", false}} {
		if got := needsPacketInfo(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("needsPacketInfo(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
	// addrPortOf unmaps: a dual-stack wildcard seen as ::ffff:0.0.0.0 is
	// still one.
	if !needsPacketInfo(addrPortOf(&net.UDPAddr{IP: net.IPv4zero.To16(), Port: 53}).Addr()) {
		t.Error("the IPv4 wildcard in its 16-byte form is not taken for a wildcard")
	}
}

// TestPacketInfoOnlyOnWildcard: a reader on a socket bound to one address
// does not ask the kernel for each datagram's destination (it is the
// bound address, and the control message costs a copy each way), and
// still answers, from that address.
func TestPacketInfoOnlyOnWildcard(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			ip := netip.MustParseAddr(addr)
			conn := listenLoopbackUDP(t, ip)
			u, err := newUDPReader(conn, &ServerOptions{Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
				_ = w.WriteMsg(new(dns.Msg).SetReply(r))
			}), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			rc, err := conn.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			level, opt := unix.IPPROTO_IP, unix.IP_PKTINFO
			if ip.Is6() {
				level, opt = unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO
			}
			var on int
			var gerr error
			if err := rc.Control(func(fd uintptr) { on, gerr = unix.GetsockoptInt(int(fd), level, opt) }); err != nil || gerr != nil {
				t.Fatal(err, gerr)
			}
			if on != 0 {
				t.Errorf("packet info is on (%d) for a socket bound to %s", on, addr)
			}
			go func() { _ = u.serve() }()
			defer func() { _ = u.shutdown(context.Background()) }()
			c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
			q := new(dns.Msg).SetQuestion("example.test.", dns.TypeA)
			r, _, err := c.Exchange(q, conn.LocalAddr().String())
			if err != nil {
				t.Fatalf("no answer from a reader on %s: %v", addr, err)
			}
			if r.Id != q.Id || !r.Response {
				t.Errorf("answer %v", r)
			}
		})
	}
}
