package resolver_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// dialUDP opens a UDP socket to addr and closes it when the test ends.
func dialUDP(tb testing.TB, addr string) *net.UDPConn {
	tb.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	return c.(*net.UDPConn)
}

// answerOrNone sends pkt and then sentinel on c and returns pkt's answer,
// or nil if the sentinel's came first: the batched readers answer one
// socket's datagrams in order.
func answerOrNone(tb testing.TB, c net.Conn, pkt, sentinel []byte) []byte {
	tb.Helper()
	for _, p := range [][]byte{pkt, sentinel} {
		if _, err := c.Write(p); err != nil {
			tb.Fatal(err)
		}
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		tb.Fatalf("no answer: %v", err)
	}
	if bytes.Equal(buf[:2], sentinel[:2]) {
		return nil
	}
	got := bytes.Clone(buf[:n])
	if _, err := c.Read(buf); err != nil {
		tb.Fatalf("no answer to the sentinel: %v", err)
	}
	return got
}

// TestUDPFamilies: sockets bound to 127.0.0.1 and to ::1 answer through
// the handler, and through its PacketAnswerer when it has one, which sees
// the client's address and port; when the answerer declines, the handler
// answers; when it answers nil, nothing is sent.
func TestUDPFamilies(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			if l, err := net.ListenPacket("udp", addr); err != nil {
				t.Skipf("cannot bind %s here: %v", addr, err)
			} else {
				l.Close()
			}
			edit := func(o *resolver.ServerOptions) { o.Addrs = []string{addr} }

			srv := startServer(t, newHandler(testSnapshot(t)), edit)
			c := dialUDP(t, srv.Addrs()[0])
			b := make([]byte, 4096)
			if _, err := c.Write(packQuery(t, 7, "host.example.test.", dns.TypeA, true)); err != nil {
				t.Fatal(err)
			}
			n, err := c.Read(b)
			if err != nil {
				t.Fatalf("handler: %v", err)
			}
			checkHostA(t, mustUnpack(t, b[:n]), 7)

			echo := &echoAnswerer{decline: true, silent: true, sources: make(chan netip.AddrPort, 16)}
			srv = startServer(t, echo, edit)
			c = dialUDP(t, srv.Addrs()[0])
			client := c.LocalAddr().(*net.UDPAddr).AddrPort()
			sentinel := packQuery(t, 4, "host.example.test.", dns.TypeA, false)
			cases := []struct {
				name  string
				id    uint16
				rcode int // -1: the query echoed
				none  bool
			}{
				{"answered by the PacketAnswerer", 2, -1, false},
				{"declined, answered by the handler", 1, dns.RcodeRefused, false},
				{"answered with nothing", 6, 0, true},
			}
			for _, tc := range cases {
				q := packQuery(t, tc.id, "host.example.test.", dns.TypeA, false)
				got := answerOrNone(t, c, q, sentinel)
				switch {
				case tc.none:
					if got != nil {
						t.Errorf("%s: got % x, want no answer", tc.name, got)
					}
				case got == nil:
					t.Errorf("%s: no answer", tc.name)
				case tc.rcode < 0:
					want := bytes.Clone(q)
					want[2] |= 0x80
					if !bytes.Equal(got, want) {
						t.Errorf("%s: got % x, want the query echoed % x", tc.name, got, want)
					}
				default:
					if m := mustUnpack(t, got); m.Id != tc.id || m.Rcode != tc.rcode {
						t.Errorf("%s: id %d rcode %s, want id %d %s", tc.name, m.Id, rcodeString(m.Rcode), tc.id, rcodeString(tc.rcode))
					}
				}
			}
			for range 2 * len(cases) { // each case and its sentinel
				if src := <-echo.sources; src != client {
					t.Errorf("PacketAnswerer saw source %v, want %v", src, client)
				}
			}
		})
	}
}

// TestUDPFastPathAllocs: a query answered by the PacketAnswerer costs no
// allocation, in the server or in the exchange around it.
func TestUDPFastPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	srv := startServer(t, &echoAnswerer{}, func(o *resolver.ServerOptions) { o.UDPListeners = 1 })
	c := dialUDP(t, srv.Addrs()[0])
	q := packQuery(t, 2, "host.example.test.", dns.TypeA, false)
	b := make([]byte, 4096)
	exchange := func() {
		if _, err := c.Write(q); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(b); err != nil {
			t.Fatal(err)
		}
	}
	exchange()
	if n := testing.AllocsPerRun(500, exchange); n != 0 {
		t.Errorf("%v allocations per exchange through the PacketAnswerer, want 0", n)
	}
}

// writesHandler answers each query with n datagrams through Write, then
// one through WriteMsg, then closes the writer and records what writing
// after Close returned.
type writesHandler struct {
	n          int
	afterClose chan error
}

