package resolver

import (
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
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

// TestSocketFacts: what the table asks the kernel about a connection,
// on a real loopback one: bytes received and not read, and whether the
// client has closed it.
func TestSocketFacts(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the kernel is asked on Linux only")
	}
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.DialTCP("tcp", nil, l.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if n, gone := socketUnread(server), peerGone(server); n != 0 || gone {
		t.Fatalf("a fresh connection: %d unread, gone %v; want 0, false", n, gone)
	}
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "5 bytes unread", func() bool { return socketUnread(server) == 5 })
	if peerGone(server) {
		t.Fatal("gone after a write, want open")
	}
	client.Close()
	waitFor(t, "the client's close seen", func() bool { return peerGone(server) })
}

// waitFor polls cond (10 s at most): the kernel's view of a loopback
// connection follows the peer's calls, but not within them.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(time.Millisecond)
	}
}
