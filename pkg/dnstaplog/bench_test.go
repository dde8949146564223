package dnstaplog_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/dnstaplog"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// discard is an output that keeps nothing: the benchmark measures the
// query path and the encoding, not a disk.
type discard struct{}

func (discard) WriteFrame([]byte) error { return nil }
func (discard) Flush() error            { return nil }
func (discard) Close() error            { return nil }

// recycler is a query log that takes back each record at once: what the
// query path alone costs with the log on, without the writer's encoding
// (which runs on its own goroutine, and which the "on" case counts too,
// since allocations are counted process-wide).
type recycler struct{ q resolver.LoggedQuery }

func (r *recycler) Take() *resolver.LoggedQuery  { return &r.q }
func (r *recycler) Send(q *resolver.LoggedQuery) { q.Reset() }

// discardingLog is a started logger that samples queries at sample and
// encodes them to nowhere; it is closed when b ends.
func discardingLog(b *testing.B, sample float64) *dnstaplog.Logger {
	l, err := dnstaplog.New(dnstaplog.Options{Output: discard{}, Sample: sample})
	if err != nil {
		b.Fatal(err)
	}
	l.Start()
	b.Cleanup(func() { closeLog(b, l) })
	return l
}

// BenchmarkAnswerPacket answers a service query on the fast path with
// the query log off, on (the writer encoding to nowhere), on at a sample
// of 1%, and on with only the query path's part (recycler).
func BenchmarkAnswerPacket(b *testing.B) {
	q := new(dns.Msg)
	q.SetQuestion("www.gtm.test.", dns.TypeA)
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	src := netip.MustParseAddrPort("127.0.0.1:5353")
	for _, bc := range []struct {
		name   string
		sample float64
	}{{"off", 0}, {"on", 1}, {"sampled-1pct", 0.01}, {"query-path-only", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			var qlog resolver.QueryLog
			if bc.sample < 0 {
				qlog = &recycler{}
			}
			if bc.sample > 0 {
				qlog = discardingLog(b, bc.sample)
			}
			h := resolver.NewHandler(resolver.Options{QueryLog: qlog})
			h.Swap(snapshot(b))
			out := make([]byte, 0, 512)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if resp, ok := h.AnswerPacket(wire, src, out); !ok || len(resp) == 0 {
					b.Fatal("the fast path declined")
				}
			}
		})
	}
}

// TestQueryPathAllocs: with the query log on, the fast path still
// allocates nothing of its own: it copies into the record it is given.
func TestQueryPathAllocs(t *testing.T) {
	q := new(dns.Msg)
	q.SetQuestion("www.gtm.test.", dns.TypeA)
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	log := &recycler{}
	h := resolver.NewHandler(resolver.Options{QueryLog: log})
	h.Swap(snapshot(t))
	src := netip.MustParseAddrPort("127.0.0.1:5353")
	out := make([]byte, 0, 512)
	answer := func() {
		if resp, ok := h.AnswerPacket(wire, src, out); !ok || len(resp) == 0 {
			t.Fatal("the fast path declined")
		}
	}
	answer()
	if len(log.q.Query) != 0 {
		t.Fatal("the record was not reset after Send")
	}
	if cap(log.q.Query) < len(wire) {
		t.Fatal("the query was not copied into the record")
	}
	if n := testing.AllocsPerRun(100, answer); n != 0 {
		t.Errorf("AnswerPacket with the query log on allocates %v times per query, want 0", n)
	}
}

// never is a query log that samples every query out: what a query left
// out of the log costs the full path.
type never struct{}

func (never) Take() *resolver.LoggedQuery { return nil }
func (never) Send(*resolver.LoggedQuery)  {}

// dropWriter is a dns.ResponseWriter over UDP that drops what it is
// given, as the full path's writer for a benchmark; it counts the calls
// for its addresses.
type dropWriter struct{ writes, locals, remotes int }

var (
	benchClient = &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1).To4(), Port: 53535}
	benchLocal  = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 53}
)

func (w *dropWriter) LocalAddr() net.Addr         { w.locals++; return benchLocal }
func (w *dropWriter) RemoteAddr() net.Addr        { w.remotes++; return benchClient }
func (w *dropWriter) WriteMsg(*dns.Msg) error     { w.writes++; return nil }
func (w *dropWriter) Write(b []byte) (int, error) { w.writes++; return len(b), nil }
func (w *dropWriter) Close() error                { return nil }
func (w *dropWriter) TsigStatus() error           { return nil }
func (w *dropWriter) TsigTimersOnly(bool)         {}
func (w *dropWriter) Hijack()                     {}

// BenchmarkServeDNS answers a service query on the full path (ServeDNS,
// which the fast path leaves queries with EDNS options, TCP and the rest
// to) with the query log off, sampling every query out, on at a sample
// of 1%, and on with only the query path's part (recycler).
func BenchmarkServeDNS(b *testing.B) {
	q := new(dns.Msg)
	q.SetQuestion("www.gtm.test.", dns.TypeA)
	q.SetEdns0(1232, false)
	for _, bc := range []struct {
		name   string
		sample float64
		qlog   resolver.QueryLog
	}{{"off", 0, nil}, {"sampled-out", 0, never{}}, {"sampled-1pct", 0.01, nil}, {"query-path-only", 0, &recycler{}}} {
		b.Run(bc.name, func(b *testing.B) {
			qlog := bc.qlog
			if bc.sample > 0 {
				qlog = discardingLog(b, bc.sample)
			}
			h := resolver.NewHandler(resolver.Options{QueryLog: qlog})
			h.Swap(snapshot(b))
			w := &dropWriter{}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeDNS(w, q)
			}
			if w.writes == 0 {
				b.Fatal("nothing was answered")
			}
		})
	}
}

// keeper is a query log that takes every query and keeps the last
// record sent.
type keeper struct{ last, q resolver.LoggedQuery }

func (k *keeper) Take() *resolver.LoggedQuery { return &k.q }
func (k *keeper) Send(q *resolver.LoggedQuery) {
	k.last = *q
	q.Reset()
}

// TestFullPathAddressesAfterSampling: on the full path, a query the log
// samples out does not have its addresses read for the log (ServeDNS
// reads the client's once, to answer); one the log takes has both, the
// client's and the server's.
func TestFullPathAddressesAfterSampling(t *testing.T) {
	q := new(dns.Msg)
	q.SetQuestion("www.gtm.test.", dns.TypeA)
	q.SetEdns0(1232, false)
	kept := &keeper{}
	for _, tc := range []struct {
		name            string
		qlog            resolver.QueryLog
		remotes, locals int
		client, server  string
	}{
		{"sampled out", never{}, 1, 0, "", ""},
		{"taken", kept, 1, 1, "192.0.2.1:53535", "127.0.0.1:53"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := resolver.NewHandler(resolver.Options{QueryLog: tc.qlog})
			h.Swap(snapshot(t))
			w := &dropWriter{}
			h.ServeDNS(w, q)
			if w.writes != 1 || w.remotes != tc.remotes || w.locals != tc.locals {
				t.Errorf("%d writes, %d reads of the client's address, %d of the server's; want 1, %d, %d", w.writes, w.remotes, w.locals, tc.remotes, tc.locals)
			}
			if tc.client != "" && (kept.last.Client.String() != tc.client || kept.last.Server.String() != tc.server) {
				t.Errorf("logged client %s, server %s; want %s, %s", kept.last.Client, kept.last.Server, tc.client, tc.server)
			}
		})
	}
}
