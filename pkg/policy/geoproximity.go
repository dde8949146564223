package policy

// selectGeoproximity answers the healthy endpoints with the least biased
// distance to the client, as Route 53 defines it: distance × (1 − bias/100),
// so a positive bias draws clients from farther away and a negative one
// sends them elsewhere. Up to MaxAnswers, scope of the client's location;
// with no client coordinates, the first healthy endpoints in config order.
func (s *Service) selectGeoproximity(h health, c *Client, out []int, t *Trace) ([]int, int) {
	out, ok := s.nearest(h, c, true, out, t)
	if ok {
		if t != nil {
			t.Rule = "geoproximity: least biased distance"
		}
		return out, locScope(c)
	}
	if t != nil {
		t.addf(StepFallback, "", "%s: taking the first healthy endpoint in order", noCoords(c))
		t.Rule = "geoproximity: first healthy (no location)"
	}
	return s.firstHealthy(h, out), locScope(c)
}
