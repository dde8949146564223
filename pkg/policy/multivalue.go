package policy

// selectMultivalue answers up to MaxAnswers healthy endpoints, a uniformly
// random subset in uniformly random order. Each answer is drawn uniformly
// among the healthy endpoints not drawn yet: a partial Fisher–Yates shuffle
// run over the health view in place, so it needs no array for any number of
// endpoints. The answer does not depend on the client.
func (s *Service) selectMultivalue(h health, r Rand, out []int, t *Trace) []int {
	n := 0
	for i := range s.eps {
		ok := h.ok(i)
		if ok {
			n++
		}
		if t != nil {
			t.addf(StepCandidate, s.eps[i].id, "%s", healthWord(ok))
		}
	}
	for left := n; len(out) < s.maxAnswers && left > 0; left-- {
		x := draw(r, left)
		for i := range s.eps {
			if !h.ok(i) || picked(out, i) {
				continue
			}
			if x == 0 {
				out = append(out, i)
				break
			}
			x--
		}
	}
	if t != nil {
		t.Rule = "multivalue: random " + itoa(len(out)) + " of " + itoa(n) + " healthy"
		t.Random = true
	}
	return out
}
