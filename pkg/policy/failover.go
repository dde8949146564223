package policy

// selectFailover answers the healthy endpoints of the lowest priority value
// among healthy endpoints, in config order, up to MaxAnswers. The answer
// does not depend on the client.
func (s *Service) selectFailover(h health, out []int, t *Trace) []int {
	found, best := false, 0
	for _, i := range s.byPriority {
		e := &s.eps[i]
		ok := h.ok(i)
		if t != nil {
			t.addf(StepCandidate, e.id, "priority %d, %s", e.priority, healthWord(ok))
		}
		if found && e.priority != best {
			if t == nil {
				break
			}
			continue
		}
		if !ok {
			continue
		}
		found, best = true, e.priority
		if len(out) < s.maxAnswers {
			out = append(out, i)
		}
	}
	if t != nil {
		t.Rule = "failover: priority " + itoa(best)
	}
	return out
}
