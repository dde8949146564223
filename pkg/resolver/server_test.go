package resolver_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// Raw wire helpers: the server tests speak bytes so that they can send
// what dns.Client would not and see exactly what comes back.

// packQuery packs a query for name/qtype with id.
func packQuery(tb testing.TB, id uint16, name string, qtype uint16, edns bool) []byte {
	tb.Helper()
	return packEdited(tb, name, qtype, func(m *dns.Msg) {
		m.Id = id
		if edns {
			m.SetEdns0(4096, false)
		}
	})
}

// exchangeUDP sends pkt from a fresh socket and returns the reply, or an
// error when none comes before timeout.
func exchangeUDP(addr string, pkt []byte, timeout time.Duration) ([]byte, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(pkt); err != nil {
		return nil, err
	}
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// writeFramed writes DNS messages with their two-byte TCP length prefix
// (RFC 1035 §4.2.2) in one write.
func writeFramed(c net.Conn, pkts ...[]byte) error {
	var out []byte
	for _, p := range pkts {
		out = binary.BigEndian.AppendUint16(out, uint16(len(p)))
		out = append(out, p...)
	}
	_, err := c.Write(out)
	return err
}

// readFramed reads one length-prefixed message.
func readFramed(r io.Reader) ([]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// dialTCP connects to addr and closes the connection when the test ends.
func dialTCP(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// exchangeTCP sends pkt on c and reads one reply within timeout.
func exchangeTCP(c net.Conn, pkt []byte, timeout time.Duration) ([]byte, error) {
	if err := writeFramed(c, pkt); err != nil {
		return nil, err
	}
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	return readFramed(c)
}

// mustUnpack unpacks a response.
func mustUnpack(tb testing.TB, b []byte) *dns.Msg {
	tb.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		tb.Fatalf("unpacking the response: %v", err)
	}
	return m
}

// checkHostA asserts resp answers host.example.test. A for id.
func checkHostA(tb testing.TB, resp *dns.Msg, id uint16) {
	tb.Helper()
	if resp.Id != id || !resp.Response || resp.Rcode != dns.RcodeSuccess || !resp.Authoritative || len(resp.Answer) != 2 {
		tb.Errorf("id %d: got id %d rcode %s AA %v answer %v, want the two A records of host.example.test.",
			id, resp.Id, rcodeString(resp.Rcode), resp.Authoritative, resp.Answer)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestServerRawFormErr: a query whose question count is not one, sent as
// raw bytes, is answered FORMERR with the query's id over UDP and TCP;
// the server still answers afterwards.
func TestServerRawFormErr(t *testing.T) {
	srv := startServer(t, newHandler(testSnapshot(t)), nil)
	addr := srv.Addrs()[0]
	one := packQuery(t, 1, "host.example.test.", dns.TypeA, false)
	question := one[12:]
	// pkt is a query header (RD set) with qdcount qd and no other
	// records, followed by body.
	pkt := func(id, qd uint16, body ...[]byte) []byte {
		b := make([]byte, 12)
		binary.BigEndian.PutUint16(b[0:], id)
		b[2] = 0x01
		binary.BigEndian.PutUint16(b[4:], qd)
		for _, p := range body {
			b = append(b, p...)
		}
		return b
	}
	cases := []struct {
		name string
		pkt  []byte
	}{
		{"qdcount 0", pkt(100, 0)},
		{"qdcount 0 with a question anyway", pkt(101, 0, question)},
		{"qdcount 2", pkt(102, 2, question, question)},
		{"qdcount 1, no question bytes", pkt(103, 1)},
		{"qdcount 2, one question", pkt(104, 2, question)},
	}
	conn := dialTCP(t, addr)
	for _, c := range cases {
		id := binary.BigEndian.Uint16(c.pkt)
		check := func(t *testing.T, b []byte, err error) {
			if err != nil {
				t.Fatalf("no reply: %v", err)
			}
			m := mustUnpack(t, b)
			if m.Id != id || !m.Response || m.Rcode != dns.RcodeFormatError || m.Authoritative || len(m.Answer) != 0 {
				t.Errorf("got id %d QR %v rcode %s AA %v answer %v, want id %d FORMERR", m.Id, m.Response, rcodeString(m.Rcode), m.Authoritative, m.Answer, id)
			}
		}
		t.Run(c.name+"/udp", func(t *testing.T) {
			b, err := exchangeUDP(addr, c.pkt, 5*time.Second)
			check(t, b, err)
		})
		t.Run(c.name+"/tcp", func(t *testing.T) {
			b, err := exchangeTCP(conn, c.pkt, 5*time.Second)
			check(t, b, err)
		})
	}
	b, err := exchangeUDP(addr, packQuery(t, 7, "host.example.test.", dns.TypeA, false), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkHostA(t, mustUnpack(t, b), 7)
}

// TestServerShutdown: Shutdown returns promptly, even with a client
// holding a TCP connection open, that connection is closed, and the
// address is free to bind again afterwards.
func TestServerShutdown(t *testing.T) {
	srv := resolver.NewServer(resolver.ServerOptions{
		Addrs: []string{"127.0.0.1:0"}, Handler: newHandler(testSnapshot(t)), UDPListeners: 2,
		TCPIdleTimeout: time.Minute,
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addrs()[0]
	b, err := exchangeUDP(addr, packQuery(t, 1, "host.example.test.", dns.TypeA, false), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkHostA(t, mustUnpack(t, b), 1)
	held := dialTCP(t, addr)
	b, err = exchangeTCP(held, packQuery(t, 2, "host.example.test.", dns.TypeA, false), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkHostA(t, mustUnpack(t, b), 2)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v with an idle connection open", d)
	}
	// A second Shutdown (a stop after a failed start, say) is harmless.
	srv.Shutdown(ctx)
	// The held connection is closed by the server.
	if err := held.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := held.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("read on a connection held across Shutdown: %v, want EOF or reset", err)
	}
	// Neither port is held: bind both without SO_REUSEPORT.
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("UDP %s still bound after Shutdown: %v", addr, err)
	}
	pc.Close()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("TCP %s still bound after Shutdown: %v", addr, err)
	}
	l.Close()
}

// TestServerStartFailure: when one socket of an address cannot be bound,
// Start fails and leaves nothing listening.
func TestServerStartFailure(t *testing.T) {
	// Hold the TCP port; the UDP port of the same number is (almost
	// always) free, so Start binds UDP and then fails on TCP.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	if pc, err := net.ListenPacket("udp", addr); err != nil {
		t.Skipf("UDP %s is taken by another process: %v", addr, err)
	} else {
		pc.Close()
	}
	srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{addr}, Handler: newHandler(testSnapshot(t)), UDPListeners: 3})
	if err := srv.Start(); err == nil {
		srv.Shutdown(context.Background())
		t.Fatalf("Start on %s with its TCP port taken succeeded", addr)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("UDP %s left bound after a failed Start: %v", addr, err)
	}
	pc.Close()

	srv = resolver.NewServer(resolver.ServerOptions{Addrs: []string{"192.0.2.1.5:53"}, Handler: newHandler(testSnapshot(t))})
	if err := srv.Start(); err == nil {
		srv.Shutdown(context.Background())
		t.Fatal("Start on a bad address succeeded")
	}
}

// TestServerTwoAddresses: every address is served on UDP and TCP.
func TestServerTwoAddresses(t *testing.T) {
	if l, err := net.ListenPacket("udp", "127.0.0.2:0"); err != nil {
		t.Skipf("cannot bind 127.0.0.2 here: %v", err)
	} else {
		l.Close()
	}
	srv := resolver.NewServer(resolver.ServerOptions{
		Addrs: []string{"127.0.0.1:0", "127.0.0.2:0"}, Handler: newHandler(testSnapshot(t)), UDPListeners: 1,
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	if len(srv.Addrs()) != 2 {
		t.Fatalf("Addrs() = %v, want two", srv.Addrs())
	}
	for i, addr := range srv.Addrs() {
		if strings.HasSuffix(addr, ":0") {
			t.Errorf("Addrs()[%d] = %s, want the bound port", i, addr)
		}
		id := uint16(10 + i)
		b, err := exchangeUDP(addr, packQuery(t, id, "host.example.test.", dns.TypeA, false), 5*time.Second)
		if err != nil {
			t.Fatalf("UDP %s: %v", addr, err)
		}
		checkHostA(t, mustUnpack(t, b), id)
		b, err = exchangeTCP(dialTCP(t, addr), packQuery(t, id, "host.example.test.", dns.TypeA, false), 5*time.Second)
		if err != nil {
			t.Fatalf("TCP %s: %v", addr, err)
		}
		checkHostA(t, mustUnpack(t, b), id)
	}
}

// TestServerPortZeroDistinct: servers started on port 0 get ports no
// other server holds. The kernel's port-0 choice for a UDP socket with
// SO_REUSEPORT skips only ports it could not share, so without care it
// hands out a port another SO_REUSEPORT socket of the same user already
// serves (TCP then shares it too), and the kernel splits each server's
// queries between both. With 400 servers a shared port turns up in about
// 19 runs of 20.
func TestServerPortZeroDistinct(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 400 servers")
	}
	h := newHandler(testSnapshot(t))
	owner := map[string]int{}
	for i := range 400 {
		srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{"127.0.0.1:0"}, Handler: h, UDPListeners: 1})
		if err := srv.Start(); err != nil {
			t.Fatalf("server %d: Start: %v", i, err)
		}
		t.Cleanup(func() { srv.Shutdown(context.Background()) })
		addr := srv.Addrs()[0]
		if j, ok := owner[addr]; ok {
			t.Fatalf("servers %d and %d were both given %s", j, i, addr)
		}
		owner[addr] = i
	}
}

// TestServerTCPPipelined: several queries written at once on one
// connection are all answered (RFC 7766 §6.2.1.1).
func TestServerTCPPipelined(t *testing.T) {
	srv := startServer(t, newHandler(testSnapshot(t)), nil)
	c := dialTCP(t, srv.Addrs()[0])
	const n = 20
	var pkts [][]byte
	for i := range n {
		pkts = append(pkts, packQuery(t, uint16(1000+i), "host.example.test.", dns.TypeA, i%2 == 0))
	}
	if err := writeFramed(c, pkts...); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	seen := map[uint16]bool{}
	for range n {
		b, err := readFramed(r)
		if err != nil {
			t.Fatalf("after %d answers: %v", len(seen), err)
		}
		m := mustUnpack(t, b)
		if m.Id < 1000 || m.Id >= 1000+n || seen[m.Id] {
			t.Fatalf("unexpected or repeated id %d", m.Id)
		}
		seen[m.Id] = true
		checkHostA(t, m, m.Id)
	}
	// The connection stays usable.
	b, err := exchangeTCP(c, packQuery(t, 1, "host.example.test.", dns.TypeA, false), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkHostA(t, mustUnpack(t, b), 1)
}

// TestServerTCPIdleTimeout: the server closes a TCP connection that has
// been idle for TCPIdleTimeout, whether or not it ever sent a query.
func TestServerTCPIdleTimeout(t *testing.T) {
	const idle = 200 * time.Millisecond
	srv := startServer(t, newHandler(testSnapshot(t)), func(o *resolver.ServerOptions) { o.TCPIdleTimeout = idle })
	addr := srv.Addrs()[0]
	waitClosed := func(t *testing.T, c net.Conn) {
		t.Helper()
		start := time.Now()
		// Generous: the server should close after ~200ms.
		if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		_, err := c.Read(make([]byte, 1))
		if isTimeout(err) || err == nil {
			t.Fatalf("read: %v after %v, want EOF: the idle connection was not closed", err, time.Since(start))
		}
		if !errors.Is(err, io.EOF) {
			t.Logf("read: %v (a reset also counts as closed)", err)
		}
	}
	t.Run("silent", func(t *testing.T) {
		waitClosed(t, dialTCP(t, addr))
	})
	t.Run("after a query", func(t *testing.T) {
		c := dialTCP(t, addr)
		b, err := exchangeTCP(c, packQuery(t, 5, "host.example.test.", dns.TypeA, false), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		checkHostA(t, mustUnpack(t, b), 5)
		waitClosed(t, c)
	})
}

// TestServerTCPMaxQueries: a connection is closed after TCPMaxQueries
// answers.
func TestServerTCPMaxQueries(t *testing.T) {
	srv := startServer(t, newHandler(testSnapshot(t)), func(o *resolver.ServerOptions) { o.TCPMaxQueries = 3 })
	c := dialTCP(t, srv.Addrs()[0])
	for i := range 3 {
		b, err := exchangeTCP(c, packQuery(t, uint16(i), "host.example.test.", dns.TypeA, false), 5*time.Second)
		if err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		checkHostA(t, mustUnpack(t, b), uint16(i))
	}
	b, err := exchangeTCP(c, packQuery(t, 3, "host.example.test.", dns.TypeA, false), 5*time.Second)
	if err == nil || isTimeout(err) {
		t.Errorf("fourth query on the connection: %x, %v; want the connection closed", b, err)
	}
}

// TestServerUDPListeners: with UDPListeners 4 there are four sockets on
// the port, and queries from many source sockets are all answered.
func TestServerUDPListeners(t *testing.T) {
	srv := startServer(t, newHandler(testSnapshot(t)), func(o *resolver.ServerOptions) { o.UDPListeners = 4 })
	addr := srv.Addrs()[0]
	if n, err := udpSocketsOn(addr); err != nil {
		t.Logf("cannot count sockets: %v", err)
	} else if n != 4 {
		t.Errorf("%d UDP sockets bound to %s, want 4", n, addr)
	}
	const clients = 64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			id := uint16(2000 + i)
			b, err := exchangeUDP(addr, packQuery(t, id, "host.example.test.", dns.TypeA, i%2 == 0), 5*time.Second)
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			m := new(dns.Msg)
			if err := m.Unpack(b); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			if m.Id != id || m.Rcode != dns.RcodeSuccess || len(m.Answer) != 2 {
				errs <- fmt.Errorf("client %d: id %d rcode %s answer %v", i, m.Id, rcodeString(m.Rcode), m.Answer)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// udpSocketsOn counts the IPv4 UDP sockets bound to addr's port, from
// /proc/net/udp (Linux).
func udpSocketsOn(addr string) (int, error) {
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0, err
	}
	want := fmt.Sprintf(":%04X", port)
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 2 && strings.HasSuffix(f[1], want) {
			n++
		}
	}
	return n, nil
}
