package main

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// poller asks the nodes for services until their answers turn.
type poller struct {
	servers []string
	// workers is how many queries are in flight per node.
	workers int
	// pause is the rest between two passes over what is still pending, so
	// polling does not take the CPU the nodes need to turn.
	pause time.Duration
	// limit is how long a wait may take before it gives up.
	limit time.Duration
}

// waitTurn asks every node for every service in services until its answer
// holds the service's primary address (primary true) or does not (false),
// and returns when each did, by node then by position in services. On
// timeout the times not reached are zero and the error says how many.
func (p *poller) waitTurn(ctx context.Context, services []int, primary bool) ([][]time.Time, error) {
	at := make([][]time.Time, len(p.servers))
	var wg sync.WaitGroup
	errs := make([]error, len(p.servers))
	for n, server := range p.servers {
		at[n] = make([]time.Time, len(services))
		wg.Go(func() { errs[n] = p.waitNode(ctx, server, services, primary, at[n]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return at, err
		}
	}
	return at, nil
}

// waitNode is waitTurn for one node.
func (p *poller) waitNode(ctx context.Context, server string, services []int, primary bool, at []time.Time) error {
	pending := make([]int, len(services)) // positions in services
	for i := range pending {
		pending[i] = i
	}
	deadline := time.Now().Add(p.limit)
	c := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d services had not turned after %s", server, len(pending), len(services), p.limit)
		}
		var mu sync.Mutex
		var still []int
		work := make(chan int)
		var wg sync.WaitGroup
		for range min(p.workers, len(pending)) {
			wg.Go(func() {
				for pos := range work {
					ok := answers(ctx, c, server, services[pos], primary)
					mu.Lock()
					if ok {
						at[pos] = time.Now()
					} else {
						still = append(still, pos)
					}
					mu.Unlock()
				}
			})
		}
		for _, pos := range pending {
			work <- pos
		}
		close(work)
		wg.Wait()
		pending = still
		if len(pending) > 0 {
			time.Sleep(p.pause)
		}
	}
	return nil
}

// answers asks server for service i and reports whether the answer holds
// its primary address (primary true) or an answer without it (false).
func answers(ctx context.Context, c *dns.Client, server string, i int, primary bool) bool {
	q := new(dns.Msg).SetQuestion(serviceName(i), dns.TypeA)
	q.RecursionDesired = false
	resp, _, err := c.ExchangeContext(ctx, q, server)
	if err != nil || resp.Rcode != dns.RcodeSuccess || len(resp.Answer) == 0 {
		return false
	}
	return hasAddr(resp, primaryIP(i)) == primary
}

func hasAddr(m *dns.Msg, ip netip.Addr) bool {
	for _, rr := range m.Answer {
		if a, ok := rr.(*dns.A); ok {
			if got, ok := netip.AddrFromSlice(a.A.To4()); ok && got == ip {
				return true
			}
		}
	}
	return false
}
