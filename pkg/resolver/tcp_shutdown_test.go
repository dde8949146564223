package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestTCPShutdownConcurrent: Shutdown called several times at once, one
// of them already out of time, and the TCP server's own shutdown called
// beside them, while clients keep connecting (so connections are being
// accepted, evicted and ended as the calls run): every call returns,
// nothing is closed twice (a second close of a channel panics), every
// client connection is closed and the port is free afterwards. Run it
// with -race -count=20: the interleavings differ from run to run.
func TestTCPShutdownConcurrent(t *testing.T) {
	answer := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		_ = w.WriteMsg(m)
	})
	srv := NewServer(ServerOptions{
		Addrs: []string{"127.0.0.1:0"}, Handler: answer, UDPListeners: 1,
		// A small table, so that connections are evicted all along.
		TCPMaxConnections: 8, TCPMaxConnectionsPerSource: 1000,
		TCPIdleTimeout: time.Minute,
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addrs()[0]
	query := func(id uint16) []byte {
		q := new(dns.Msg)
		q.SetQuestion("example.test.", dns.TypeA)
		q.Id = id
		b, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
	}

	var (
		mu       sync.Mutex
		held     []net.Conn
		answered atomic.Int64
		stop     = make(chan struct{})
		clients  sync.WaitGroup
	)
	for i := range 6 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					return // the listener is closed
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				switch n % 3 {
				case 0: // a query answered, then idle
					if _, err := c.Write(query(uint16(i))); err != nil {
						continue
					}
					if _, err := io.ReadFull(c, make([]byte, 2)); err == nil {
						answered.Add(1)
					}
				case 1: // half a length prefix: a read in progress
					_, _ = c.Write([]byte{0})
				case 2: // queries pipelined and not read: answers in flight
					_, _ = c.Write(append(query(1), query(2)...))
				}
			}
		}()
	}
	waitFor(t, "a few answers", func() bool { return answered.Load() >= 10 })

	expired, cancel := context.WithCancel(context.Background())
	cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tcp := srv.tcp[0]
	calls := []func() error{
		func() error { return srv.Shutdown(ctx) },
		func() error { return srv.Shutdown(ctx) },
		func() error { return srv.Shutdown(expired) },
		func() error { return tcp.shutdown(ctx) },
		func() error { return tcp.shutdown(expired) },
	}
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = call()
		}()
	}
	wg.Wait()
	close(stop)
	clients.Wait()
	for i, err := range errs {
		// Out of time is an answer for a call given no time; anything
		// else is a failure.
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("shutdown call %d: %v", i, err)
		}
	}
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown after the others: %v", err)
	}

	tcp.table.mu.Lock()
	count, head, leaving := tcp.table.count, tcp.table.head, len(tcp.table.leaving)
	tcp.table.mu.Unlock()
	if count != 0 || head != nil || leaving != 0 {
		t.Errorf("after Shutdown the table holds %d connections (head %v), %d evicted still served; want none", count, head, leaving)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range held {
		// Whatever answers were in flight, the server's close follows.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("connection %s still open after Shutdown", c.LocalAddr())
		}
		c.Close()
	}
	if len(held) == 0 {
		t.Fatal("no client connected: the test tested nothing")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("tcp %s still bound after Shutdown: %v", addr, err)
	}
	l.Close()
}
