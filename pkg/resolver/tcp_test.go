package resolver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// The TCP tests check the properties that keep TCP open to new clients
// under attack: eviction, the per-source cap, the busy idle timeout, the
// slow-read bound, and that TCPMaxQueries loses no answer. They use
// real sockets on 127.0.0.0/8 and assert counts and behaviour, never how
// long something took.

// startTCPServer starts a server with TCP metrics on a fresh registry.
func startTCPServer(t *testing.T, edit func(*resolver.ServerOptions)) (string, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := resolver.NewTCPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, newHandler(testSnapshot(t)), func(o *resolver.ServerOptions) {
		o.TCPMetrics = m
		if edit != nil {
			edit(o)
		}
	})
	return srv.Addrs()[0], reg
}

// metricValue reads one sample of name from reg whose labels include
// want; 0 when there is none.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := want[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func closedTotal(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	return metricValue(t, reg, "gtmd_dns_tcp_connections_closed_total", map[string]string{"reason": reason})
}

// dialFrom connects to addr from the local address src (port 0).
func dialFrom(t testing.TB, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialing %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// needLoopback skips the test when 127.0.0.2 cannot be bound here.
func needLoopback(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2 here: %v", err)
	}
	l.Close()
}

// tcpQuery is a query for host.example.test. A with id.
func tcpQuery(t testing.TB, id uint16) []byte {
	return packQuery(t, id, "host.example.test.", dns.TypeA, false)
}

// mustAnswer sends a query on c and checks its answer.
func mustAnswer(t *testing.T, c net.Conn, id uint16) {
	t.Helper()
	b, err := exchangeTCP(c, tcpQuery(t, id), 10*time.Second)
	if err != nil {
		t.Fatalf("query %d on %s: %v", id, c.LocalAddr(), err)
	}
	checkHostA(t, mustUnpack(t, b), id)
}

// expectClosed waits (10 s at most) for the server to close c without
// sending anything, and returns the read error (EOF or a reset).
func expectClosed(t *testing.T, c net.Conn) error {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(make([]byte, 512))
	if n > 0 || err == nil || isTimeout(err) {
		t.Fatalf("read on %s: %d bytes, %v; want the connection closed by the server", c.LocalAddr(), n, err)
	}
	return err
}

// TestServerTCPEviction: with the table full, a new connection evicts
// the one idle the longest (whether or not it ever sent a query), and
// the others are still served.
func TestServerTCPEviction(t *testing.T) {
	cases := []struct {
		name string
		// queries lists the connections (0 or 1) that send a query, in
		// order, after both are open; a connection not listed is silent.
		queries []int
		evicted int
	}{
		{"the first queried first", []int{0, 1}, 0},
		{"the first queried last", []int{1, 0}, 1},
		{"a silent one", []int{1}, 0},
		{"queried twice, the second in between", []int{0, 1, 0}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, reg := startTCPServer(t, func(o *resolver.ServerOptions) {
				o.TCPMaxConnections = 2
				o.TCPIdleTimeout = time.Minute
			})
			conns := []net.Conn{dialTCP(t, addr), dialTCP(t, addr)}
			for i, q := range c.queries {
				mustAnswer(t, conns[q], uint16(10+i))
			}
			mustAnswer(t, dialTCP(t, addr), 99)
			expectClosed(t, conns[c.evicted])
			mustAnswer(t, conns[1-c.evicted], 100)
			if n := closedTotal(t, reg, "evicted"); n != 1 {
				t.Errorf("evicted connections counted: %v, want 1", n)
			}
			if n := metricValue(t, reg, "gtmd_dns_tcp_connections", nil); n != 2 {
				t.Errorf("open connections: %v, want 2", n)
			}
			if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
				t.Errorf("lint: %v %v", err, problems)
			}
		})
	}
}

