package resolver_test

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// packetWriter is the dns.ResponseWriter of fastLoop's fallback: it
// writes to the UDP socket the packet came in on.
type packetWriter struct {
	fakeWriter
	conn *net.UDPConn
	to   netip.AddrPort
}

func (w *packetWriter) Write(b []byte) (int, error) { return w.conn.WriteToUDPAddrPort(b, w.to) }

// fastLoop serves h on a UDP socket on 127.0.0.1 the way a reader loop
// with the fast path does: AnswerPacket first, into one reused buffer,
// and miekg/dns's unpacking and ServeDNS when it declines (packets miekg
// would answer itself are dropped here; the differential tests cover
// them). It returns the socket's address; fast counts the packets the
// fast path took.
func fastLoop(t *testing.T, h *resolver.Handler, fast *atomic.Int64) string {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		in, out := make([]byte, 65535), make([]byte, 0, 65535)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(in)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				t.Errorf("reading: %v", err)
				return
			}
			if resp, ok := h.AnswerPacket(in[:n], from, out); ok {
				fast.Add(1)
				if resp != nil {
					_, _ = conn.WriteToUDPAddrPort(resp, from)
				}
				continue
			}
			if verdict, q := serverSees(in[:n]); verdict == toHandler {
				h.ServeDNS(&packetWriter{fakeWriter: fakeWriter{remote: net.UDPAddrFromAddrPort(from)}, conn: conn, to: from}, q)
			}
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		wg.Wait()
	})
	return conn.LocalAddr().String()
}

// rawExchange sends wire over UDP from conn to addr and returns the
// reply's bytes.
func rawExchange(t *testing.T, conn *net.UDPConn, addr string, wire []byte) []byte {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteToUDP(wire, to); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, _, err := conn.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no reply to %x from %s: %v", wire, addr, err)
	}
	return buf[:n]
}

// TestFastPathOverUDP: real packets on loopback. The same query bytes
// sent from one client socket to the server (miekg/dns and ServeDNS) and
// to a reader loop with the fast path get the same reply bytes.
func TestFastPathOverUDP(t *testing.T) {
	snap := testSnapshot(t)
	p := newFastPair(t, snap, pairOptions{cookies: config.Cookies{Enabled: true}, nsid: "node-1.example"})
	full := startServer(t, p.slow, nil).Addrs()[0]
	var took atomic.Int64
	fast := fastLoop(t, p.fast, &took)
	client, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	src := client.LocalAddr().(*net.UDPAddr).AddrPort()
	valid := mintCookie(t, p, snap, src)
	queries := []struct {
		name  string
		qtype uint16
		edit  func(*dns.Msg)
	}{
		{"host.example.test.", dns.TypeA, nil},
		{"HOST.example.test.", dns.TypeAAAA, withOPT(1232, true)},
		{"example.test.", dns.TypeSOA, withOPT(1232, false, cookieOpt(valid))},
		{"example.test.", dns.TypeNS, withOPT(512, false, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})},
		{"nope.example.test.", dns.TypeA, withOPT(1232, false)},
		{"www.example.test.", dns.TypeA, withOPT(1232, false, ecs4("198.51.100.0", 24))},
		{"pinned.example.test.", dns.TypeA, withOPT(1232, false, ecs4("203.0.113.0", 24))},
		{"pinned.example.test.", dns.TypeA, nil},
		{"www.child.example.test.", dns.TypeA, nil},
		{"foo.wild.example.test.", dns.TypeA, nil},
		{"bigtxt.example.test.", dns.TypeTXT, withOPT(1232, false)},
	}
	for _, q := range queries {
		wire := packEdited(t, q.name, q.qtype, q.edit)
		want := rawExchange(t, client, full, wire)
		got := rawExchange(t, client, fast, wire)
		if !bytes.Equal(got, want) {
			t.Errorf("%s %s: the fast path's reply differs\nfast: %x\n%s\nfull: %x\n%s", q.name, dns.TypeToString[q.qtype], got, unpacked(got), want, unpacked(want))
		}
	}
	// All but the answer too big for UDP.
	if n := took.Load(); n != int64(len(queries)-1) {
		t.Errorf("the fast path took %d of %d queries, want %d", n, len(queries), len(queries)-1)
	}
}

// TestFastPathConcurrent answers from several goroutines while health
// flips and snapshots swap underneath, for the race detector: the
// precomputed answers are made on first use by whichever query gets
// there, and the decision tables are filled concurrently.
func TestFastPathConcurrent(t *testing.T) {
	snap := testSnapshot(t)
	h := newHandler(snap)
	wires := [][]byte{
		packEdited(t, "host.example.test.", dns.TypeA, nil),
		packEdited(t, "mail.example.test.", dns.TypeAAAA, withOPT(1232, false)),
		packEdited(t, "nope.example.test.", dns.TypeA, nil),
		packEdited(t, "www.example.test.", dns.TypeA, withOPT(1232, false, ecs4("198.51.100.0", 24))),
		packEdited(t, "www.child.example.test.", dns.TypeA, nil),
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]byte, 0, 65535)
			for i := range 2000 {
				w := wires[(i+g)%len(wires)]
				resp, ok := h.AnswerPacket(w, srcV4, out)
				if !ok || len(resp) < 12 || !bytes.Equal(resp[:2], w[:2]) {
					t.Errorf("%x: declined or a reply %x without the query's ID", w, resp)
					return
				}
			}
		}()
	}
	cur := snap
	for i := range 200 {
		cur = cur.WithHealthChanges([]resolver.HealthChange{{Service: "www.example.test.", Endpoint: "primary", Healthy: i%2 == 1}})
		h.Swap(cur)
	}
	wg.Wait()
}
