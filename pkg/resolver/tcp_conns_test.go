package resolver

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
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

// TestNetworkOf: eviction groups sources by IPv4 /24 and IPv6 /48.
func TestNetworkOf(t *testing.T) {
	for _, c := range []struct{ source, want string }{
		{"192.0.2.7", "192.0.2.0/24"},
		{"127.0.2.200", "127.0.2.0/24"},
		{"2001:db8:1:2::", "2001:db8:1::/48"},
	} {
		if got := networkOf(netip.MustParseAddr(c.source)); got != netip.MustParsePrefix(c.want) {
			t.Errorf("networkOf(%s) = %v, want %s", c.source, got, c.want)
		}
	}
}

// tcpTestServer starts a server on 127.0.0.1 for h whose TCP table holds
// max connections, and stops it when the test ends.
func tcpTestServer(t *testing.T, h dns.Handler, max int) (*Server, string) {
	t.Helper()
	srv := NewServer(ServerOptions{
		Addrs: []string{"127.0.0.1:0"}, Handler: h, UDPListeners: 1,
		TCPMaxConnections: max, TCPMaxConnectionsPerSource: 100,
		TCPIdleTimeout: time.Minute, TCPBusyIdleTimeout: time.Minute,
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return srv, srv.Addrs()[0]
}

// dialSource connects to addr from the address src.
func dialSource(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialing %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ask sends a query for name on c and, with answered, waits for its
// answer; it reports whether one came before the deadline.
func ask(t *testing.T, c net.Conn, name string, id uint16, wait time.Duration) bool {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	q.Id = id
	b, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)); err != nil {
		t.Fatalf("writing query %d: %v", id, err)
	}
	if wait == 0 {
		return false
	}
	got, ok := readID(c, wait)
	return ok && got == id
}

// readID reads the next answer on c within wait and returns its id.
func readID(c net.Conn, wait time.Duration) (uint16, bool) {
	c.SetReadDeadline(time.Now().Add(wait))
	resp, err := readFrame(c)
	if err != nil {
		return 0, false
	}
	var m dns.Msg
	if m.Unpack(resp) != nil {
		return 0, false
	}
	return m.Id, true
}

var answerAll = dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	_ = w.WriteMsg(m)
})

// TestEvictionByNetwork: a flood from many addresses of one /24, each
// holding as few connections as the lone client, loses its connections
// before the lone client elsewhere does, though that client's is the
// idlest.
func TestEvictionByNetwork(t *testing.T) {
	if l, err := net.Listen("tcp", "127.0.2.1:0"); err != nil {
		t.Skipf("cannot bind 127.0.2.1 here: %v", err)
	} else {
		l.Close()
	}
	_, addr := tcpTestServer(t, answerAll, 4)
	lone := dialSource(t, "127.0.0.2", addr)
	if !ask(t, lone, "lone.", 1, 10*time.Second) {
		t.Fatal("the lone client's first query went unanswered")
	}
	for i := range 12 {
		c := dialSource(t, fmt.Sprintf("127.0.2.%d", 1+i), addr)
		if !ask(t, c, "flood.", uint16(100+i), 10*time.Second) {
			t.Fatalf("flood connection %d unanswered", i)
		}
	}
	if !ask(t, lone, "lone.", 2, 10*time.Second) {
		t.Error("the lone client's connection was evicted for a flood from one network")
	}
}

// TestEvictedDescriptorsBounded: connections evicted while their query
// is being answered keep their descriptors until the answer is done;
// meanwhile no further connection is accepted, so the descriptors held
// stay within the table's size plus the one being admitted, and the
// connections waiting in the kernel's queue are served once those end.
func TestEvictedDescriptorsBounded(t *testing.T) {
	release := make(chan struct{})
	var entered atomic.Int32
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		if q.Question[0].Name == "block." {
			entered.Add(1)
			<-release
		}
		answerAll(w, q)
	})
	srv, addr := tcpTestServer(t, h, 2)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	for i := range 2 {
		ask(t, dialSource(t, "127.0.0.1", addr), "block.", uint16(i+1), 0)
		waitFor(t, "the handler to be answering", func() bool { return entered.Load() == int32(i+1) })
	}
	// Admitting this one evicts one of those being answered.
	dialSource(t, "127.0.0.1", addr)
	table := srv.tcp[0].table
	held := func() int {
		table.mu.Lock()
		defer table.mu.Unlock()
		return table.count + len(table.leaving)
	}
	waitFor(t, "a connection evicted", func() bool { return held() == 3 })
	waiting := make([]net.Conn, 3)
	for i := range waiting {
		waiting[i] = dialSource(t, "127.0.0.1", addr)
		ask(t, waiting[i], "ok.", uint16(10+i), 0)
	}
	// Not accepted while the evicted connection holds its descriptor: the
	// query on the first goes unanswered for now.
	if id, ok := readID(waiting[0], 500*time.Millisecond); ok {
		t.Errorf("answer %d on a connection beyond the table while an evicted one held its descriptor", id)
	}
	if n := held(); n > 3 {
		t.Errorf("%d descriptors held by a table of 2", n)
	}
	close(release)
	// Once the evicted connection is done, those waiting get in in turn,
	// each evicting another; the last one stays and is answered. (The
	// others may be answered or evicted with their query unread: in a
	// table of two where every connection has a query pending, the
	// idlest goes all the same.)
	last := len(waiting) - 1
	if id, ok := readID(waiting[last], 10*time.Second); !ok || id != uint16(10+last) {
		t.Errorf("the last waiting connection: answer %d (%v), want %d", id, ok, 10+last)
	}
}

// TestEvictedWriterBounded: a connection evicted while its answer is
// stuck on a client that does not read gives up its descriptor soon,
// not after the idle timeout (a minute here), so the accept loop, which
// waits for it, admits a new client.
func TestEvictedWriterBounded(t *testing.T) {
	// A large answer: a few of them fill the socket buffers.
	big := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if q.Question[0].Name == "big." {
			txt := make([]string, 200)
			for i := range txt {
				txt[i] = strings.Repeat("x", 250)
			}
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: "big.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: txt})
		}
		_ = w.WriteMsg(m)
	})
	_, addr := tcpTestServer(t, big, 1)
	stuck := dialSource(t, "127.0.0.1", addr)
	for i := range 400 {
		ask(t, stuck, "big.", uint16(i), 0)
	}
	// The server's writes to it block once its buffers are full; the
	// client never reads.
	waitFor(t, "the stuck client's answers to fill its buffers", func() bool {
		return socketUnread(stuck.(*net.TCPConn)) >= 100<<10
	})
	// The first new client evicts the stuck connection; the next waits
	// for its descriptor.
	for i, src := range []string{"127.0.0.2", "127.0.0.3"} {
		if !ask(t, dialSource(t, src, addr), "ok.", 1, 10*time.Second) {
			t.Fatalf("new client %d was not served while an evicted connection's write was stuck", i+1)
		}
	}
	// The stuck client sees its connection end.
	stuck.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, stuck); isTimeout(err) {
		t.Error("the evicted connection is still open")
	}
}