// TestServerTCPEvictionCrowdedSource: among the connections idle the
// longest, the one evicted comes from the source holding the most, so a
// client with a single connection keeps it through a flood from a few
// sources even when it is the idlest.
func TestServerTCPEvictionCrowdedSource(t *testing.T) {
	needLoopback(t)
	addr, _ := startTCPServer(t, func(o *resolver.ServerOptions) {
		o.TCPMaxConnections = 3
		o.TCPIdleTimeout = time.Minute
	})
	lone := dialFrom(t, "127.0.0.2", addr)
	mustAnswer(t, lone, 1)
	crowd := []net.Conn{dialFrom(t, "127.0.0.3", addr), dialFrom(t, "127.0.0.3", addr)}
	mustAnswer(t, crowd[0], 2)
	mustAnswer(t, crowd[1], 3)
	mustAnswer(t, dialFrom(t, "127.0.0.4", addr), 4)
	expectClosed(t, crowd[0])
	mustAnswer(t, lone, 5)
	mustAnswer(t, crowd[1], 6)
}

// TestServerTCPPerSource: a source over its share is closed at once,
// another source is still served, and the source gets in again once one
// of its connections is gone.
func TestServerTCPPerSource(t *testing.T) {
	needLoopback(t)
	addr, reg := startTCPServer(t, func(o *resolver.ServerOptions) {
		o.TCPMaxConnections = 10
		o.TCPMaxConnectionsPerSource = 2
		o.TCPIdleTimeout = time.Minute
	})
	first, second := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	mustAnswer(t, first, 1)
	mustAnswer(t, second, 2)
	over := dialFrom(t, "127.0.0.1", addr)
	if err := writeFramed(over, tcpQuery(t, 3)); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, over)
	if n := closedTotal(t, reg, "per_source"); n != 1 {
		t.Errorf("per_source refusals counted: %v, want 1", n)
	}
	mustAnswer(t, dialFrom(t, "127.0.0.2", addr), 4)
	mustAnswer(t, first, 5)

	// Once the client has closed one, 127.0.0.1 has room again: the
	// table looks for a connection of the source its client has closed
	// before it refuses one. (Should the kernel not yet show the close,
	// a refusal is counted and the client tries again.)
	first.Close()
	deadline := time.Now().Add(10 * time.Second)
	for refusals := closedTotal(t, reg, "per_source"); ; {
		c := dialFrom(t, "127.0.0.1", addr)
		b, err := exchangeTCP(c, tcpQuery(t, 6), 10*time.Second)
		if err == nil {
			checkHostA(t, mustUnpack(t, b), 6)
			break
		}
		if now := closedTotal(t, reg, "per_source"); now != refusals+1 || time.Now().After(deadline) {
			t.Fatalf("a new connection from 127.0.0.1 after one closed: %v (per_source refusals %v → %v)", err, refusals, now)
		}
		refusals++
		c.Close()
	}
}

// TestServerTCPBusyIdleTimeout: the busy idle timeout applies while more
// than half of the table is in use, to the connections already open
// too; at half, the normal one does, again for those already open.
func TestServerTCPBusyIdleTimeout(t *testing.T) {
	t.Run("busy", func(t *testing.T) {
		const busy = 300 * time.Millisecond
		addr, reg, c0, c1 := startHalfTable(t, busy)
		// Two of four: not busy. Well past the busy timeout, both are open.
		time.Sleep(3 * busy)
		mustAnswer(t, c0, 3)
		if n := closedTotal(t, reg, "idle"); n != 0 {
			t.Fatalf("idle closes at half the table: %v, want 0", n)
		}
		// c1 goes idle well after c0, so c0's deadline comes first.
		time.Sleep(busy / 3)
		mustAnswer(t, c1, 4)
		// A third makes the table busy: the one idle the longest, open
		// already, is closed within the busy timeout, not the minute it was
		// given. (That brings the table back to half, and the others may
		// stay.)
		mustAnswer(t, dialTCP(t, addr), 5)
		expectClosed(t, c0)
		if n := closedTotal(t, reg, "idle"); n < 1 {
			t.Errorf("idle closes counted: %v, want at least 1", n)
		}
	})
	t.Run("relieved", func(t *testing.T) {
		const busy = 2 * time.Second
		addr, reg, c0, c1 := startHalfTable(t, busy)
		// Busy while two more are open; they leave at once.
		for i := range 2 {
			c := dialTCP(t, addr)
			mustAnswer(t, c, uint16(10+i))
			c.Close()
		}
		waitMetric(t, reg, "gtmd_dns_tcp_connections", nil, 2)
		// Back at half: the connections already open have the minute again.
		time.Sleep(busy + busy/2)
		mustAnswer(t, c0, 3)
		mustAnswer(t, c1, 4)
		if n := closedTotal(t, reg, "idle"); n != 0 {
			t.Errorf("idle closes counted: %v, want 0", n)
		}
	})
}

