package health

import (
	"context"
	"crypto/x509"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/prometheus/client_golang/prometheus"
)

// Rand is the source of the jitter that spreads checks over their
// interval. The Scheduler calls it with its lock held, so it need not be
// safe for concurrent use; *math/rand/v2.Rand fits.
type Rand interface {
	// Int64N returns a number in [0, n); n is always positive.
	Int64N(n int64) int64
}

// Options configure a Scheduler. The zero value works: real clock, random
// jitter, no logs, no metrics.
type Options struct {
	// Clock drives intervals and jitter; nil is RealClock.
	Clock Clock
	// Rand is the jitter source; nil uses math/rand/v2.
	Rand Rand
	// Logger receives one info line per status change; nil discards.
	Logger *slog.Logger
	// Registerer receives the gtmd_health_* metrics; nil registers none.
	Registerer prometheus.Registerer
	// MaxConcurrent is the ceiling on probes in flight; 0 is
	// DefaultMaxConcurrent. Within it, Apply sizes the bound from the
	// checks' timeouts and intervals (ProbeSlots).
	MaxConcurrent int
	// Coalesce is the step of the clock that probes wake on: a probe due
	// within a step starts at the step's end, together with every other
	// probe due in it; a check's step is at most a tenth of its interval.
	// 0 is DefaultCoalesce with the real clock (Clock nil or RealClock)
	// and none with another Clock, whose tests count exact times; a
	// negative value is none.
	Coalesce time.Duration
	// RootCAs, when not nil, replaces the system roots of https checks.
	RootCAs *x509.CertPool
	// NewChecker builds the Checker of each probed (http, https, tcp, dns)
	// check when it starts; nil uses NewChecker with RootCAs, its http
	// and https checks sharing one Transports. A check whose
	// Checker cannot be built fails every probe with the error. It is
	// called from the check's goroutine, with no lock held.
	NewChecker func(c config.Check) (Checker, error)
	// OnChange, when set, is called on every status change, in order, from
	// one goroutine of the Scheduler that holds no lock: it may call
	// States, State, Status, Observations and Apply, but not Close. It
	// should return quickly; changes queue up behind it.
	OnChange func(Change)
}

// DefaultCoalesce is the step probes wake on with the real clock. Each
// wake-up of a process costs more than the probes it starts: at 2,000
// checks a second, probes each woken at its own time cost a node 136 ms
// of CPU per 1,000 probes and, woken on 10 ms steps, 60 ms. A probe
// starts at most this much after its due time, nothing beside an
// interval of a second or a timeout.
const DefaultCoalesce = 10 * time.Millisecond

// Scheduler runs the probed checks (http, https, tcp, dns) of a traffic
// document, each on its own goroutine and interval, and keeps their
// status after rise/fall. External and calculated checks are not probed:
// Evaluate decides them. Create it with NewScheduler, feed it with Apply,
// and stop it with Close.
type Scheduler struct {
	clock      Clock
	rand       Rand
	log        *slog.Logger
	metrics    *metrics
	slots      *slots
	ceiling    int
	coalesce   time.Duration
	newChecker func(config.Check) (Checker, error)
	notify     *notifier
	wg         sync.WaitGroup
	closeOnce  sync.Once

	mu     sync.Mutex
	checks map[string]*entry
	closed bool
	short  bool // the ceiling is below what hanging targets would hold
}

// entry is one running check. Apply replaces the entry of a changed
// check; goroutines of a replaced entry find themselves stale and stop.
type entry struct {
	cfg    config.Check
	state  State
	ctx    context.Context // done when the entry is stopped
	cancel context.CancelFunc
	m      checkMetrics
}

// stop ends the entry's goroutine and in-flight probe.
func (e *entry) stop() { e.cancel() }

