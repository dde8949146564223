package resolver

import (
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/dnssec"
)

// EDNS flag and type numbers of compact denial of existence (RFC 9824).
const (
	// ednsFlagCO is the Compact Answers OK flag, next to DO in the OPT
	// record's TTL field.
	ednsFlagCO = 0x4000
	// typeNXNAME marks, in a compact denial's NSEC, a name that does not
	// exist.
	typeNXNAME = dnssec.TypeNXNAME
)

// signAnswer signs a response for a client that set the DO bit: an RRSIG
// after every RRset of a signed zone in the answer and authority
// sections, a compact denial (RFC 9824) for a negative answer, and the
// DS or its absence for a referral. A zone whose signing fails is
// answered SERVFAIL, as an unsigned answer would not validate.
func (h *Handler) signAnswer(s *Snapshot, r *request, resp *dns.Msg) {
	answer, ns := resp.Answer, resp.Ns
	switch {
	case r.cut != nil && s.signs(s.findZone(r.cut.name)):
		ns = append(slices.Clip(ns), h.delegationProof(s, r.cut)...)
	case r.denied != "" && s.signs(s.zoneOf(r.denied, dns.TypeNSEC, r)):
		if r.qtype == dns.TypeRRSIG {
			// Signatures come with the RRsets they cover; a NODATA for
			// RRSIG would need an NSEC saying a name has none, which its
			// own signature contradicts.
			emptyResponse(resp, dns.RcodeRefused)
			return
		}
		if len(ns) > 0 {
			nsec := denialNSEC(s, r, ns[0].Header().Ttl)
			if r.qtype == dns.TypeNSEC {
				// Asked for it: the NSEC at the name is the answer, as
				// its bitmap says an NSEC is there.
				answer, ns = append(slices.Clip(answer), nsec), ns[:0]
				resp.Rcode = dns.RcodeSuccess
				break
			}
			ns = append(slices.Clip(ns), nsec)
		}
		if resp.Rcode == dns.RcodeNameError && !r.co {
			// Compact denial answers a missing name NOERROR, as if it
			// existed without the type, unless the client asked for
			// the NXDOMAIN back (RFC 9824 §3.2).
			resp.Rcode = dns.RcodeSuccess
		}
	}
	answer, ok := h.signSection(s, r, answer)
	if ok {
		ns, ok = h.signSection(s, r, ns)
	}
	if !ok {
		emptyResponse(resp, dns.RcodeServerFailure)
		return
	}
	resp.Answer, resp.Ns = answer, ns
}

// signs reports whether z is signed.
func (s *Snapshot) signs(z *zone) bool {
	return z != nil && s.signerOf(z.name) != nil
}

// zoneOf is the zone whose data a record of rrtype at owner is, in the
// answer to r: the zone owner is in, but the parent for the DS set at a
// sub-zone's apex, and for the NSEC that denies it (dsZone).
func (s *Snapshot) zoneOf(owner string, rrtype uint16, r *request) *zone {
	z := s.findZone(owner)
	if z != nil && (rrtype == dns.TypeDS || rrtype == dns.TypeNSEC && r.qtype == dns.TypeDS) {
		z = s.dsZone(z, owner)
	}
	return z
}

// emptyResponse turns resp into an empty, non-authoritative answer with
// rcode: REFUSED, or the SERVFAIL a zone that cannot be signed gets.
func emptyResponse(resp *dns.Msg, rcode int) {
	resp.Rcode = rcode
	resp.Authoritative = false
	resp.Answer, resp.Ns, resp.Extra = resp.Answer[:0], resp.Ns[:0], resp.Extra[:0]
}

