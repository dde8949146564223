package resolver_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// fixedRand draws the same number for the same n, so the two handlers
// of a pair make the same random choices whichever draws first or more
// often (the fast path's first look at a service node runs its policy
// once more, with a trace).
type fixedRand struct{}

func (fixedRand) IntN(n int) int { return n / 2 }

// pairSecret is the cookie secret of both handlers of a pair.
func pairSecret() [16]byte { return [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16} }

// pairOptions configure both handlers of a pair alike.
type pairOptions struct {
	locator geo.Locator
	// rrl, when set, gives each handler a rate limiter of its own.
	rrl     *config.RRL
	cookies config.Cookies
	nsid    string
}

// fastPair is two handlers alike on one snapshot: fast answers as the
// UDP reader does (AnswerPacket, and ServeDNS when it declines), slow
// through ServeDNS alone, the reference. Each has its own metrics, rate
// limiter and clock reading, so their state stays in step only if both
// paths count alike.
type fastPair struct {
	fast, slow       *resolver.Handler
	fastReg, slowReg *prometheus.Registry
	clock            *fakeClock
	// answered and declined count the fast path's verdicts.
	answered, declined int
	buf                []byte
}

func newFastPair(tb testing.TB, snap *resolver.Snapshot, po pairOptions) *fastPair {
	tb.Helper()
	p := &fastPair{clock: newFakeClock(time.Unix(1_700_000_000, 0)), buf: make([]byte, 0, 65535)}
	mk := func() (*resolver.Handler, *prometheus.Registry) {
		reg := prometheus.NewRegistry()
		m, err := resolver.NewMetrics(reg)
		if err != nil {
			tb.Fatal(err)
		}
		var rl *resolver.RateLimiter
		if po.rrl != nil {
			rl = newLimiter(tb, *po.rrl)
		}
		h := resolver.NewHandler(resolver.Options{
			Locator: po.locator, Rand: fixedRand{}, Metrics: m, RateLimiter: rl,
			Cookies: po.cookies, NSID: po.nsid, Now: p.clock.Now,
		})
		h.SetCookieSecrets(pairSecret(), [16]byte{})
		h.Swap(snap)
		return h, reg
	}
	p.fast, p.fastReg = mk()
	p.slow, p.slowReg = mk()
	return p
}

// serverVerdict is what miekg/dns's server does with a packet before
// any handler.
type serverVerdict uint8

const (
	// toHandler: the server unpacks the query and calls the handler.
	toHandler serverVerdict = iota
	// silent: too short for a header, or a response: no reply.
	silent
	// itself: the accept function rejects it or it does not unpack; the
	// server answers FORMERR or NOTIMP itself.
	itself
)

// serverSees is the verdict of miekg/dns's UDP server on wire, and the
// query it hands the handler.
func serverSees(wire []byte) (serverVerdict, *dns.Msg) {
	if len(wire) < 12 {
		return silent, nil
	}
	u16 := func(i int) uint16 { return binary.BigEndian.Uint16(wire[i:]) }
	hdr := dns.Header{Id: u16(0), Bits: u16(2), Qdcount: u16(4), Ancount: u16(6), Nscount: u16(8), Arcount: u16(10)}
	switch dns.DefaultMsgAcceptFunc(hdr) {
	case dns.MsgIgnore:
		return silent, nil
	case dns.MsgReject, dns.MsgRejectNotImplemented:
		return itself, nil
	}
	q := new(dns.Msg)
	if err := q.Unpack(wire); err != nil {
		return itself, nil
	}
	return toHandler, q
}

// serveFull answers q through h's full path as the server does, from
// src over UDP; nil when the handler sends nothing.
func serveFull(h *resolver.Handler, q *dns.Msg, src netip.AddrPort) []byte {
	w := &fakeWriter{remote: net.UDPAddrFromAddrPort(src)}
	h.ServeDNS(w, q)
	if w.writes == 0 {
		return nil
	}
	return w.out
}

// exchange sends wire from src to both handlers and fails t when the
// fast handler's response differs from the slow one's in any byte.
func (p *fastPair) exchange(t testing.TB, wire []byte, src netip.AddrPort) (fastAnswered bool) {
	t.Helper()
	verdict, q := serverSees(wire)
	var want []byte
	if verdict == toHandler {
		want = serveFull(p.slow, q, src)
	}
	got, ok := p.fast.AnswerPacket(wire, src, p.buf)
	if !ok {
		p.declined++
		if verdict == toHandler {
			serveFull(p.fast, q, src)
		}
		return false
	}
	p.answered++
	switch {
	case verdict == silent && got != nil:
		t.Errorf("query %x: the server sends nothing, the fast path answers %x", wire, got)
	case verdict == itself:
		t.Errorf("query %x: the server answers it itself (rejected or not unpacking), the fast path answers %x", wire, got)
	case verdict == toHandler && !bytes.Equal(got, want):
		t.Errorf("query %x (%s): fast path and full path differ\nfast: %x\n%s\nfull: %x\n%s", wire, describe(q), got, unpacked(got), want, unpacked(want))
	case len(got) > 0 && &got[:1][0] != &p.buf[:1][0]:
		t.Errorf("query %x: the response is not in out's memory: out of capacity %d was not reused", wire, cap(p.buf))
	}
	return true
}

// describe names a query for a failure message.
func describe(q *dns.Msg) string {
	if q == nil || len(q.Question) == 0 {
		return "no question"
	}
	s := q.Question[0].String()
	if opt := q.IsEdns0(); opt != nil {
		s += " " + strings.ReplaceAll(opt.String(), "\n", " ")
	}
	return s
}

// unpacked shows a response for a failure message.
func unpacked(b []byte) string {
	if b == nil {
		return "(nothing sent)"
	}
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return fmt.Sprintf("(does not unpack: %v)", err)
	}
	return m.String()
}

// checkMetrics fails t when the two handlers' metrics count differently:
// every counter, and the number of observations of every histogram.
func (p *fastPair) checkMetrics(t testing.TB) {
	t.Helper()
	fast, slow := metricCounts(t, p.fastReg), metricCounts(t, p.slowReg)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range fast {
			if !yield(k) {
				return
			}
		}
		for k := range slow {
			if _, ok := fast[k]; !ok && !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		if fast[k] != slow[k] {
			t.Errorf("metric %s: fast handler %v, full path %v", k, fast[k], slow[k])
		}
	}
}

// metricCounts flattens a registry's counters and histogram counts.
func metricCounts(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + labelString(m.GetLabel())
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func labelString(labels []*dto.LabelPair) string {
	var b strings.Builder
	for _, l := range labels {
		fmt.Fprintf(&b, "{%s=%q}", l.GetName(), l.GetValue())
	}
	return b.String()
}
