package resolver

import (
	"github.com/miekg/dns"
)

// How the handler applies its RateLimiter: after the answer is decided
// (the class depends on it) and before it is packed (a limited answer
// costs no packing). Only UDP is limited: a TCP client completed a
// handshake, so its address is its own; so is the address of a client
// that returned a valid server cookie.

// limit counts the answer in st against the handler's limiter and says
// what to do with it.
func (h *Handler) limit(st *queryState) Action {
	r := &st.req
	if h.rrl == nil || r.tcp || r.cookie == cookieValid {
		return ActionAllow
	}
	class, name, qtype := classify(r, &st.resp)
	return h.rrl.Allow(r.source, class, h.rrl.Key(name, qtype), r.now)
}

// classify says which bucket an answer counts in, and the name (and, for
// positive answers, the type) that keys it: NXDOMAIN and NODATA per
// zone, so random names under one zone share one bucket; referrals per
// delegation; errors per client network alone.
func classify(r *request, m *dns.Msg) (ResponseClass, string, uint16) {
	switch {
	case m.Rcode == dns.RcodeNameError:
		return ClassNXDomain, r.zone, 0
	case m.Rcode != dns.RcodeSuccess:
		return ClassError, "", 0
	case len(m.Answer) > 0:
		return ClassAnswer, r.name, r.qtype
	case !m.Authoritative && len(m.Ns) > 0:
		return ClassReferral, m.Ns[0].Header().Name, 0
	}
	return ClassNoData, r.zone, 0
}

// slip turns the answer into the truncated empty one a limited client
// gets every slip-th time: the question, TC=1, and the OPT record if the
// query had one, so that a real resolver retries over TCP.
func (st *queryState) slip() {
	st.clearRecords()
	st.resp.Truncated = true
}
