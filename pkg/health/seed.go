package health

// Seed gives a running check that is still Unknown (no result yet, or
// failures short of fall) a status to start from. The status stands
// until the check's own results decide, by rise and fall as after any
// status, the failures so far included: rise successes bring a seeded
// Down up, fall failures take a seeded Up down. A node that takes over
// probing a check (its vantage points moved, or it was cut off from the
// others' results) seeds it with the verdict it served until then, so a
// region that is down does not count as healthy, being unknown, while
// the new prober finds out for itself. It reports whether it seeded:
// not for Unknown, a check not running, or one its results decided.
func (s *Scheduler) Seed(check string, st Status, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.checks[check]
	if st == Unknown || e == nil || e.state.Status != Unknown {
		return false
	}
	e.state.Status, e.state.Reason, e.state.Since = st, reason, s.clock.Now()
	s.changed(e, Unknown)
	return true
}
