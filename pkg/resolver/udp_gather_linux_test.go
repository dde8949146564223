//go:build linux

package resolver

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// waitedConn is a socket's batched I/O whose reads all say they waited
// for their first datagram.
type waitedConn struct{ batchConn }

func (waitedConn) readWaited() bool { return true }

// readResult is one read as gather sees it.
type readResult struct {
	n      int
	waited bool
}

func (r readResult) readWaited() bool { return r.waited }

// TestGather: which reads are followed by a wait, and which waits go
// through the scheduler. A wait follows a read that found datagrams
// queued, fewer than a batch; a read that waited for its first datagram
// ends a streak; every waitsPerTurn-th wait in a row sleeps through the
// scheduler instead of keeping the processor.
func TestGather(t *testing.T) {
	const wait = 250 * time.Microsecond // four waits make udpWaitStreak
	queued := readResult{5, false}
	cases := []struct {
		name  string
		wait  time.Duration
		reads []readResult
		want  string // per read: "-" no wait, "n" a nap, "s" a sleep
	}{
		{"idle", wait, []readResult{{1, true}, {3, true}}, "--"},
		{"queued, fewer than a batch", wait, []readResult{queued, {1, false}, {udpBatchSize - 1, false}}, "nnn"},
		{"full reads", wait, []readResult{{udpBatchSize, false}, {udpBatchSize, false}}, "--"},
		{"a streak", wait, []readResult{queued, queued, queued, queued, queued, queued, queued, queued, queued}, "nnnsnnnsn"},
		{"full reads do not end a streak", wait, []readResult{queued, queued, {udpBatchSize, false}, queued, queued}, "nn-ns"},
		{"a read that waited ends a streak", wait, []readResult{queued, queued, queued, {2, true}, queued, queued, queued, queued}, "nnn-nnns"},
		{"a wait as long as the streak", udpWaitStreak, []readResult{queued, queued, {1, true}, queued}, "ss-s"},
		{"off", 0, []readResult{queued, queued}, "--"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewUDPMetrics(prometheus.NewPedanticRegistry())
			if err != nil {
				t.Fatal(err)
			}
			u := &udpReader{metrics: m, batchWait: tc.wait, waitsPerTurn: waitsPerTurn(tc.wait)}
			var got []byte
			u.nap = func(d time.Duration) {
				if d != tc.wait {
					t.Errorf("nap of %v, want %v", d, tc.wait)
				}
				got = append(got, 'n')
			}
			u.sleep = func(d time.Duration) {
				if d != tc.wait {
					t.Errorf("sleep of %v, want %v", d, tc.wait)
				}
				got = append(got, 's')
			}
			for _, r := range tc.reads {
				before := len(got)
				u.gather(r.n, r)
				if len(got) == before {
					got = append(got, '-')
				}
			}
			if string(got) != tc.want {
				t.Errorf("waits %q, want %q", got, tc.want)
			}
			waits := strings.Count(string(got), "n") + strings.Count(string(got), "s")
			if c := testutil.ToFloat64(m.waits); c != float64(waits) {
				t.Errorf("gtmd_dns_udp_batch_waits_total = %v, want %d", c, waits)
			}
		})
	}
}

