package e2e

import (
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// startup is what a node answered while it started: how many questions
// it answered, how many with SERVFAIL, and of those how many after its
// /readyz had said ready.
type startup struct {
	answered, servfail, servfailReady int
	first                             string // the first SERVFAIL, for messages
}

// startWatched starts n and asks it, every 10 ms until it is ready and
// answers www signed, for www with and without DO. A node that restarts
// in a signed zone reads its keys from the store: until it can sign it
// answers SERVFAIL, and its /readyz must not say ready before it can
// (resolvers and load balancers would send it questions). /readyz is
// read before each pair of questions: a SERVFAIL after "ready" means it
// said ready too early.
func (e *env) startWatched(n *node) (startup, time.Duration, error) {
	var s startup
	if err := n.proc.start(); err != nil {
		return s, 0, err
	}
	took, err := poll(30*time.Second, 10*time.Millisecond, func() error {
		if err := n.proc.exitErr(); err != nil {
			return err
		}
		ready := readyz(n, "ready") == nil
		signed := 0
		for _, do := range []bool{false, true} {
			q := wwwFrom(usClient, false)
			q.do = do
			r, _, err := exchange(n.dns, q, 200*time.Millisecond)
			if err != nil {
				continue // not listening yet
			}
			s.answered++
			if r.Rcode == dns.RcodeServerFailure {
				s.servfail++
				if ready {
					s.servfailReady++
				}
				if s.first == "" {
					s.first = fmt.Sprintf("www A (DO %v) answered SERVFAIL at %s, /readyz ready before it: %v", do, time.Now().Format("15:04:05.000"), ready)
				}
				continue
			}
			if r.Rcode == dns.RcodeSuccess && (!do || len(r.Answer) > len(addrs(r))) {
				signed++
			}
		}
		if !ready || signed < 2 {
			return fmt.Errorf("%s: ready %v, %d of 2 answers right", n.id, ready, signed)
		}
		return nil
	})
	return s, took, err
}
