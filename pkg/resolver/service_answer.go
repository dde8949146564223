package resolver

import (
	"github.com/miekg/dns"
)

// selectEndpoints runs the service's policy for the query's client and
// notes the ECS scope the choice relied on.
func (h *Handler) selectEndpoints(s *Snapshot, sn *serviceNode, r *request) []int {
	chosen := h.decide(s, sn, r)
	if r.trace == nil {
		h.metrics.decided(sn, chosen)
	}
	return chosen
}

// decide is the policy's choice, remembered per client network where the
// policy allows.
func (h *Handler) decide(s *Snapshot, sn *serviceNode, r *request) []int {
	r.setClientPrefix()
	cache := sn.deterministic && r.trace == nil
	key := s.health.key(sn.index)
	if cache {
		if d := s.decisions.get(key, r.clientPrefix); d != nil {
			r.scope = max(r.scope, d.scope)
			r.decided, r.decidedIn, r.decidedN = sn, s, d.n
			return r.chosen[:copy(r.chosen[:], d.chosen[:d.n])]
		}
	}
	h.locate(r)
	if r.trace != nil {
		r.explained, r.snap = sn, s
	}
	chosen, scope := sn.policy.Select(s.health.of(sn.index), &r.client, h.rand, r.chosen[:0], r.trace)
	if cache {
		s.decisions.put(key, r.clientPrefix, chosen, scope)
	}
	r.scope = max(r.scope, scope)
	r.decided, r.decidedIn, r.decidedN = sn, s, len(chosen)
	return chosen
}

// answerService adds the chosen endpoints' records of qtype (A or AAAA)
// to the answer. It returns false when none of them has any: NODATA.
func (h *Handler) answerService(s *Snapshot, sn *serviceNode, qtype uint16, r *request, resp *dns.Msg) bool {
	n := len(resp.Answer)
	for _, i := range h.selectEndpoints(s, sn, r) {
		e := &sn.endpoints[i]
		if qtype == dns.TypeA {
			resp.Answer = append(resp.Answer, e.a...)
		} else {
			resp.Answer = append(resp.Answer, e.aaaa...)
		}
	}
	return len(resp.Answer) > n
}

// serviceCNAME returns the CNAME of the endpoint the policy picks, or nil
// when it picks none.
func (h *Handler) serviceCNAME(s *Snapshot, sn *serviceNode, r *request) dns.RR {
	chosen := h.selectEndpoints(s, sn, r)
	if len(chosen) == 0 {
		return nil
	}
	return sn.endpoints[chosen[0]].cname
}
