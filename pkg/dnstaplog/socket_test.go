package dnstaplog_test

import (
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	dnstap "github.com/dnstap/golang-dnstap"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/dnstaplog"
)

// collector is a dnstap collector on a Unix socket: it takes one
// connection and reads its stream until the stream ends.
type collector struct {
	ln   net.Listener
	done chan []*dnstap.Dnstap
}

func listenCollector(t *testing.T, network, addr string) *collector {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{ln: ln, done: make(chan []*dnstap.Dnstap, 1)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			c.done <- nil
			return
		}
		defer conn.Close()
		r, err := dnstap.NewReader(conn, &dnstap.ReaderOptions{Bidirectional: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Errorf("collector handshake: %v", err)
			c.done <- nil
			return
		}
		msgs, err := dnstaplog.ReadAll(r)
		if err != nil {
			t.Errorf("collector: %v", err)
		}
		c.done <- msgs
	}()
	return c
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestSocketOutput: with no collector listening, messages are dropped
// and counted; once one listens and the backoff has passed, the output
// connects (the bidirectional Frame Streams handshake) and the collector
// reads the later queries, the stream ending cleanly on Close.
func TestSocketOutput(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) { testSocketOutput(t, network) })
	}
}

// freeAddr is an address nothing listens on yet: a socket path, or a
// loopback port just given back.
func freeAddr(t *testing.T, network string) string {
	t.Helper()
	if network == "unix" {
		return filepath.Join(t.TempDir(), "tap.sock")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func testSocketOutput(t *testing.T, network string) {
	path := freeAddr(t, network)
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	out := dnstaplog.NewSocketOutput(network, path, dnstaplog.SocketOptions{Now: clock.Now, MinBackoff: time.Second})
	reg := prometheus.NewRegistry()
	l, err := dnstaplog.New(dnstaplog.Options{Output: out, Registerer: reg, Identity: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	addr := serve(t, l)

	ask(t, addr, "udp", "www.gtm.test.", dns.TypeA, 1)
	waitFor(t, "the first query's messages dropped", func() bool {
		_, dropped := counts(t, reg)
		return dropped == 2
	})
	c := listenCollector(t, network, path)
	// Within the backoff nothing is tried: this query is dropped too.
	ask(t, addr, "udp", "www.gtm.test.", dns.TypeA, 2)
	waitFor(t, "the second query's messages dropped", func() bool {
		_, dropped := counts(t, reg)
		return dropped == 4
	})
	clock.advance(time.Minute)
	ask(t, addr, "udp", "www.gtm.test.", dns.TypeA, 3)
	ask(t, addr, "tcp", "www.gtm.test.", dns.TypeA, 4)
	closeLog(t, l)
	msgs := <-c.done
	if len(msgs) != 4 {
		t.Fatalf("collector read %d messages, want 4", len(msgs))
	}
	for i, d := range msgs {
		var q dns.Msg
		m := d.GetMessage()
		wire := m.GetQueryMessage()
		if m.GetType() == dnstap.Message_AUTH_RESPONSE {
			wire = m.GetResponseMessage()
		}
		if err := q.Unpack(wire); err != nil {
			t.Fatal(err)
		}
		if want := uint16(3 + i/2); q.Id != want || string(d.GetExtra()) != wantServiceExtra || string(d.GetIdentity()) != "node-1" {
			t.Errorf("message %d: id %d extra %q identity %q; want id %d, %q, node-1", i, q.Id, d.GetExtra(), d.GetIdentity(), want, wantServiceExtra)
		}
	}
	if sent, dropped := counts(t, reg); sent != 4 || dropped != 4 {
		t.Errorf("sent %v dropped %v, want 4 and 4", sent, dropped)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline: the wait is for the writer goroutine, not a measurement.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
