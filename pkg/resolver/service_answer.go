package resolver

import (
	"github.com/miekg/dns"
)

// selectEndpoints runs the service's policy for the query's client and
// notes the ECS scope the choice relied on.
func (h *Handler) selectEndpoints(s *Snapshot, sn *serviceNode, r *request) []int {
	h.locate(r)
	chosen, scope := sn.policy.Select(s.health[sn.index], &r.client, h.rand, r.chosen[:0], nil)
	r.scope = max(r.scope, scope)
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