// TestUDPGather: the reader on a real socket. Queries queued before it
// starts are found without waiting, so it waits after reading them,
// unless the wait is off or its reads say they waited; the batch's
// answers reach the client before the wait begins.
func TestUDPGather(t *testing.T) {
	const queued = 5
	cases := []struct {
		name string
		wait time.Duration
		// waited makes every read say it waited for its first datagram.
		waited bool
		naps   bool
	}{
		{"a few queued", 200 * time.Microsecond, false, true},
		{"off", 0, false, false},
		{"reads that waited", 200 * time.Microsecond, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			reply := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) { _ = w.WriteMsg(new(dns.Msg).SetReply(q)) })
			u, err := newUDPReader(conn, &ServerOptions{Handler: reply, Logger: slog.New(slog.DiscardHandler), UDPBatchWait: tc.wait})
			if err != nil {
				t.Fatal(err)
			}
			if tc.waited {
				u.batch = waitedConn{u.batch}
			}
			client, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			_ = client.SetReadBuffer(1 << 20)
			// When a wait is due, the answers the reader has sent must be
			// there to read already (a wait before the send would hold
			// them): the first wait reads them, on the reader's goroutine.
			var naps atomic.Int64
			sentFirst := make(chan error, 1)
			b := make([]byte, 512)
			u.nap = func(time.Duration) {
				if naps.Add(1) > 1 || !tc.naps {
					return
				}
				err := client.SetReadDeadline(time.Now().Add(2 * time.Second))
				for i := 0; i < queued && err == nil; i++ {
					if _, err = client.Read(b); err != nil {
						err = fmt.Errorf("waiting with %d of %d answers sent: %w", i, queued, err)
					}
				}
				sentFirst <- err
			}
			u.sleep = u.nap
			for i := range queued {
				if _, err := client.Write(packTestQuery(t, uint16(i))); err != nil {
					t.Fatal(err)
				}
			}
			served := make(chan error, 1)
			go func() { served <- u.serve() }()
			if tc.naps {
				select {
				case err := <-sentFirst:
					if err != nil {
						t.Error(err)
					}
				case <-time.After(10 * time.Second):
					t.Error("no wait after the queued queries were read")
				}
			} else {
				if err := client.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
					t.Fatal(err)
				}
				for i := range queued {
					if _, err := client.Read(b); err != nil {
						t.Fatalf("answer %d: %v", i, err)
					}
				}
			}
			u.stop()
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			// The queries usually arrive in one read (one wait); the kernel
			// may split them over a few.
			if got := naps.Load(); (got > 0) != tc.naps || got > queued {
				t.Errorf("%d waits; want some: %v", got, tc.naps)
			}
		})
	}
}

func packTestQuery(t *testing.T, id uint16) []byte {
	t.Helper()
	q := new(dns.Msg).SetQuestion("host.example.test.", dns.TypeA)
	q.Id = id
	b, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNapThread: the raw nanosleep sleeps at least what it is asked, and
// allocates nothing (it runs on the reader's path).
func TestNapThread(t *testing.T) {
	const d = 3 * time.Millisecond
	start := time.Now()
	napThread(d)
	if got := time.Since(start); got < d {
		t.Errorf("napThread(%v) returned after %v", d, got)
	}
	if n := testing.AllocsPerRun(100, func() { napThread(time.Microsecond) }); n != 0 {
		t.Errorf("napThread allocates %v times, want 0", n)
	}
}

// TestMMsgReadWaited: recvmmsg's reader says whether a read found the
// socket empty: a read of queued datagrams did not wait; a read of an
// empty socket did, even when it ends without a datagram (its deadline
// passed); and the next read of a queued datagram starts afresh.
func TestMMsgReadWaited(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bc, err := newBatchConn(conn)
	if err != nil {
		t.Fatal(err)
	}
	m := bc.(*mmsgConn)
	client, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	b := newUDPBatch()
	read := func(want int, wantErr bool) {
		t.Helper()
		n, err := m.ReadBatch(b.in, 0)
		if (err != nil) != wantErr || (err == nil && n != want) {
			t.Fatalf("ReadBatch = %d, %v; want %d datagrams (error: %v)", n, err, want, wantErr)
		}
	}
	for i := range 2 {
		if _, err := client.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	read(2, false)
	if m.readWaited() {
		t.Error("a read of queued datagrams says it waited")
	}
	// A deadline ahead: the read tries the socket, finds it empty, and
	// waits until the deadline ends it.
	if err := conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	read(0, true)
	if !m.readWaited() {
		t.Error("a read of an empty socket says it did not wait")
	}
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte{2}); err != nil {
		t.Fatal(err)
	}
	read(1, false)
	if m.readWaited() {
		t.Error("a read of a queued datagram after one that waited says it waited")
	}
}
