package policy

// selectLatency answers the healthy endpoints nearest the client, up to
// MaxAnswers, with the ECS scope of the client's location.
//
// Great-circle distance from the client's coordinates to each endpoint's
// location stands in for expected latency. Measured latency, when the
// cluster has it for the client's network, is meant to enter as one more
// field of Client (per endpoint, for the client's network) and to replace
// the distance as the cost ranked by nearest; scope then also covers that
// network. With no client coordinates the first healthy endpoints in config
// order answer, and the trace says so.
func (s *Service) selectLatency(h health, c *Client, out []int, t *Trace) ([]int, int) {
	out, ok := s.nearest(h, c, false, out, t)
	if ok {
		if t != nil {
			t.Rule = "latency: nearest"
		}
		return out, locScope(c)
	}
	if t != nil {
		t.addf(StepFallback, "", "%s: taking the first healthy endpoint in order", noCoords(c))
		t.Rule = "latency: first healthy (no location)"
	}
	return s.firstHealthy(h, out), locScope(c)
}

// noCoords says why the client's distance is unknown, for traces.
func noCoords(c *Client) string {
	if !c.HasLoc {
		return "no GeoIP location"
	}
	return "no client coordinates"
}
