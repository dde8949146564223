package resolver_test

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// TestRRLFloodOverUDP floods a real server from one client network with
// each class of answer, in one second of a fake clock: the configured
// rate is answered in full, of the rest every second one slips (TC=1,
// question only, OPT kept) and the others get nothing. A client in
// another /24 is answered in full meanwhile, and the flooding network's
// TCP queries are never limited.
func TestRRLFloodOverUDP(t *testing.T) {
	const rate, flood = 10, 50
	const limited = flood - rate
	cases := []struct {
		name  string
		qname func(i int) string
		qtype uint16
		rcode int
	}{
		{"positive answers to one name", func(int) string { return "host.example.test." }, dns.TypeA, dns.RcodeSuccess},
		{"NXDOMAIN for random names of one zone", func(i int) string { return fmt.Sprintf("r%d.example.test.", i) }, dns.TypeA, dns.RcodeNameError},
		{"NODATA", func(int) string { return "host.example.test." }, dns.TypeMX, dns.RcodeSuccess},
		{"referrals for names below one delegation", func(i int) string { return fmt.Sprintf("r%d.child.example.test.", i) }, dns.TypeA, dns.RcodeSuccess},
		{"REFUSED for names we do not serve", func(i int) string { return fmt.Sprintf("r%d.example.org.", i) }, dns.TypeA, dns.RcodeRefused},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := newFakeClock(rrlEpoch)
			h, reg := newHardenedHandler(t, resolver.Options{RateLimiter: newLimiter(t, rrlConfig(rate, 2)), Now: clock.Now})
			counted := &countingHandler{h: h}
			addr := startServer(t, counted, nil).Addrs()[0]

			conn := udpFrom(t, "127.0.0.2", addr)
			sendFlood(t, conn, flood, func(i int) *dns.Msg { return cookieQuery(c.qname(i), c.qtype, "") })
			waitFor(t, "the flood to be dealt with", func() bool { return counted.done.Load() == flood })
			full, slipped := 0, 0
			for _, m := range readReplies(t, conn, rate+limited/2) {
				if m.Rcode != c.rcode {
					t.Errorf("reply %d: rcode %s, want %s", m.Id, dns.RcodeToString[m.Rcode], dns.RcodeToString[c.rcode])
				}
				if m.IsEdns0() == nil {
					t.Errorf("reply %d has no OPT record", m.Id)
				}
				if len(m.Question) != 1 || m.Question[0].Name != c.qname(int(m.Id)) {
					t.Errorf("reply %d: question %v", m.Id, m.Question)
				}
				if !m.Truncated {
					full++
					continue
				}
				slipped++
				if len(m.Answer)+len(m.Ns) != 0 || len(m.Extra) != 1 {
					t.Errorf("slipped reply %d carries records: %v %v %v", m.Id, m.Answer, m.Ns, m.Extra)
				}
			}
			if full != rate || slipped != limited/2 {
				t.Errorf("%d full and %d truncated replies to a flood of %d, want %d and %d", full, slipped, flood, rate, limited/2)
			}
			if got := metricValue(t, reg, "gtmd_dns_rrl_responses_total", map[string]string{"action": "dropped"}); got != limited/2 {
				t.Errorf("dropped counter %v, want %d", got, limited/2)
			}
			if got := metricValue(t, reg, "gtmd_dns_rrl_responses_total", map[string]string{"action": "slipped"}); got != limited/2 {
				t.Errorf("slipped counter %v, want %d", got, limited/2)
			}

			// Still within the flood's second: a client in another /24
			// gets its own full rate, and the flooding network's TCP
			// queries are answered beyond it.
			for _, from := range []struct {
				network, local string
				n              int
			}{{"udp", "127.1.0.2", rate}, {"tcp", "127.0.0.2", 2 * rate}} {
				for i := range from.n {
					resp := exchangeFrom(t, from.network, from.local, addr, cookieQuery(c.qname(i), c.qtype, ""))
					if resp.Truncated || resp.Rcode != c.rcode || (c.qtype == dns.TypeA && c.rcode == dns.RcodeSuccess && len(resp.Answer)+len(resp.Ns) == 0) {
						t.Fatalf("%s query %d from %s during the flood: TC=%v rcode %s, %d answers: limited", from.network, i, from.local, resp.Truncated, dns.RcodeToString[resp.Rcode], len(resp.Answer))
					}
				}
			}
			if got := metricValue(t, reg, "gtmd_dns_rrl_responses_total", map[string]string{"action": "dropped"}); got != limited/2 {
				t.Errorf("after the other clients, dropped counter %v, want still %d", got, limited/2)
			}

			// The next second answers the flooding network again.
			clock.Advance(1e9)
			resp := exchangeFrom(t, "udp", "127.0.0.2", addr, cookieQuery(c.qname(0), c.qtype, ""))
			if resp.Truncated || resp.Rcode != c.rcode {
				t.Errorf("a second later: TC=%v rcode %s", resp.Truncated, dns.RcodeToString[resp.Rcode])
			}
		})
	}
}

// TestRRLOff: with responses_per_second 0 there is no limiter, and a
// flood is answered in full.
func TestRRLOff(t *testing.T) {
	const flood = 60
	l, err := resolver.NewRateLimiter(rrlConfig(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := newHardenedHandler(t, resolver.Options{RateLimiter: l})
	counted := &countingHandler{h: h}
	addr := startServer(t, counted, nil).Addrs()[0]
	conn := udpFrom(t, "127.0.0.2", addr)
	sendFlood(t, conn, flood, func(int) *dns.Msg { return cookieQuery("host.example.test.", dns.TypeA, "") })
	waitFor(t, "the flood to be dealt with", func() bool { return counted.done.Load() == flood })
	for _, m := range readReplies(t, conn, flood) {
		if m.Truncated || len(m.Answer) != 2 {
			t.Errorf("reply %d: TC=%v, %d answers", m.Id, m.Truncated, len(m.Answer))
		}
	}
}
