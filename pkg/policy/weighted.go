package policy

// selectWeighted draws healthy endpoints at random in proportion to their
// weights; with MaxAnswers > 1 it draws without replacement, stopping when
// the healthy weight runs out. Endpoints of weight 0 answer only when no
// endpoint of positive weight is healthy, and then equally, which also
// covers a service whose weights are all 0. The answer does not depend on
// the client.
func (s *Service) selectWeighted(h health, r Rand, out []int, t *Trace) []int {
	total, n := 0, 0
	for i := range s.eps {
		if h.ok(i) {
			total += s.eps[i].weight
			n++
		}
	}
	equal := total == 0 // every healthy endpoint has weight 0
	if equal {
		total = n
	}
	if t != nil {
		s.traceWeights(t, h, equal, total)
	}
	for len(out) < s.maxAnswers && total > 0 {
		x, pick, w := draw(r, total), -1, 0
		for i := range s.eps {
			if !h.ok(i) || picked(out, i) {
				continue
			}
			if w = s.eps[i].weight; equal {
				w = 1
			}
			if x < w {
				pick = i
				break
			}
			x -= w
		}
		if pick < 0 { // unreachable: x < total
			break
		}
		out = append(out, pick)
		total -= w
	}
	return out
}

func (s *Service) traceWeights(t *Trace, h health, equal bool, total int) {
	for i := range s.eps {
		e := &s.eps[i]
		ok := h.ok(i)
		switch {
		case !ok:
			t.addf(StepCandidate, e.id, "unhealthy, weight %d", e.weight)
		case equal:
			t.addf(StepCandidate, e.id, "healthy, weight %d: drawn equally with the other healthy endpoints (1 in %d)", e.weight, total)
		case e.weight == 0:
			t.addf(StepCandidate, e.id, "healthy, weight 0: used only when every endpoint of positive weight is unhealthy")
		default:
			t.addf(StepCandidate, e.id, "healthy, weight %d of %d", e.weight, total)
		}
	}
	t.Random = true
	if equal {
		t.addf(StepFallback, "", "no healthy endpoint has a positive weight: drawing equally among the healthy ones")
		t.Rule = "weighted: equal (no healthy positive weight)"
		return
	}
	t.Rule = "weighted: random by weight"
}

// picked reports whether i is already in out (at most MaxAnswers long).
func picked(out []int, i int) bool {
	for _, j := range out {
		if j == i {
			return true
		}
	}
	return false
}