// startHalfTable starts a server with a table of four, an idle timeout
// of a minute and the busy idle timeout busy, and opens two connections
// to it, c0 then c1, each answered once (ids 1 and 2): half the table.
func startHalfTable(t *testing.T, busy time.Duration) (addr string, reg *prometheus.Registry, c0, c1 net.Conn) {
	t.Helper()
	addr, reg = startTCPServer(t, func(o *resolver.ServerOptions) {
		o.TCPMaxConnections = 4
		o.TCPIdleTimeout = time.Minute
		o.TCPBusyIdleTimeout = busy
	})
	c0, c1 = dialTCP(t, addr), dialTCP(t, addr)
	mustAnswer(t, c0, 1)
	mustAnswer(t, c1, 2)
	return addr, reg, c0, c1
}

// waitMetric waits (10 s at most) for a metric to reach want: what the
// server counts after the client has seen the effect.
func waitMetric(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := metricValue(t, reg, name, labels)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServerTCPSlowRead: a connection must complete each query within the
// idle timeout of becoming idle; sending part of one, or sending it a
// byte at a time, does not keep it open.
func TestServerTCPSlowRead(t *testing.T) {
	const idle = 300 * time.Millisecond
	query := tcpQuery(t, 7)
	framed := append([]byte{0, byte(len(query))}, query...)
	cases := []struct {
		name string
		// answered queries first, then send writes its part.
		answered bool
		send     func(c net.Conn)
	}{
		{"silent", false, func(net.Conn) {}},
		{"half a length prefix", false, func(c net.Conn) { c.Write(framed[:1]) }},
		{"a length prefix", false, func(c net.Conn) { c.Write(framed[:2]) }},
		{"half a query", false, func(c net.Conn) { c.Write(framed[:len(framed)/2]) }},
		{"half a query after an answer", true, func(c net.Conn) { c.Write(framed[:len(framed)/2]) }},
		{"a query a byte at a time", false, func(c net.Conn) {
			// Each byte comes well within the timeout; the whole does not.
			for _, b := range framed {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(idle / 4)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, reg := startTCPServer(t, func(o *resolver.ServerOptions) {
				o.TCPIdleTimeout = idle
				o.TCPBusyIdleTimeout = idle
			})
			conn := dialTCP(t, addr)
			if c.answered {
				mustAnswer(t, conn, 1)
			}
			go c.send(conn)
			expectClosed(t, conn)
			if n := closedTotal(t, reg, "idle"); n != 1 {
				t.Errorf("idle closes counted: %v, want 1", n)
			}
		})
	}
}

// TestServerTCPMaxQueriesPipelined: queries written at once are all
// answered, in order, up to twice TCPMaxQueries; then the server closes
// cleanly (EOF, never a reset that would lose answers in flight).
func TestServerTCPMaxQueriesPipelined(t *testing.T) {
	cases := []struct {
		max, sent, answered int
	}{
		{1000, 1500, 1500},
		{1000, 1000, 1000},
		{10, 20, 20},
		{10, 35, 20},
		{1, 3, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("max %d, %d sent", c.max, c.sent), func(t *testing.T) {
			addr, reg := startTCPServer(t, func(o *resolver.ServerOptions) {
				o.TCPMaxQueries = c.max
				o.TCPIdleTimeout = time.Minute
			})
			conn := dialTCP(t, addr)
			var pkts [][]byte
			for i := range c.sent {
				pkts = append(pkts, tcpQuery(t, uint16(i)))
			}
			if err := writeFramed(conn, pkts...); err != nil {
				t.Fatal(err)
			}
			if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(conn)
			for i := range c.answered {
				b, err := readFramed(r)
				if err != nil {
					t.Fatalf("after %d answers of %d: %v", i, c.answered, err)
				}
				m := mustUnpack(t, b)
				if m.Id != uint16(i) {
					t.Fatalf("answer %d has id %d: out of order", i, m.Id)
				}
				checkHostA(t, m, uint16(i))
			}
			if b, err := readFramed(r); !errors.Is(err, io.EOF) {
				t.Fatalf("after %d answers: %x, %v; want EOF (a clean close)", c.answered, b, err)
			}
			// The server counts once the client has closed too.
			conn.Close()
			waitMetric(t, reg, "gtmd_dns_tcp_connections_closed_total", map[string]string{"reason": "max_queries"}, 1)
		})
	}
}

// TestServerTCPKeepalive: a TCP query with the edns-tcp-keepalive option
// (RFC 7828) gets the idle timeout in force in units of 100 ms: the
// normal one, or the busy one while the table is more than half full.
// Without the option none is sent. A query must not carry the option over
// UDP, nor give a timeout in it (§3.2.1): either is answered FORMERR
// (§3.3.1, RFC 6891 §7), with an OPT record and no keepalive option; so
// is an option whose length is neither 0 nor 2, which does not unpack.
func TestServerTCPKeepalive(t *testing.T) {
	// keepalive: -1 no option, 0 empty, n > 0 a timeout of n, or with
	// the odd length a one-byte value.
	query := func(id uint16, edns bool, keepalive int, odd bool) []byte {
		return packEdited(t, "host.example.test.", dns.TypeA, func(m *dns.Msg) {
			m.Id = id
			if edns {
				m.SetEdns0(4096, false)
			}
			opt := m.IsEdns0()
			switch {
			case keepalive < 0:
			case odd:
				opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: dns.EDNS0TCPKEEPALIVE, Data: []byte{byte(keepalive)}})
			default:
				opt.Option = append(opt.Option, &dns.EDNS0_TCP_KEEPALIVE{Code: dns.EDNS0TCPKEEPALIVE, Timeout: uint16(keepalive)})
			}
		})
	}
	cases := []struct {
		name      string
		others    int // connections opened first, of 4
		edns      bool
		keepalive int
		odd       bool
		udp       bool
		rcode     int
		want      uint16 // 0: no option
	}{
		{"idle", 0, true, 0, false, false, dns.RcodeSuccess, 600},
		{"half full", 1, true, 0, false, false, dns.RcodeSuccess, 600},
		{"busy", 2, true, 0, false, false, dns.RcodeSuccess, 50},
		{"without the option", 0, true, -1, false, false, dns.RcodeSuccess, 0},
		{"without EDNS", 0, false, -1, false, false, dns.RcodeSuccess, 0},
		{"over UDP", 0, true, 0, false, true, dns.RcodeFormatError, 0},
		{"over UDP with a timeout", 0, true, 100, false, true, dns.RcodeFormatError, 0},
		{"a timeout over TCP", 0, true, 100, false, false, dns.RcodeFormatError, 0},
		{"a timeout over TCP, busy", 2, true, 1, false, false, dns.RcodeFormatError, 0},
		{"one byte over TCP", 0, true, 1, true, false, dns.RcodeFormatError, 0},
		{"one byte over UDP", 0, true, 1, true, true, dns.RcodeFormatError, 0},
		{"without the option over UDP", 0, true, -1, false, true, dns.RcodeSuccess, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, _ := startTCPServer(t, func(o *resolver.ServerOptions) {
				o.TCPMaxConnections = 4
				o.TCPIdleTimeout = time.Minute
				o.TCPBusyIdleTimeout = 5 * time.Second
			})
			for i := range c.others {
				mustAnswer(t, dialTCP(t, addr), uint16(100+i))
			}
			var b []byte
			var err error
			q := query(1, c.edns, c.keepalive, c.odd)
			if c.udp {
				b, err = exchangeUDP(addr, q, 10*time.Second)
			} else {
				b, err = exchangeTCP(dialTCP(t, addr), q, 10*time.Second)
			}
			if err != nil {
				t.Fatal(err)
			}
			m := mustUnpack(t, b)
			if c.rcode == dns.RcodeSuccess {
				checkHostA(t, m, 1)
			} else if m.Rcode != c.rcode || m.Id != 1 || len(m.Answer) != 0 {
				t.Fatalf("response id %d rcode %s with %d answers, want id 1 %s and none", m.Id, dns.RcodeToString[m.Rcode], len(m.Answer), dns.RcodeToString[c.rcode])
			}
			opt := m.IsEdns0()
			// The query that does not unpack is answered from its header
			// alone, without an OPT record.
			if wantOPT := c.edns && !c.odd; wantOPT != (opt != nil) {
				t.Fatalf("response OPT %v, want one: %v", opt, wantOPT)
			}
			var got []uint16
			if opt != nil {
				for _, o := range opt.Option {
					if k, ok := o.(*dns.EDNS0_TCP_KEEPALIVE); ok {
						got = append(got, k.Timeout)
					}
				}
			}
			switch {
			case c.want == 0 && len(got) != 0:
				t.Errorf("keepalive options %v, want none", got)
			case c.want != 0 && (len(got) != 1 || got[0] != c.want):
				t.Errorf("keepalive options %v, want one of %d", got, c.want)
			}
		})
	}
}