// signSection returns rrs with the signatures of every RRset whose zone
// is signed after it. RRsets are runs of records of one owner and type,
// which is how answers are assembled. It returns rrs itself when nothing
// is signed, and false when a signer failed.
func (h *Handler) signSection(s *Snapshot, r *request, rrs []dns.RR) ([]dns.RR, bool) {
	var out []dns.RR
	for start := 0; start < len(rrs); {
		end := rrsetEnd(rrs, start)
		set := rrs[start:end]
		hdr := set[0].Header()
		var sigs []dns.RR
		owner := strings.ToLower(hdr.Name)
		// NS records below an apex are a delegation, which the parent
		// does not sign (RFC 4035 §2.2).
		if z := s.zoneOf(owner, hdr.Rrtype, r); z != nil && !(hdr.Rrtype == dns.TypeNS && owner != z.name) {
			if signer := s.signerOf(z.name); signer != nil {
				var err error
				if sigs, err = signer.Sign(set); err != nil {
					h.log.Warn("cannot sign an answer", "zone", z.name, "name", hdr.Name, "type", dns.TypeToString[hdr.Rrtype], "err", err)
					return nil, false
				}
			}
		}
		if len(sigs) > 0 && out == nil {
			out = make([]dns.RR, 0, len(rrs)+2*len(sigs))
			out = append(out, rrs[:start]...)
		}
		if out != nil {
			out = append(out, set...)
			out = append(out, sigs...)
		}
		start = end
	}
	if out == nil {
		return rrs, true
	}
	return out, true
}

// rrsetEnd returns the end of the run of records from start that share
// its owner and type.
func rrsetEnd(rrs []dns.RR, start int) int {
	h := rrs[start].Header()
	end := start + 1
	for end < len(rrs) {
		o := rrs[end].Header()
		if o.Rrtype != h.Rrtype || !strings.EqualFold(o.Name, h.Name) {
			break
		}
		end++
	}
	return end
}

// delegationProof is what a signed referral adds to the NS set of cut:
// its DS set when the document gives one, else an NSEC at the cut saying
// there is none, which proves the delegation insecure (RFC 4035 §3.1.4).
func (h *Handler) delegationProof(s *Snapshot, cut *node) []dns.RR {
	if set := cut.lookup(dns.TypeDS); set != nil {
		return set.records(cut.name)
	}
	ttl := uint32(0)
	if ns := cut.lookup(dns.TypeNS); ns != nil {
		ttl = ns.ttl()
	}
	if z := s.findZone(cut.name); z != nil && len(z.negSOA) > 0 {
		ttl = min(ttl, z.negSOA[0].Header().Ttl)
	}
	return []dns.RR{dnssec.NoData(cut.name, cut.types(nil, 0), ttl)}
}

// denialNSEC is the compact denial of a negative answer (RFC 9824): one
// NSEC at the name, whose next name is the name's immediate successor
// (dnssec.NextName), listing the types the name has, or NXNAME when it
// has none because it does not exist. ttl is the negative TTL.
func denialNSEC(s *Snapshot, r *request, ttl uint32) dns.RR {
	n := r.deniedNode
	if n == nil {
		return dnssec.NXName(r.denied, ttl)
	}
	var apex Signer
	if z := s.findZone(n.name); z != nil && z.name == n.name {
		apex = s.signerOf(z.name)
	}
	return dnssec.NoData(r.denied, n.types(apex, r.qtype), ttl)
}

// types lists the RR types n holds (and the keys of apex, the signer of
// the zone n is the apex of), less skip: what a NODATA answer's NSEC says
// exists at the name. A delegation point holds only its NS and DS sets
// on this side of the cut.
func (n *node) types(apex Signer, skip uint16) []uint16 {
	var types []uint16
	add := func(t uint16) {
		if t != skip {
			types = append(types, t)
		}
	}
	for _, set := range n.sets() {
		if t := set.rrtype; !n.cut || t == dns.TypeNS || t == dns.TypeDS {
			add(t)
		}
	}
	if sn := n.service; sn != nil {
		if sn.isCNAME() {
			add(dns.TypeCNAME)
		} else {
			for _, t := range sn.addressTypes() {
				add(t)
			}
		}
	}
	for _, t := range []uint16{dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY} {
		if len(apexKeys(apex, t)) > 0 {
			add(t)
		}
	}
	return types
}
