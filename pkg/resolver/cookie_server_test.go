package resolver_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

const clientCookie = "2464c4abcf10c957"

// cookieNode is one server of a test cluster.
type cookieNode struct {
	h    *resolver.Handler
	addr string
}

func startCookieNode(t *testing.T, clock *fakeClock, c config.Cookies, secret [16]byte) cookieNode {
	t.Helper()
	h, _ := newHardenedHandler(t, resolver.Options{Cookies: c, Now: clock.Now})
	if secret != ([16]byte{}) {
		h.SetCookieSecrets(secret, [16]byte{})
	}
	return cookieNode{h: h, addr: startServer(t, h, nil).Addrs()[0]}
}

// TestCookieRoundTrip walks a resolver through the cookie exchange
// against a two-node cluster sharing a secret, over real sockets: node
// a answers cookies, node b requires them. Each step's query carries
// the cookie an earlier reply gave (or one made up), and the step checks
// the rcode and the cookie of the reply.
func TestCookieRoundTrip(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	shared := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	a := startCookieNode(t, clock, config.Cookies{Enabled: true}, shared)
	b := startCookieNode(t, clock, config.Cookies{Enabled: true, Require: true}, shared)
	off := startCookieNode(t, clock, config.Cookies{}, [16]byte{})
	const from = "127.0.0.5"

	// cookies are the replies' cookies by step name.
	cookies := map[string][]byte{}
	tampered := func(step string) func() string {
		return func() string {
			c := bytes.Clone(cookies[step])
			c[len(c)-1] ^= 1
			return hex.EncodeToString(c)
		}
	}
	from_ := func(step string) func() string {
		return func() string { return hex.EncodeToString(cookies[step]) }
	}
	fixed := func(s string) func() string { return func() string { return s } }
	rotated := [16]byte{0xaa, 0xbb}

	const (
		none  = "none"  // the reply carries no cookie
		fresh = "fresh" // a server cookie made now
		echo  = "echo"  // the server cookie the query sent
	)
	steps := []struct {
		name    string
		node    cookieNode
		network string
		advance time.Duration
		// before runs first, to rotate secrets.
		before func()
		cookie func() string
		rcode  int
		want   string
	}{
		{name: "first query: a client cookie only", node: a, cookie: fixed(clientCookie), rcode: dns.RcodeSuccess, want: fresh},
		{name: "the cookie returned", node: a, advance: time.Minute, cookie: from_("first query: a client cookie only"), rcode: dns.RcodeSuccess, want: echo},
		{name: "the cookie at another node of the cluster", node: b, cookie: from_("first query: a client cookie only"), rcode: dns.RcodeSuccess, want: echo},
		{name: "a tampered cookie where one is required", node: b, cookie: tampered("first query: a client cookie only"), rcode: dns.RcodeBadCookie, want: fresh},
		{name: "the cookie BADCOOKIE gave", node: b, cookie: from_("a tampered cookie where one is required"), rcode: dns.RcodeSuccess, want: echo},
		{name: "a tampered cookie where none is required", node: a, cookie: tampered("first query: a client cookie only"), rcode: dns.RcodeSuccess, want: fresh},
		{name: "a client cookie only where one is required", node: b, cookie: fixed(clientCookie), rcode: dns.RcodeBadCookie, want: fresh},
		{name: "a client cookie only over TCP where one is required", node: b, network: "tcp", cookie: fixed(clientCookie), rcode: dns.RcodeSuccess, want: fresh},
		{name: "no cookie where one is required", node: b, cookie: fixed(""), rcode: dns.RcodeSuccess, want: none},
		{name: "a malformed cookie: 9 bytes", node: a, cookie: fixed(clientCookie + "01"), rcode: dns.RcodeFormatError, want: none},
		{name: "a malformed cookie: 41 bytes", node: b, cookie: fixed(clientCookie + hex.EncodeToString(make([]byte, 33))), rcode: dns.RcodeFormatError, want: none},
		{name: "a malformed cookie where cookies are off", node: off, cookie: fixed(clientCookie + "01"), rcode: dns.RcodeSuccess, want: none},
		{name: "a cookie where cookies are off", node: off, cookie: from_("first query: a client cookie only"), rcode: dns.RcodeSuccess, want: none},
		{
			name: "after a rotation the previous secret's cookie is renewed", node: b,
			before: func() { b.h.SetCookieSecrets(rotated, shared) },
			cookie: from_("the cookie BADCOOKIE gave"), rcode: dns.RcodeSuccess, want: fresh,
		},
		{name: "the renewed cookie", node: b, cookie: from_("after a rotation the previous secret's cookie is renewed"), rcode: dns.RcodeSuccess, want: echo},
		{
			name: "after a second rotation the oldest secret's cookie is refused", node: b,
			before: func() { b.h.SetCookieSecrets([16]byte{0xcc}, rotated) },
			cookie: from_("the cookie BADCOOKIE gave"), rcode: dns.RcodeBadCookie, want: fresh,
		},
		{name: "the current secret's cookie", node: b, cookie: from_("after a second rotation the oldest secret's cookie is refused"), rcode: dns.RcodeSuccess, want: echo},
		{name: "half an hour on it is renewed", node: b, advance: 31 * time.Minute, cookie: from_("after a second rotation the oldest secret's cookie is refused"), rcode: dns.RcodeSuccess, want: fresh},
		{name: "an hour on it has expired", node: b, advance: 30 * time.Minute, cookie: from_("after a second rotation the oldest secret's cookie is refused"), rcode: dns.RcodeBadCookie, want: fresh},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		clock.Advance(s.advance)
		network := s.network
		if network == "" {
			network = "udp"
		}
		sent := s.cookie()
		resp := exchangeFrom(t, network, from, s.node.addr, cookieQuery("host.example.test.", dns.TypeA, sent))
		got := replyCookie(t, resp)
		cookies[s.name] = got
		if resp.Rcode != s.rcode {
			t.Errorf("%s: rcode %s, want %s", s.name, dns.RcodeToString[resp.Rcode], dns.RcodeToString[s.rcode])
		}
		if wantAnswers := s.rcode == dns.RcodeSuccess; wantAnswers != (len(resp.Answer) == 2) {
			t.Errorf("%s: %d answers", s.name, len(resp.Answer))
		}
		switch {
		case s.want == none:
			if got != nil {
				t.Errorf("%s: reply cookie %x, want none", s.name, got)
			}
		case len(got) != 24:
			t.Errorf("%s: reply cookie %x, want a client and a 16-byte server cookie", s.name, got)
		case hex.EncodeToString(got[:8]) != sent[:16]:
			t.Errorf("%s: reply's client cookie %x, want the query's %s", s.name, got[:8], sent[:16])
		case s.want == echo && hex.EncodeToString(got) != sent:
			t.Errorf("%s: reply cookie %x, want the one sent back", s.name, got)
		case s.want == fresh && (got[8] != 1 || got[9]|got[10]|got[11] != 0 || binary.BigEndian.Uint32(got[12:]) != uint32(clock.Now().Unix())):
			t.Errorf("%s: reply cookie %x, want version 1, reserved 0 and the timestamp %d", s.name, got, clock.Now().Unix())
		case s.want == fresh && hex.EncodeToString(got) == sent:
			t.Errorf("%s: the cookie sent came back, want a fresh one", s.name)
		}
	}
}

