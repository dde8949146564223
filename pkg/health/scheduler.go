package health

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultMaxConcurrent is how many probes a Scheduler runs at once when
// Options.MaxConcurrent is not set.
const DefaultMaxConcurrent = 32

// Errors of SetExternal, for callers that map them to API statuses.
var (
	// ErrUnknownCheck means no check has the name.
	ErrUnknownCheck = errors.New("no such check")
	// ErrNotExternal means the check exists but is not an external one.
	ErrNotExternal = errors.New("not an external check")
	// ErrClosed means the Scheduler has been closed.
	ErrClosed = errors.New("health scheduler closed")
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
	// Clock drives intervals, jitter and external expiry; nil is RealClock.
	Clock Clock
	// Rand is the jitter source; nil uses math/rand/v2.
	Rand Rand
	// Logger receives one info line per status change; nil discards.
	Logger *slog.Logger
	// Registerer receives the gtmd_health_* metrics; nil registers none.
	Registerer prometheus.Registerer
	// MaxConcurrent bounds the probes in flight; 0 is DefaultMaxConcurrent.
	MaxConcurrent int
	// RootCAs, when not nil, replaces the system roots of https checks.
	RootCAs *x509.CertPool
	// NewChecker builds the Checker of each probed (http, https, tcp, dns)
	// check when it starts; nil uses NewChecker with RootCAs. A check whose
	// Checker cannot be built fails every probe with the error. It is
	// called from the check's goroutine, with no lock held.
	NewChecker func(c config.Check) (Checker, error)
	// OnChange, when set, is called on every status change, in order, from
	// one goroutine of the Scheduler that holds no lock: it may call
	// States, State, Status, SetExternal and Apply, but not Close. It
	// should return quickly; changes queue up behind it.
	OnChange func(Change)
}

// Scheduler runs the checks of a traffic document, each on its own
// goroutine and interval, and keeps their status. Create it with
// NewScheduler, feed it with Apply, and stop it with Close.
type Scheduler struct {
	clock      Clock
	rand       Rand
	log        *slog.Logger
	metrics    *metrics
	sem        chan struct{}
	newChecker func(config.Check) (Checker, error)
	notify     *notifier
	wg         sync.WaitGroup
	closeOnce  sync.Once

	mu     sync.Mutex
	checks map[string]*entry
	closed bool
}

// entry is one running check. Apply replaces the entry of a changed
// check; goroutines of a replaced entry find themselves stale and stop.
type entry struct {
	cfg    config.Check
	state  State
	ctx    context.Context // done when the entry is stopped
	cancel context.CancelFunc
	m      checkMetrics
	// External checks only. All but the rearm channel are guarded by s.mu.
	expires time.Time
	ttl     time.Duration
	timer   Timer      // expiry of the latest push
	rearm   chan Timer // hands the goroutine the new expiry timer
}

// stop ends the entry's goroutine and in-flight probe. Called with s.mu
// held.
func (e *entry) stop() {
	e.cancel()
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
}

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
		roots := opts.RootCAs
		s.newChecker = func(c config.Check) (Checker, error) { return NewChecker(c, roots) }
	}
	n := opts.MaxConcurrent
	if n <= 0 {
		n = DefaultMaxConcurrent
	}
	s.sem = make(chan struct{}, n)
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		s.log.Error("health metrics not registered", "err", err)
	}
	s.metrics = m
	s.notify = newNotifier(s.log, opts.OnChange)
	go s.notify.run()
	return s
}

// Apply makes the running checks those of checks: it starts new checks,
// stops removed ones, restarts changed ones (back to Unknown, reported as
// a change) and leaves unchanged ones running with their state and
// counters. Calculated checks are recomputed. Apply after Close does
// nothing.
func (s *Scheduler) Apply(checks []config.Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	now := s.clock.Now()
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
	for _, c := range checks {
		old := s.checks[c.Name]
		if old != nil && sameCheck(old.cfg, c) {
			continue
		}
		e := s.newEntry(c, now)
		s.checks[c.Name] = e
		if old != nil {
			old.stop()
			if old.cfg.Type == config.CheckCalculated && c.Type == config.CheckCalculated {
				// Recomputed below; only a real change is reported.
				e.state = old.state
			} else if old.state.Status != Unknown {
				// The status stands until the new settings' results
				// decide (fall failures or rise successes, counted
				// afresh): a region that is down stays out of the
				// answers while an operator edits its check.
				e.state.Status, e.state.Since = old.state.Status, old.state.Since
				e.state.Reason = "check configuration changed; status kept until new results decide"
			}
		}
		s.start(e)
		s.log.Debug("health check started", "check", c.Name, "type", c.Type)
	}
	s.recomputeAll(now)
}

// newEntry returns the entry of a check that has not run yet.
func (s *Scheduler) newEntry(c config.Check, now time.Time) *entry {
	c.ExpectStatus = slices.Clone(c.ExpectStatus)
	c.Children = slices.Clone(c.Children)
	ctx, cancel := context.WithCancel(context.Background())
	probed := c.Type != config.CheckCalculated && c.Type != config.CheckExternal
	return &entry{
		cfg:    c,
		state:  State{Check: c.Name, Status: Unknown, Since: now, Reason: "no result yet"},
		ctx:    ctx,
		cancel: cancel,
		m:      s.metrics.forCheck(c.Name, probed),
	}
}

// start launches the goroutine of a new entry, if its type has one.
func (s *Scheduler) start(e *entry) {
	switch e.cfg.Type {
	case config.CheckCalculated:
	case config.CheckExternal:
		e.rearm = make(chan Timer, 1)
		s.wg.Add(1)
		go s.runExternal(e)
	default:
		first, second := s.jitter(interval(e.cfg))
		s.wg.Add(1)
		go s.runProbes(e, first, second)
	}
}

// changed accounts for a status change already made to e.state: metrics,
// the OnChange queue and, when propagate is set, the calculated checks
// that depend on e. Called with s.mu held.
func (s *Scheduler) changed(e *entry, from Status, propagate bool) {
	st := e.state
	if st.Status.Healthy() {
		e.m.up.Set(1)
	} else {
		e.m.up.Set(0)
	}
	s.metrics.changes.WithLabelValues(st.Check, st.Status.String()).Inc()
	s.notify.push(Change{Check: st.Check, From: from, To: st.Status, Reason: st.Reason, At: st.Since})
	if propagate {
		s.recomputeDependents(st.Check, st.Since, 0)
	}
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

// Status returns a check's status, Unknown when there is no such check. It
// fits EndpointHealth's status argument.
func (s *Scheduler) Status(check string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked(check)
}

func (s *Scheduler) statusLocked(check string) Status {
	if e, ok := s.checks[check]; ok {
		return e.state.Status
	}
	return Unknown
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