func (h *writesHandler) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg).SetReply(q)
	for i := range h.n {
		m.Id = uint16(i)
		b, _ := m.Pack()
		_, _ = w.Write(b)
		b[0] = 0xFF // Write has copied it
	}
	m.Id = uint16(h.n)
	_ = w.WriteMsg(m)
	_ = w.Close()
	_, err := w.Write([]byte{1})
	h.afterClose <- errors.Join(err, w.WriteMsg(m), w.Close())
}

// TestUDPManyWrites: a handler's writes each go out as one datagram, in
// order, more than a batch holds too; after Close, writes fail.
func TestUDPManyWrites(t *testing.T) {
	h := &writesHandler{n: 70, afterClose: make(chan error, 1)}
	srv := startServer(t, h, func(o *resolver.ServerOptions) { o.UDPListeners = 1 })
	c := dialUDP(t, srv.Addrs()[0])
	_ = c.SetReadBuffer(1 << 20)
	if _, err := c.Write(packQuery(t, 9, "host.example.test.", dns.TypeA, false)); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4096)
	for i := range h.n + 1 {
		n, err := c.Read(b)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if id := binary.BigEndian.Uint16(b[:n]); int(id) != i {
			t.Fatalf("datagram %d has id %d", i, id)
		}
	}
	if err := <-h.afterClose; err == nil {
		t.Error("Write, WriteMsg and Close after Close all succeeded")
	}
}

// blockingHandler answers once released, saying when a query arrived.
type blockingHandler struct {
	entered, release chan struct{}
}

func (h *blockingHandler) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	h.entered <- struct{}{}
	<-h.release
	_ = w.WriteMsg(new(dns.Msg).SetRcode(q, dns.RcodeRefused))
}

// TestUDPShutdownFinishesInFlight: Shutdown lets the query being answered
// finish and its answer go out, then frees the port; with its context
// ended first it still stops, and says so.
func TestUDPShutdownFinishesInFlight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ctx      func() (context.Context, context.CancelFunc)
		answered bool
	}{
		{"in time", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Minute)
		}, true},
		{"context ended", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &blockingHandler{entered: make(chan struct{}, 1), release: make(chan struct{})}
			srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{"127.0.0.1:0"}, Handler: h, UDPListeners: 1})
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			addr := srv.Addrs()[0]
			c := dialUDP(t, addr)
			if _, err := c.Write(packQuery(t, 3, "host.example.test.", dns.TypeA, false)); err != nil {
				t.Fatal(err)
			}
			<-h.entered
			ctx, cancel := tc.ctx()
			defer cancel()
			stopped := make(chan error, 1)
			go func() { stopped <- srv.Shutdown(ctx) }()
			if !tc.answered {
				// The socket closes once the context has ended, while the
				// handler still runs.
				waitFor(t, "the socket to close", func() bool {
					pc, err := net.ListenPacket("udp", addr)
					if err == nil {
						pc.Close()
					}
					return err == nil
				})
			}
			close(h.release)
			err := <-stopped
			b := make([]byte, 512)
			if !tc.answered {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Shutdown: %v, want the context's error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			n, err := c.Read(b)
			if err != nil {
				t.Fatalf("the query in flight got no answer: %v", err)
			}
			if m := mustUnpack(t, b[:n]); m.Id != 3 || m.Rcode != dns.RcodeRefused {
				t.Errorf("answer id %d rcode %s, want 3 REFUSED", m.Id, rcodeString(m.Rcode))
			}
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				t.Fatalf("UDP %s still bound after Shutdown: %v", addr, err)
			}
			pc.Close()
		})
	}
}

// TestUDPMetrics: every datagram read is counted in one batch, and the
// metrics pass the linter.
func TestUDPMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := resolver.NewUDPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, &echoAnswerer{}, func(o *resolver.ServerOptions) { o.UDPMetrics = m })
	const queries = 10
	c := dialUDP(t, srv.Addrs()[0])
	b := make([]byte, 512)
	for i := range queries {
		if _, err := c.Write(packQuery(t, uint16(2*i), "host.example.test.", dns.TypeA, false)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(b); err != nil {
			t.Fatal(err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var datagrams float64
	for _, mf := range mfs {
		if mf.GetName() == "gtmd_dns_udp_read_batch_datagrams" {
			datagrams = mf.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	if datagrams != queries {
		t.Errorf("%v datagrams counted in read batches, want %d", datagrams, queries)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}

// TestUDPNilHandler: a server without a handler answers REFUSED, as
// miekg/dns's empty ServeMux does, rather than crash.
func TestUDPNilHandler(t *testing.T) {
	srv := startServer(t, nil, nil)
	b, err := exchangeUDP(srv.Addrs()[0], packQuery(t, 5, "host.example.test.", dns.TypeA, false), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m := mustUnpack(t, b); m.Id != 5 || m.Rcode != dns.RcodeRefused {
		t.Errorf("id %d rcode %s, want 5 REFUSED", m.Id, rcodeString(m.Rcode))
	}
}