// TestCookieHoldersExemptFromRRL: a client that returns a valid server
// cookie cannot be spoofed, so rate limiting lets all its answers
// through, and they do not use up its network's allowance.
func TestCookieHoldersExemptFromRRL(t *testing.T) {
	const rate, flood = 5, 20
	clock := newFakeClock(rrlEpoch)
	h, reg := newHardenedHandler(t, resolver.Options{
		RateLimiter: newLimiter(t, rrlConfig(rate, 2)), Cookies: config.Cookies{Enabled: true}, Now: clock.Now,
	})
	counted := &countingHandler{h: h}
	addr := startServer(t, counted, nil).Addrs()[0]
	const from = "127.0.0.6"

	first := exchangeFrom(t, "udp", from, addr, cookieQuery("host.example.test.", dns.TypeA, clientCookie))
	cookie := hex.EncodeToString(replyCookie(t, first))
	for i := range 4 * rate {
		resp := exchangeFrom(t, "udp", from, addr, cookieQuery("host.example.test.", dns.TypeA, cookie))
		if resp.Truncated || len(resp.Answer) != 2 {
			t.Fatalf("query %d with a valid cookie: TC=%v, %d answers", i, resp.Truncated, len(resp.Answer))
		}
	}
	if got := metricValue(t, reg, "gtmd_dns_cookie_queries_total", map[string]string{"result": "valid"}); got != 4*rate {
		t.Errorf("valid cookie counter %v, want %d", got, 4*rate)
	}

	// The same network without cookies: the first query (a client
	// cookie only) was counted, the valid ones were not.
	conn := udpFrom(t, from, addr)
	// The handler counts a query after its reply is written, so the
	// client can read the last reply first: wait for the count.
	before := int64(1 + 4*rate)
	waitFor(t, "the cookie queries to be counted", func() bool { return counted.done.Load() == before })
	sendFlood(t, conn, flood, func(int) *dns.Msg { return cookieQuery("host.example.test.", dns.TypeA, "") })
	waitFor(t, "the flood to be dealt with", func() bool { return counted.done.Load() == before+flood })
	full := 0
	limited := flood - (rate - 1)
	for _, m := range readReplies(t, conn, rate-1+limited/2) {
		if !m.Truncated {
			full++
		}
	}
	if full != rate-1 {
		t.Errorf("%d full answers without a cookie, want %d", full, rate-1)
	}
}
