package e2e

import (
	"fmt"
	"sync"
	"testing"
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

// startWatched starts n and watches it start (watchStartup).
func (e *env) startWatched(n *node) (startup, time.Duration, error) {
	if err := n.proc.start(); err != nil {
		return startup{}, 0, err
	}
	return e.watchStartup(n)
}

// watchFirstStart watches the nodes' first start, when the zone's keys
// are made, records what they answered and fails the test for a SERVFAIL
// after a node said it was ready.
func (e *env) watchFirstStart(t *testing.T) {
	t.Helper()
	const sc = "0 first start"
	var wg sync.WaitGroup
	for _, n := range e.nodes {
		wg.Go(func() {
			s, took, err := e.watchStartup(n)
			if err != nil {
				t.Errorf("%s, starting: %v", n.id, err)
				return
			}
			e.tm.add(sc, n.id+" started → ready, signing", took, 0, "")
			e.tm.addText(sc, n.id+": SERVFAIL answers after /readyz said ready", fmt.Sprintf("%d of %d", s.servfailReady, s.answered), "0",
				fmt.Sprintf("%d SERVFAIL before it was ready", s.servfail-s.servfailReady))
			if s.servfailReady > 0 {
				t.Errorf("%s, starting: %d answers SERVFAIL after its /readyz said ready (%s)", n.id, s.servfailReady, s.first)
			}
		})
	}
	wg.Wait()
}

// watchStartup asks a node that is starting, every 10 ms until it is
// ready and answers www signed, for www with and without DO. Until a
// node of a signed zone holds its keys (made at the first start, read
// from the store at a restart) it answers SERVFAIL, and its /readyz must
// not say ready before it can sign (resolvers and load balancers would
// send it questions). /readyz is read before each pair of questions: a
// SERVFAIL after "ready" means it said ready too early.
func (e *env) watchStartup(n *node) (startup, time.Duration, error) {
	var s startup
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
