package policy

import "net/netip"

// health is the health view policies select through: healthy[i], an index
// past the slice counting healthy, and everything healthy when all is set
// (when_all_down: all).
type health struct {
	up  []bool
	all bool
}

func (h health) ok(i int) bool { return h.all || i >= len(h.up) || h.up[i] }

// Select picks the endpoints to answer c with. It writes their indexes into
// out (reset to length 0; with capacity MaxAnswers or more, and 8 always
// suffices, it never grows) and returns them with the ECS scope: the number
// of leading bits of c.Addr for which the same answer holds for every address
// inside, 0 when it does not depend on where the client is, never more than
// c.Bits.
//
// healthy[i] is endpoint i's health with overrides applied and "no result
// yet" counted healthy; an index past the end of healthy counts healthy. A
// nil c is a client of whom nothing is known. r is drawn from only by weighted and multivalue (nil draws
// as if it always returned 0). When trace is nil Select does not allocate;
// otherwise every step is appended to it.
//
// Order: when no endpoint is healthy, when_all_down decides first (all runs
// the rest as if every endpoint were healthy). Then networks pins: the
// longest pin holding the client's whole known prefix; its endpoint, if
// healthy, is the whole answer. Otherwise the service's policy decides.
//
// Scope: a pinned answer holds over the widest network around the client
// inside which the longest pin does not change; a policy answer holds over
// the client's location network (geo, latency, geoproximity) or everywhere
// (the others), narrowed in the same way wherever the service has pins.
func (s *Service) Select(healthy []bool, c *Client, r Rand, out []int, trace *Trace) (chosen []int, scope int) {
	out = out[:0]
	if c == nil {
		c = &Client{}
	}
	q := newQuery(c)
	if trace != nil {
		s.traceClient(trace, c, q)
	}
	h := health{up: healthy}
	if n := s.countHealthy(h); n == 0 {
		switch s.allDown {
		case allDownNone:
			if trace != nil {
				trace.addf(StepAllDown, "", "no endpoint is healthy: when_all_down is none, the answer is empty (NODATA)")
				trace.Rule = "when_all_down: none"
				s.traceScope(trace, q, 0)
			}
			return out, 0
		case allDownEndpoint:
			e := s.allDownEP
			if trace != nil {
				trace.addf(StepAllDown, s.eps[e].id, "no endpoint is healthy: when_all_down names endpoint %s", s.eps[e].id)
				trace.addf(StepChose, s.eps[e].id, "when_all_down endpoint")
				trace.Rule = "when_all_down: " + s.eps[e].id
				s.traceScope(trace, q, 0)
			}
			return append(out, e), 0
		default:
			if trace != nil {
				trace.addf(StepAllDown, "", "no endpoint is healthy: when_all_down is all, selecting as if every endpoint were healthy (fail open)")
			}
			h.all = true
		}
	} else if trace != nil {
		trace.addf(StepHealth, "", "%d of %d endpoints healthy", n, len(s.eps))
	}
	out, scope = s.decide(h, c, q, r, out, trace)
	if trace != nil {
		if h.all {
			trace.Rule = "when_all_down: all (" + trace.Rule + ")"
		}
		s.traceScope(trace, q, scope)
	}
	return out, scope
}

// decide runs the pins, then the policy, and combines their scopes.
func (s *Service) decide(h health, c *Client, q query, r Rand, out []int, t *Trace) ([]int, int) {
	p, pinScope := s.pins.match(q)
	if p >= 0 {
		pn := &s.pins.list[p]
		ok := h.ok(pn.ep)
		if t != nil {
			t.addf(StepPin, s.eps[pn.ep].id, "client %s is in network %s, pinned to %s (%s)",
				netip.PrefixFrom(q.addr, q.bits), pn.prefix, s.eps[pn.ep].id, healthWord(ok))
		}
		if ok {
			if t != nil {
				t.addf(StepChose, s.eps[pn.ep].id, "pinned network %s", pn.prefix)
				t.Rule = "network pin"
			}
			return append(out, pn.ep), min(pinScope, q.bits)
		}
		if t != nil {
			t.addf(StepFallback, s.eps[pn.ep].id, "pinned endpoint is unhealthy: falling through to the %s policy", s.cfg.Policy)
		}
	} else if t != nil && len(s.pins.list) > 0 {
		t.addf(StepPin, "", "no pinned network holds %s", netip.PrefixFrom(q.addr, q.bits))
	}
	var scope int
	switch s.policy {
	case failover:
		out = s.selectFailover(h, out, t)
	case geoPolicy:
		out, scope = s.selectGeo(h, c, out, t)
	case latency:
		out, scope = s.selectLatency(h, c, out, t)
	case geoproximity:
		out, scope = s.selectGeoproximity(h, c, out, t)
	case weighted:
		out = s.selectWeighted(h, r, out, t)
	case multivalue:
		out = s.selectMultivalue(h, r, out, t)
	}
	if t != nil {
		for _, i := range out {
			t.addf(StepChose, s.eps[i].id, "%s", t.Rule)
		}
	}
	return out, min(max(scope, pinScope), q.bits)
}

func (s *Service) countHealthy(h health) int {
	n := 0
	for i := range s.eps {
		if h.ok(i) {
			n++
		}
	}
	return n
}

// firstHealthy appends the first healthy endpoints in config order, up to
// MaxAnswers.
func (s *Service) firstHealthy(h health, out []int) []int {
	for i := range s.eps {
		if len(out) >= s.maxAnswers {
			break
		}
		if h.ok(i) {
			out = append(out, i)
		}
	}
	return out
}

// traceClient records what is known of the client.
func (s *Service) traceClient(t *Trace, c *Client, q query) {
	t.addf(StepClient, "", "service %s, policy %s, max_answers %d", s.cfg.Name, s.cfg.Policy, s.maxAnswers)
	if !q.addr.IsValid() {
		t.addf(StepClient, "", "no client address")
	} else {
		t.addf(StepClient, "", "client %s (%d bits known)", netip.PrefixFrom(q.addr, q.bits), q.bits)
	}
	if !c.HasLoc {
		t.addf(StepClient, "", "no GeoIP location")
		return
	}
	l := &c.Loc
	coords := "no coordinates"
	if l.HasCoords {
		coords = fmtCoords(l.Lat, l.Lon)
	}
	t.addf(StepClient, "", "location: country %q, subdivision %q, continent %q, %s, network %s",
		l.Country, l.Subdivision, l.Continent, coords, l.Network)
}

// traceScope records the scope and the network it covers.
func (s *Service) traceScope(t *Trace, q query, scope int) {
	if scope == 0 || !q.addr.IsValid() {
		t.addf(StepScope, "", "scope 0: the answer does not depend on the client's address")
		return
	}
	p, _ := q.addr.Prefix(scope)
	t.addf(StepScope, "", "scope %d: the answer holds for %s", scope, p)
}
