package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// MaxFirstDelay bounds the random delay before a new check's first
// probe, unless so many checks start at once that their first probes
// would come faster than MinStartRate and twice the steady rate of all
// checks (see startWindow).
const MaxFirstDelay = 500 * time.Millisecond

// startBurst is how many times the steady rate of all checks their first
// probes may come at: twice, so that a node applying a document learns
// every check's status within half its interval, for a short while at
// twice its steady load.
const startBurst = 2

// MinStartRate is a rate of first probes (per second) that an Apply may
// always reach: below it, new checks start within MaxFirstDelay however
// slow their intervals.
const MinStartRate = 200

// startWindow is how long the first probes of the started checks an
// Apply starts (of checks, all the probed checks applied) spread over:
// MaxFirstDelay, or longer when within it they would come faster than
// both MinStartRate and startBurst times the steady rate of all the
// checks. A node starting 10,000 checks at 10s thus spreads them over
// 5s, twice its steady load, not over half a second at twenty times
// that. A check's own window is at most its interval.
func startWindow(checks []config.Check, started int) time.Duration {
	var rate float64
	for _, c := range checks {
		rate += float64(time.Second) / float64(interval(c))
	}
	spread := time.Duration(float64(started) / max(startBurst*rate, MinStartRate) * float64(time.Second))
	return max(MaxFirstDelay, spread)
}

// jitter returns the delay before a new check's first probe, in
// [0, min(interval, window)), and the gap between its first and second
// probes, in [interval, 2×interval). The first is short so a starting
// node learns fast; the second puts the check at a random phase of its
// interval, so checks started together spread out, and never comes
// sooner than an interval after the first: a target still starting is
// not taken down by fall probes made a moment apart. Called with s.mu
// held.
func (s *Scheduler) jitter(interval, window time.Duration) (first, second time.Duration) {
	first = time.Duration(s.rand.Int64N(int64(min(interval, window))))
	second = interval + time.Duration(s.rand.Int64N(int64(interval)))
	return first, second
}

// runProbes is the goroutine of a probed check: wait for the probe's due
// time, take a slot, probe under the timeout, record, repeat. Probes are
// due at fixed times (first after applied+first, the second gap later,
// then every interval), so the time a probe takes or waits for a slot
// does not move the ones after it. A probe that came due while the one
// before it still ran (waiting for a slot, then slow) starts as soon as
// that one ends (at the end of the coalescing step it ends in); missed
// probes are not made up for.
func (s *Scheduler) runProbes(e *entry, applied time.Time, first, second time.Duration) {
	defer s.wg.Done()
	c, err := s.newChecker(e.cfg)
	if err != nil {
		s.log.Warn("health check cannot probe", "check", e.cfg.Name, "err", err)
		c = failing{err}
	}
	if r, ok := c.(releaser); ok {
		defer r.Release()
	}
	iv, timeout := interval(e.cfg), probeTimeout(e.cfg)
	due := applied.Add(first)
	for n := 0; ; n++ {
		wake := s.wakeTime(due, iv)
		if !s.sleep(e.ctx, wake.Sub(s.clock.Now())) {
			return
		}
		if !s.slots.acquire(e.ctx) {
			return
		}
		s.metrics.inFlight.Inc()
		start := s.clock.Now()
		err := runProbe(e.ctx, c, timeout)
		end := s.clock.Now()
		s.metrics.inFlight.Dec()
		s.slots.release()
		if e.ctx.Err() != nil {
			return
		}
		s.observe(e, err, end.Sub(start), max(start.Sub(wake), 0), end)
		next := iv
		if n == 0 {
			next = second
		}
		if due = due.Add(next); due.Before(end) {
			due = end
		}
	}
}

// wakeTime is when a probe of a check of interval iv due at due starts:
// the end of the coalescing step it falls in, or due itself when it is
// on a step's edge or there are no steps. The step is at most a tenth of
// the interval, so a check still probes once an interval. Lag counts
// from it, since the step is the scheduler's choice, not a probe falling
// behind. The result keeps due's monotonic clock reading (Truncate would
// drop it), so a step of the wall clock neither stalls probes nor
// releases a burst of them.
func (s *Scheduler) wakeTime(due time.Time, iv time.Duration) time.Time {
	step := min(s.coalesce, iv/10)
	if step <= 0 {
		return due
	}
	if off := due.Sub(due.Truncate(step)); off > 0 {
		return due.Add(step - off)
	}
	return due
}

// sleep waits d on the clock and reports false when ctx ends first.
func (s *Scheduler) sleep(ctx context.Context, d time.Duration) bool {
	t := s.clock.NewTimer(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return false
	case <-t.C():
		return true
	}
}

// runProbe runs one probe under its timeout. A probe cut by the timeout
// reports that, and a panicking Checker is a failed probe.
func runProbe(ctx context.Context, c Checker, timeout time.Duration) (err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("checker panicked: %v", r)
		}
	}()
	err = c.Check(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %v", timeout)
	}
	return err
}

// observe records one probe result: how it went, how long it took and
// how late it started.
func (s *Scheduler) observe(e *entry, err error, latency, lag time.Duration, at time.Time) {
	s.metrics.lag.Observe(lag.Seconds())
	e.m.lag.Set(lag.Seconds())
	if err == nil {
		e.m.ok.Inc()
	} else {
		e.m.fail.Inc()
	}
	s.metrics.duration.Observe(latency.Seconds())
	e.m.duration.Set(latency.Seconds())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checks[e.cfg.Name] != e {
		return
	}
	from := e.state.Status
	if e.state.observe(err, latency, at, max(e.cfg.Rise, 1), max(e.cfg.Fall, 1)) {
		s.changed(e, from)
	}
}

// interval is a check's interval, with the default for a document that
// was not validated.
func interval(c config.Check) time.Duration {
	if d := c.Interval.Std(); d > 0 {
		return d
	}
	return config.DefaultInterval.Std()
}

// releaser is a Checker that holds connections between probes, to be
// given back when its check stops.
type releaser interface{ Release() }

// failing is the Checker of a check whose own could not be built.
type failing struct{ err error }

func (f failing) Check(context.Context) error { return f.err }
