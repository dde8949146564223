package e2e

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// watchPeriod is how often the validating watch asks its questions: a
// busy resolver's clients ask all the time, and a rollover's steps last
// seconds.
const watchPeriod = 200 * time.Millisecond

// validWatch asks, every watchPeriod until stopped, questions whose
// answers must validate all along: through Unbound, which must answer
// with AD (a SERVFAIL or an answer without AD counts as a failure), and
// straight from every node, whose signatures the watch checks itself from
// the DS the root zone holds at the time.
type validWatch struct {
	e          *env
	stop, done chan struct{}
	stopOnce   sync.Once
	start      time.Time

	mu       sync.Mutex
	away     map[*node]bool // nodes being restarted: not asked directly
	asked    int            // questions through Unbound
	failed   int            // of which did not validate
	direct   int            // questions to the nodes
	badSig   int            // of which had a signature the watch rejects
	silent   []string       // of which had no answer within a second, twice
	seen     map[string]int // validated answers, by question and addresses
	failures []string       // the first few failures
}

// watchedQuestion is one of the watch's questions through Unbound.
type watchedQuestion struct {
	what string
	q    ask
	ok   []int // the rcodes that are right
}

// watchQuestions are the watch's questions through Unbound: the services
// from both places, and two names every question asks anew (Unbound's
// cache never holds them, so each goes to a node and its online signer):
// one the wildcard answers, one that does not exist.
func watchQuestions() []watchedQuestion {
	noError := []int{dns.RcodeSuccess}
	return []watchedQuestion{
		{"www A, US client", wwwFrom(usClient, true), noError},
		{"www A, DE client", wwwFrom(deClient, true), noError},
		{"api A, US client", apiFrom(usClient, true), noError},
		{"a new wildcard name", ask{name: uniqueName(), qtype: dns.TypeA, rd: true}, noError},
		{"a missing name", ask{name: missingName(), qtype: dns.TypeA, rd: true}, []int{dns.RcodeSuccess, dns.RcodeNameError}},
	}
}

// watchValid starts the watch; check stops it and reports.
func (e *env) watchValid(t *testing.T) *validWatch {
	w := &validWatch{e: e, stop: make(chan struct{}), done: make(chan struct{}), start: time.Now(),
		away: map[*node]bool{}, seen: map[string]int{}}
	t.Cleanup(w.halt)
	go w.run()
	return w
}

func (w *validWatch) run() {
	defer close(w.done)
	for !isDone(w.stop) {
		next := time.Now().Add(watchPeriod)
		var wg sync.WaitGroup
		for _, c := range watchQuestions() {
			wg.Go(func() { w.askResolver(c) })
		}
		for _, n := range w.e.nodes {
			w.mu.Lock()
			away := w.away[n]
			w.mu.Unlock()
			if !away {
				wg.Go(func() { w.askNode(n) })
			}
		}
		wg.Wait()
		select {
		case <-w.stop:
		case <-time.After(time.Until(next)):
		}
	}
}

// askResolver asks Unbound one question; a client waits 5 s.
func (w *validWatch) askResolver(c watchedQuestion) {
	r, err := secure(w.e.resAddr, c.q, 5*time.Second, c.ok...)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked++
	if err != nil {
		w.failed++
		w.fail(err)
		return
	}
	w.seen[c.what+": "+show(addrs(r))]++
}

// askNode asks a node for www (a US client) with DO and checks the
// signatures of its answer.
func (w *validWatch) askNode(n *node) {
	q := wwwFrom(usClient, false)
	q.do = true
	asked := time.Now()
	r, err := askTwice(n.dns, q)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.direct++
	if err != nil {
		// Not a signature's fault: noted and reported, not failed.
		w.silent = append(w.silent, fmt.Sprintf("%s at %s: %v", n.id, asked.Format("15:04:05.000"), err))
		return
	}
	_, err = signedBy(n.dns, r, w.e.signed.parentDS(), time.Now())
	if err != nil {
		w.badSig++
		w.fail(fmt.Errorf("%s direct: %w", n.id, err))
		return
	}
	w.seen[n.id+" www A, US client: "+show(addrs(r))]++
}

// askTwice asks a name server q, and again when no answer came within a
// second, as a resolver does: the machine is shared and busy.
func askTwice(server string, q ask) (*dns.Msg, error) {
	r, _, err := exchange(server, q, time.Second)
	if err != nil {
		r, _, err = exchange(server, q, time.Second)
	}
	return r, err
}

// fail notes a failure; w.mu is held.
func (w *validWatch) fail(err error) {
	if len(w.failures) < 10 {
		now := time.Now()
		w.failures = append(w.failures, fmt.Sprintf("%s (+%s) %v", now.Format("15:04:05.000"), round(now.Sub(w.start)), err))
	}
}

// setAway stops (or resumes) the direct questions to n while it restarts.
func (w *validWatch) setAway(n *node, away bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.away[n] = away
}

// saw is how many validated answers to the question what named addrs.
func (w *validWatch) saw(what string, addrs ...string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[what+": "+show(addrs)]
}

// halt stops the watch and waits for its last round.
func (w *validWatch) halt() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}

// check stops the watch, records its counts in the table, and fails the
// test for every answer that did not validate, quoting Unbound's
// validation log.
func (w *validWatch) check(t *testing.T, scenario string) {
	t.Helper()
	w.halt()
	w.mu.Lock()
	defer w.mu.Unlock()
	took := round(time.Since(w.start))
	bad := w.failed
	note := ""
	if len(w.failures) > 0 {
		note = "FAILED"
		t.Errorf("%s: %d of %d answers through Unbound did not validate, %d of %d straight from the nodes had bad signatures, in %s:\n%s\nUnbound's validation log:\n%s",
			scenario, bad, w.asked, w.badSig, w.direct, took, strings.Join(w.failures, "\n"), validationLog(w.e.resolver.log, 10))
	}
	w.e.tm.addText(scenario, fmt.Sprintf("answers through Unbound without AD (or SERVFAIL), over %s", took), fmt.Sprintf("%d of %d", bad, w.asked), "0", note)
	w.e.tm.addText(scenario, fmt.Sprintf("answers straight from the nodes with a bad signature, over %s", took), fmt.Sprintf("%d of %d", w.badSig, w.direct), "0", note)
	if len(w.silent) > 0 {
		t.Logf("%s: %d questions to the nodes went unanswered, twice within a second:\n%s", scenario, len(w.silent), strings.Join(w.silent, "\n"))
	}
	w.e.tm.addText(scenario, "questions to the nodes unanswered, twice within a second", fmt.Sprintf("%d of %d", len(w.silent), w.direct), "", "reported, not failed")
}

// validationLog returns the last n lines of an Unbound log that say why
// something did not validate (val-log-level 2).
func validationLog(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "validation failure") || strings.Contains(sc.Text(), "info: validat") {
			lines = append(lines, sc.Text())
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(none)"
	}
	return strings.Join(lines, "\n")
}

// missingName returns a name of the zone that does not exist and that no
// question has asked yet.
func missingName() string {
	return fmt.Sprintf("missing-%d.%s", uniqueCounter.Add(1), zone)
}
