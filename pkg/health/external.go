package health

import (
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// SetExternal records the status an outside system pushed for an external
// check. It takes effect at once, without rise/fall (the pusher decides),
// and holds for ttl: with no newer push by then the check turns Down.
// Before its first push an external check is Unknown.
func (s *Scheduler) SetExternal(name string, healthy bool, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("check %q: ttl %v must be positive", name, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	e, ok := s.checks[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownCheck, name)
	}
	if e.cfg.Type != config.CheckExternal {
		return fmt.Errorf("%w: %q is a %s check", ErrNotExternal, name, e.cfg.Type)
	}
	now := s.clock.Now()
	e.expires, e.ttl = now.Add(ttl), ttl
	st := &e.state
	st.LastAt, st.LastLatency = now, 0
	to, reason := Up, fmt.Sprintf("reported healthy (ttl %v)", ttl)
	if healthy {
		st.Successes++
		st.Failures = 0
		st.LastError = ""
	} else {
		st.Failures++
		st.Successes = 0
		st.LastError = "reported unhealthy"
		to, reason = Down, fmt.Sprintf("reported unhealthy (ttl %v)", ttl)
	}
	from := st.Status
	if st.set(to, reason, now) {
		s.changed(e, from, true)
	} else {
		st.Reason = reason
	}
	// Arm the expiry here, not in the goroutine, so the old timer is gone
	// and the new one set when SetExternal returns.
	if e.timer != nil {
		e.timer.Stop()
	}
	e.timer = s.clock.NewTimer(ttl)
	select {
	case <-e.rearm:
	default:
	}
	e.rearm <- e.timer
	return nil
}

// runExternal is the goroutine of an external check: it waits on the
// expiry timer of the latest push, which SetExternal hands it.
func (s *Scheduler) runExternal(e *entry) {
	defer s.wg.Done()
	var fire <-chan time.Time
	for {
		select {
		case <-e.ctx.Done():
			return
		case t := <-e.rearm:
			fire = t.C()
		case <-fire:
			fire = nil
			s.expire(e)
		}
	}
}

// expire turns an external check Down when its latest push has expired.
func (s *Scheduler) expire(e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checks[e.cfg.Name] != e || e.expires.IsZero() {
		return
	}
	now := s.clock.Now()
	if now.Before(e.expires) {
		// A newer push moved the expiry and armed its own timer.
		return
	}
	e.expires, e.timer = time.Time{}, nil
	from := e.state.Status
	if e.state.set(Down, fmt.Sprintf("no status pushed within the ttl (%v)", e.ttl), now) {
		s.changed(e, from, true)
	}
}
