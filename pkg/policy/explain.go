package policy

// Decision is an answer with its reasons, as GET /v1/explain serves it.
type Decision struct {
	// Endpoints are the ids of the chosen endpoints, in answer order.
	Endpoints []string `json:"endpoints"`
	// Indexes are the chosen endpoints' indexes in the service's config.
	Indexes []int `json:"-"`
	// Scope is the ECS scope prefix length the answer holds for.
	Scope int `json:"scope"`
	// Trace is every step of the selection.
	Trace Trace `json:"trace"`
}

// Explain runs Select with a trace and returns the decision with endpoint
// ids. It allocates; it is for the admin API and tests, not the query path.
func (s *Service) Explain(healthy []bool, c *Client, r Rand) Decision {
	var d Decision
	var buf [8]int
	chosen, scope := s.Select(healthy, c, r, buf[:0], &d.Trace)
	d.Scope = scope
	d.Indexes = append([]int(nil), chosen...)
	d.Endpoints = make([]string, len(chosen))
	for k, i := range chosen {
		d.Endpoints[k] = s.eps[i].id
	}
	return d
}
