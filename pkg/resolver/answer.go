package resolver

import (
	"strings"

	"github.com/miekg/dns"
)

// maxChain bounds the CNAME links followed inside our zones.
const maxChain = 8

// answerZone fills resp with the answer for r.name in z, following RFC
// 1034 §4.3.2: delegations first, then the name itself, then wildcards
// (RFC 4592), following CNAMEs through the zones served here.
func (h *Handler) answerZone(s *Snapshot, z *zone, r *request, resp *dns.Msg) {
	name := r.name
	for chain := 0; ; chain++ {
		if cut := z.cutAbove(name); cut != nil && !(cut.name == name && r.qtype == dns.TypeDS) {
			r.cut = cut
			h.referral(cut, resp)
			return
		}
		if name == z.name && isKeyType(r.qtype) {
			if set := apexKeys(s.signerOf(z.name), r.qtype); len(set) > 0 {
				resp.Answer = append(resp.Answer, set...)
				return
			}
		}
		if r.qtype == dns.TypeDS {
			if ds := s.subZoneDS(z, name); len(ds) > 0 {
				resp.Answer = append(resp.Answer, ds...)
				return
			}
		}
		n, wild := z.nodes.get(name), false
		if n == nil {
			ce := z.closestEncloser(name)
			if ce.wildcard == nil {
				resp.Rcode = dns.RcodeNameError
				resp.Ns = append(resp.Ns, z.negSOA...)
				r.denied, r.deniedNode = name, nil
				return
			}
			n, wild = ce.wildcard, true
		}
		target, ok := h.answerNode(s, n, name, wild, r, resp)
		if !ok {
			resp.Ns = append(resp.Ns, z.negSOA...)
			r.denied, r.deniedNode = name, n
			return
		}
		if target == "" {
			return
		}
		if chain == maxChain || answered(resp, target) {
			return
		}
		// The target may lie in another zone served here, a sub-zone
		// included: follow it there, as the answer stays authoritative.
		if z = s.findZone(target); z == nil {
			return
		}
		name = target
	}
}

// answered reports whether the answer already holds records of name: a
// CNAME loop, which is answered with each link once.
func answered(resp *dns.Msg, name string) bool {
	for _, rr := range resp.Answer {
		if rr.Header().Name == name {
			return true
		}
	}
	return false
}

// answerNode answers from one node. It returns the CNAME target to follow
// ("" for none) and false when the node has nothing of the asked type, a
// NODATA answer.
func (h *Handler) answerNode(s *Snapshot, n *node, owner string, wild bool, r *request, resp *dns.Msg) (string, bool) {
	qtype := r.qtype
	if n.service != nil && n.service.isCNAME() {
		// A CNAME service stands alone at its name, so every type
		// follows it.
		cname := h.serviceCNAME(s, n.service, r)
		if cname == nil {
			return "", false
		}
		resp.Answer = append(resp.Answer, cname)
		return chaseTarget(cname, qtype), true
	}
	if set := n.lookup(dns.TypeCNAME); set != nil {
		cname := h.appendSet(r, resp, set, owner, wild)
		if len(cname) == 0 {
			return "", true
		}
		return chaseTarget(cname[0], qtype), true
	}
	if sn := s.current(n.service); sn != nil {
		switch qtype {
		case dns.TypeA, dns.TypeAAAA:
			return "", h.answerService(s, sn, qtype, r, resp)
		case dns.TypeANY:
			if h.answerService(s, sn, dns.TypeA, r, resp) || h.answerService(s, sn, dns.TypeAAAA, r, resp) {
				return "", true
			}
		}
	}
	var set *rrset
	if qtype == dns.TypeANY {
		// RFC 8482: answer ANY with one RRset rather than all of them.
		if n.nsets > 0 {
			set = &n.sets()[0]
		}
	} else {
		set = n.lookup(qtype)
	}
	if set == nil {
		return "", false
	}
	h.appendSet(r, resp, set, owner, wild)
	return "", true
}

// chaseTarget is the name a CNAME answer goes on with: its target, or ""
// for CNAME and ANY, which the CNAME itself matches (RFC 1034 §4.3.2 step
// 3a), so the answer stops there.
func chaseTarget(cname dns.RR, qtype uint16) string {
	if qtype == dns.TypeCNAME || qtype == dns.TypeANY {
		return ""
	}
	return strings.ToLower(cname.(*dns.CNAME).Target)
}

// appendSet adds an RRset to the answer and its additional records,
// giving synthesized wildcard answers the asked name as owner, and
// returns the records it added.
func (h *Handler) appendSet(r *request, resp *dns.Msg, set *rrset, owner string, wild bool) []dns.RR {
	rrs := r.unpacked.records(set, owner)
	if wild && !set.wire {
		// Parsed records are shared and carry the wildcard's name.
		named := make([]dns.RR, len(rrs))
		for i, rr := range rrs {
			named[i] = dns.Copy(rr)
			named[i].Header().Name = owner
		}
		rrs = named
	}
	resp.Answer = append(resp.Answer, rrs...)
	resp.Extra = append(resp.Extra, set.extra()...)
	return rrs
}

// referral answers with the delegation at cut: not authoritative, the
// child's NS set in the authority section and its glue.
func (h *Handler) referral(cut *node, resp *dns.Msg) {
	set := cut.lookup(dns.TypeNS)
	if len(resp.Answer) == 0 {
		resp.Authoritative = false
	}
	resp.Ns = append(resp.Ns, set.records(cut.name)...)
	resp.Extra = append(resp.Extra, set.extra()...)
}

// cutAbove returns the delegation point at or above name (below the apex),
// or nil.
func (z *zone) cutAbove(name string) *node {
	if !z.hasCuts {
		return nil
	}
	for off, end := 0, false; !end && len(name)-off > len(z.name); off, end = dns.NextLabel(name, off) {
		if n := z.nodes.get(name[off:]); n != nil && n.cut {
			return n
		}
	}
	return nil
}

// closestEncloser returns the deepest existing ancestor of name, which
// does not exist itself (RFC 4592 §3.3.1). The apex always exists.
func (z *zone) closestEncloser(name string) *node {
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		if n := z.nodes.get(name[off:]); n != nil {
			return n
		}
	}
	return z.nodes.get(z.name)
}
