package resolver_test

import (
	"encoding/hex"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// Helpers of the rate limiting, cookie and NSID tests, which talk to a
// real server from chosen loopback addresses.

// fakeClock is a clock the test moves; safe for the server's goroutines.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(at time.Time) *fakeClock {
	c := new(fakeClock)
	c.ns.Store(at.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// countingHandler counts the queries its handler has finished with,
// answered or not, so a test knows when a flood has been dealt with
// without waiting for answers that will never come.
type countingHandler struct {
	h    dns.Handler
	done atomic.Int64
}

func (c *countingHandler) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	c.h.ServeDNS(w, q)
	c.done.Add(1)
}

// waitFor polls cond until it holds; the bound is far beyond what the
// condition needs and only stops a broken test from hanging.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// udpFrom opens a UDP socket on local (a 127.0.0.0/8 address) connected
// to the server at addr.
func udpFrom(tb testing.TB, local, addr string) *net.UDPConn {
	tb.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(local)}, raddr)
	if err != nil {
		tb.Fatalf("a UDP socket on %s: %v", local, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// readReplies reads replies on c until want have come, then checks that
// no more follow; it returns them unpacked.
func readReplies(tb testing.TB, c *net.UDPConn, want int) []*dns.Msg {
	tb.Helper()
	var got []*dns.Msg
	buf := make([]byte, 65535)
	for len(got) < want {
		if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			tb.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil {
			tb.Fatalf("after %d of %d replies: %v", len(got), want, err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			tb.Fatalf("reply %d: %v", len(got)+1, err)
		}
		got = append(got, m)
	}
	// Every query was dealt with before this is called, so a reply
	// beyond want would already be waiting.
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		tb.Fatal(err)
	}
	if n, err := c.Read(buf); err == nil {
		tb.Fatalf("a reply beyond the %d expected (%d bytes)", want, n)
	} else if !errors.Is(err, os.ErrDeadlineExceeded) {
		tb.Fatal(err)
	}
	return got
}

// exchangeFrom sends m from a socket on local and returns the reply.
func exchangeFrom(tb testing.TB, network, local, addr string, m *dns.Msg) *dns.Msg {
	tb.Helper()
	var la net.Addr = &net.UDPAddr{IP: net.ParseIP(local)}
	if network == "tcp" {
		la = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c := &dns.Client{Net: network, Timeout: 10 * time.Second, Dialer: &net.Dialer{LocalAddr: la, Timeout: 10 * time.Second}}
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		tb.Fatalf("%s query for %v from %s: %v", network, m.Question, local, err)
	}
	return resp
}

// cookieQuery is a query for name/qtype carrying the cookie option given
// in hex (any length, to send malformed ones too).
func cookieQuery(name string, qtype uint16, cookie string) *dns.Msg {
	m := new(dns.Msg).SetQuestion(name, qtype)
	m.SetEdns0(1232, false)
	if cookie != "" {
		o := m.IsEdns0()
		o.Option = append(o.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: cookie})
	}
	return m
}

// replyCookie returns the cookie option of a reply as bytes, nil when it
// has none.
func replyCookie(tb testing.TB, m *dns.Msg) []byte {
	tb.Helper()
	opt := m.IsEdns0()
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if c, ok := o.(*dns.EDNS0_COOKIE); ok {
			b, err := hex.DecodeString(c.Cookie)
			if err != nil {
				tb.Fatal(err)
			}
			return b
		}
	}
	return nil
}

// newHardenedHandler is a handler on the test snapshot with the given
// options and its own metrics registry.
func newHardenedHandler(tb testing.TB, opts resolver.Options) (*resolver.Handler, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	m, err := resolver.NewMetrics(reg)
	if err != nil {
		tb.Fatal(err)
	}
	opts.Metrics = m
	h := resolver.NewHandler(opts)
	h.Swap(testSnapshot(tb))
	return h, reg
}