// TestServerTCPHostile: hostile clients holding many more idle
// connections than the table takes, reconnecting whenever closed, leave
// every new TCP query from another source answered. Each hostile client
// stops after a bounded number of connections or when the test ends.
func TestServerTCPHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("opens thousands of connections")
	}
	needLoopback(t)
	const (
		limit      = 100
		hostile    = 500
		sources    = 16 // 127.0.0.3 and on: 16 × 32 per source ≥ hostile
		batch      = 50
		reconnects = 1000
		queries    = 20
	)
	raiseFileLimit(t, 3*hostile)
	addr, reg := startTCPServer(t, func(o *resolver.ServerOptions) {
		o.TCPMaxConnections = limit
		o.TCPIdleTimeout = 10 * time.Second
		o.TCPBusyIdleTimeout = time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	var dials, refusedDials atomic.Int64
	// A hostile client connects, sends nothing, and when the server
	// closes the connection, connects again.
	attack := func(src string) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		for range reconnects {
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				refusedDials.Add(1)
				continue
			}
			dials.Add(1)
			stop := context.AfterFunc(ctx, func() { c.Close() })
			_, _ = c.Read(make([]byte, 1))
			stop()
			c.Close()
			if ctx.Err() != nil {
				return
			}
		}
	}
	for i := 0; i < hostile; i += batch {
		for j := i; j < i+batch; j++ {
			wg.Go(func() { attack(fmt.Sprintf("127.0.0.%d", 3+j%sources)) })
		}
		// Each batch is connected before the next starts.
		for dials.Load() < int64(i+batch) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}
	// Each query goes on a new connection. A connection evicted before
	// its query arrived is closed unanswered, and the client retries on
	// another (RFC 7766 §6.2.3.1), as resolvers do; the server lets a
	// connection in and answers it unless max more arrive before its
	// query (here in the test's own goroutines, slowed by the hostile
	// ones), so a retry may be needed now and then.
	const attempts = 3
	before := closedTotal(t, reg, "evicted")
	retries := 0
	for i := range queries {
		id := uint16(i)
		for try := 1; ; try++ {
			b, err := exchangeTCP(dialFrom(t, "127.0.0.2", addr), tcpQuery(t, id), 10*time.Second)
			if err == nil {
				checkHostA(t, mustUnpack(t, b), id)
				break
			}
			if isTimeout(err) || try == attempts {
				t.Fatalf("query %d, attempt %d: %v", i, try, err)
			}
			retries++
		}
	}
	during := closedTotal(t, reg, "evicted") - before
	cancel()
	wg.Wait()
	evicted := closedTotal(t, reg, "evicted")
	t.Logf("%d queries answered with %d retries; %d hostile connections (%d dials failed), %v evicted (%v while querying), %v refused per source, %v closed idle",
		queries, retries, dials.Load(), refusedDials.Load(), evicted, during, closedTotal(t, reg, "per_source"), closedTotal(t, reg, "idle"))
	if dials.Load() < hostile || evicted < hostile-limit || during < queries {
		t.Errorf("the attack did not take place: %d hostile connections, %v evicted, %v while the queries were sent", dials.Load(), evicted, during)
	}
}

