package dnstaplog_test

import (
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
				l, err := dnstaplog.New(dnstaplog.Options{Output: discard{}, Sample: bc.sample})
				if err != nil {
					b.Fatal(err)
				}
				l.Start()
				b.Cleanup(func() { closeLog(b, l) })
				qlog = l
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