// NewScheduler returns a Scheduler with no checks. It starts one goroutine
// (the OnChange deliverer); Close releases it.
func NewScheduler(opts Options) *Scheduler {
	s := &Scheduler{
		clock:      opts.Clock,
		rand:       opts.Rand,
		log:        opts.Logger,
		newChecker: opts.NewChecker,
		checks:     map[string]*entry{},
	}
	if s.clock == nil {
		s.clock = RealClock{}
	}
	if s.rand == nil {
		s.rand = globalRand{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.newChecker == nil {
		// One set of transports, so checks of one target share their
		// connections.
		ts := NewTransports(opts.RootCAs, s.clock.Now)
		s.newChecker = func(c config.Check) (Checker, error) { return newChecker(c, ts) }
	}
	s.coalesce = opts.Coalesce
	if _, isReal := s.clock.(RealClock); isReal && s.coalesce == 0 {
		s.coalesce = DefaultCoalesce
	}
	s.ceiling = opts.MaxConcurrent
	if s.ceiling <= 0 {
		s.ceiling = DefaultMaxConcurrent
	}
	s.slots = newSlots(min(MinProbeSlots, s.ceiling))
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		s.log.Error("health metrics not registered", "err", err)
	}
	s.metrics = m
	s.metrics.slots.Set(float64(min(MinProbeSlots, s.ceiling)))
	s.notify = newNotifier(s.log, opts.OnChange)
	go s.notify.run()
	return s
}

// Apply makes the running checks the probed ones of checks: it starts new
// checks, stops removed ones, restarts changed ones (their status kept
// until new results decide) and leaves unchanged ones running with their
// state and counters. External and calculated checks are left out: they
// are evaluated, not probed. Apply after Close does nothing.
func (s *Scheduler) Apply(checks []config.Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	now := s.clock.Now()
	checks = slices.DeleteFunc(slices.Clone(checks), func(c config.Check) bool { return !Probed(c.Type) })
	s.resize(checks)
	s.metrics.probed.Set(float64(len(checks)))
	want := make(map[string]bool, len(checks))
	for _, c := range checks {
		want[c.Name] = true
	}
	for name, e := range s.checks {
		if !want[name] {
			e.stop()
			delete(s.checks, name)
			s.metrics.forget(name)
			s.log.Debug("health check removed", "check", name)
		}
	}
	// The goroutines start once every entry is made. Started one by one
	// between entries, the checks whose first probe is due at once would
	// run beside the loop that makes the rest (for thousands of checks,
	// tens of milliseconds of metric children): once preempted, the loop
	// waits behind every runnable probe: an apply of 2,000 checks (50 ms
	// of CPU) took up to 1.5 s on a busy node, delaying the last checks'
	// first results as much.
	var started []*entry
	for _, c := range checks {
		old := s.checks[c.Name]
		if old != nil && sameCheck(old.cfg, c) {
			continue
		}
		e := s.newEntry(c, now)
		s.checks[c.Name] = e
		if old != nil {
			old.stop()
			if old.state.Status != Unknown {
				// The status stands until the new settings' results
				// decide (fall failures or rise successes, counted
				// afresh): a region that is down stays out of the
				// answers while an operator edits its check.
				e.state.Status, e.state.Since = old.state.Status, old.state.Since
				e.state.Reason = "check configuration changed; status kept until new results decide"
			}
		}
		started = append(started, e)
		s.log.Debug("health check started", "check", c.Name, "type", c.Type)
	}
	window := startWindow(checks, len(started))
	s.wg.Add(len(started))
	for _, e := range started {
		first, second := s.jitter(interval(e.cfg), window)
		go s.runProbes(e, now, first, second)
	}
}

// Probed reports whether checks of type t are probed by a Scheduler;
// the others (external, calculated) are decided by Evaluate.
func Probed(t string) bool {
	return t != config.CheckCalculated && t != config.CheckExternal
}

// newEntry returns the entry of a check that has not run yet.
func (s *Scheduler) newEntry(c config.Check, now time.Time) *entry {
	c.ExpectStatus = slices.Clone(c.ExpectStatus)
	c.Children = slices.Clone(c.Children)
	ctx, cancel := context.WithCancel(context.Background())
	return &entry{
		cfg:    c,
		state:  State{Check: c.Name, Status: Unknown, Since: now, Reason: "no result yet"},
		ctx:    ctx,
		cancel: cancel,
		m:      s.metrics.forCheck(c.Name),
	}
}

// changed accounts for a status change already made to e.state: metrics
// and the OnChange queue. Called with s.mu held.
func (s *Scheduler) changed(e *entry, from Status) {
	st := e.state
	if st.Status.Healthy() {
		e.m.up.Set(1)
	} else {
		e.m.up.Set(0)
	}
	s.metrics.changes.WithLabelValues(st.Check, st.Status.String()).Inc()
	s.notify.push(Change{Check: st.Check, From: from, To: st.Status, Reason: st.Reason, At: st.Since})
}

// States returns a copy of every check's state, by check name.
func (s *Scheduler) States() map[string]State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]State, len(s.checks))
	for name, e := range s.checks {
		out[name] = e.state
	}
	return out
}

// State returns one check's state, and false when there is no such check.
func (s *Scheduler) State(check string) (State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.checks[check]
	if !ok {
		return State{}, false
	}
	return e.state, true
}

// Status returns a check's status, Unknown when there is no such check.
func (s *Scheduler) Status(check string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.checks[check]; ok {
		return e.state.Status
	}
	return Unknown
}

// Observations returns every check's latest result as other nodes see
// it: this node's own results, the form Trust.Counted and Evaluate take.
func (s *Scheduler) Observations() map[string]Observation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Observation, len(s.checks))
	for name, e := range s.checks {
		out[name] = e.state.Observation()
	}
	return out
}

// Close stops every check, waits for their goroutines, delivers the
// changes still queued for OnChange and returns. States stay readable.
func (s *Scheduler) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for _, e := range s.checks {
			e.stop()
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.notify.close()
	})
}

// sameCheck reports whether two checks are configured alike, an empty
// list being the same as none.
func sameCheck(a, b config.Check) bool {
	if !slices.Equal(a.ExpectStatus, b.ExpectStatus) || !slices.Equal(a.Children, b.Children) {
		return false
	}
	a.ExpectStatus, b.ExpectStatus = nil, nil
	a.Children, b.Children = nil, nil
	return reflect.DeepEqual(a, b)
}

// globalRand is the default jitter source.
type globalRand struct{}

func (globalRand) Int64N(n int64) int64 { return rand.Int64N(n) }