// raiseFileLimit raises the soft descriptor limit to the hard one, and
// skips the test when that leaves fewer than need.
func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skipf("reading the descriptor limit: %v", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			t.Logf("raising the descriptor limit: %v", err)
		}
	}
	if rl.Cur < need {
		t.Skipf("descriptor limit %d, the test needs %d", rl.Cur, need)
	}
}

// fdChildEnv makes the test binary the server of
// TestServerTCPOutOfDescriptors, with a low descriptor limit of its own.
const fdChildEnv = "GTMD_TEST_TCP_FD_CHILD"

// TestServerTCPOutOfDescriptors: a server that runs out of descriptors
// before its table is full (here 64 descriptors, 1000 connections
// allowed) evicts the connection idle the longest when accept fails, so
// new clients still get in. The server is this test binary run again,
// so that only it has the low limit.
func TestServerTCPOutOfDescriptors(t *testing.T) {
	if os.Getenv(fdChildEnv) == "1" {
		serveWithFewDescriptors(t)
		return
	}
	if testing.Short() {
		t.Skip("runs a server process")
	}
	needLoopback(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerTCPOutOfDescriptors$", "-test.v")
	cmd.Env = append(os.Environ(), fdChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testlog.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	var addr string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatalf("the server process did not start: %s", stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	// More idle connections than the server has descriptors for.
	for range 200 {
		dialFrom(t, "127.0.0.3", addr)
	}
	for i := range 5 {
		mustAnswer(t, dialFrom(t, "127.0.0.2", addr), uint16(i))
	}
	if !strings.Contains(stderr.String(), "dns tcp accept failed") {
		t.Errorf("the server never ran out of descriptors; its log:\n%s", stderr.String())
	}
}

// serveWithFewDescriptors is the server process of
// TestServerTCPOutOfDescriptors: it serves until its stdin closes.
func serveWithFewDescriptors(t *testing.T) {
	srv := resolver.NewServer(resolver.ServerOptions{
		Addrs: []string{"127.0.0.1:0"}, Handler: newHandler(testSnapshot(t)), UDPListeners: 1,
		TCPMaxConnections: 1000, TCPMaxConnectionsPerSource: 1000, TCPIdleTimeout: time.Minute,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	rl.Cur = min(64, rl.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening on %s\n", srv.Addrs()[0])
	_, _ = io.Copy(io.Discard, os.Stdin)
}
