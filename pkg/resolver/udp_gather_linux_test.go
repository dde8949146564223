//go:build linux

package resolver

import (
	"log/slog"
	"net"
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

// TestUDPGather: a reader waits for queries to gather only after a read
// that found datagrams already queued, fewer than a batch; a read that
// waited for its first datagram, a full read, and a reader without
// UDPBatchWait are followed by the next read at once. The queries are queued in the socket
// before the reader starts, and nothing comes after them, so which reads
// find what is certain.
func TestUDPGather(t *testing.T) {
	cases := []struct {
		name   string
		wait   time.Duration
		queued int // queries in the socket when the reader starts
		// waited makes every read say it waited for its first datagram.
		waited bool
		naps   int64
	}{
		{"a few queued", 200 * time.Microsecond, 5, false, 1},
		{"one queued", 200 * time.Microsecond, 1, false, 1},
		{"a batch but one queued", 200 * time.Microsecond, udpBatchSize - 1, false, 1},
		{"a full batch queued", 200 * time.Microsecond, udpBatchSize, false, 0},
		{"a batch and a few queued", 200 * time.Microsecond, udpBatchSize + 3, false, 1},
		{"two full batches queued", 200 * time.Microsecond, 2 * udpBatchSize, false, 0},
		{"nothing queued", 200 * time.Microsecond, 0, false, 0},
		{"off", 0, 5, false, 0},
		{"a few, read after waiting", 200 * time.Microsecond, 5, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			m, err := NewUDPMetrics(prometheus.NewPedanticRegistry())
			if err != nil {
				t.Fatal(err)
			}
			reply := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) { _ = w.WriteMsg(new(dns.Msg).SetReply(q)) })
			u, err := newUDPReader(conn, &ServerOptions{Handler: reply, Logger: slog.New(slog.DiscardHandler), UDPMetrics: m, UDPBatchWait: tc.wait})
			if err != nil {
				t.Fatal(err)
			}
			if tc.waited {
				u.batch = waitedConn{u.batch}
			}
			var naps atomic.Int64
			u.nap = func(d time.Duration) {
				if d != tc.wait {
					t.Errorf("waited %v, want %v", d, tc.wait)
				}
				naps.Add(1)
			}
			client, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			_ = client.SetReadBuffer(1 << 20)
			for i := range tc.queued {
				if _, err := client.Write(packTestQuery(t, uint16(i))); err != nil {
					t.Fatal(err)
				}
			}
			served := make(chan error, 1)
			go func() { served <- u.serve() }()
			if err := client.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 512)
			for i := range tc.queued {
				if _, err := client.Read(b); err != nil {
					t.Fatalf("answer %d: %v", i, err)
				}
			}
			u.stop()
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			if got := naps.Load(); got != tc.naps {
				t.Errorf("%d waits, want %d", got, tc.naps)
			}
			if got := testutil.ToFloat64(m.waits); got != float64(tc.naps) {
				t.Errorf("gtmd_dns_udp_batch_waits_total = %v, want %d", got, tc.naps)
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
