package resolver

import (
	"encoding/binary"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/policy"
)

// Precomputed answers. A static answer (one no policy takes part in) is
// the same bytes for every client and every health, so the fast path
// keeps it packed: made once, by the full path itself, the first time a
// node is asked, and kept on the node. Nodes belong to one Build and are
// shared by every snapshot WithHealth or WithHealthChanges derives from
// it, so a health change rebuilds nothing here; a new document builds new
// nodes, which start without answers.

// fastAnswer is one packed response but for its question: the question
// is the query's own, copied from its bytes, so its case and type are
// the client's.
type fastAnswer struct {
	// hdr is the header with ID 0 and RD and CD clear.
	hdr [hdrLen]byte
	// body is everything after the question, without an OPT record.
	body []byte
	// rcode, zone, and the rate limiting class and key, as the full
	// path works them out for this answer.
	rcode   int
	zone    string
	class   ResponseClass
	keyName string
	keyType uint16
}

// fastNode is a node's precomputed answers: one per type that is the
// node's own or that the full path treats apart, and other for every
// remaining type. A nil answer means the fast path declines that type.
type fastNode struct {
	types   []uint16
	answers []*fastAnswer
	other   *fastAnswer
}

// answer returns the precomputed answer for qtype, or nil.
func (f *fastNode) answer(qtype uint16) *fastAnswer {
	for i, t := range f.types {
		if t == qtype {
			return f.answers[i]
		}
	}
	return f.other
}

// fastSpecialTypes are the types the full path answers other than by
// looking the type up at the node: addresses (services), CNAME and ANY
// (which a CNAME matches, and ANY's first RRset), and DS (at a cut).
func fastSpecialTypes() [5]uint16 {
	return [5]uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeANY, dns.TypeDS}
}

// fastNodeOf returns n's precomputed answers, making them on first use.
// Two queries that race both make them; the first stored stays.
func (h *Handler) fastNodeOf(s *Snapshot, z *zone, n *node) *fastNode {
	if f := n.fast.Load(); f != nil {
		return f
	}
	f := &fastNode{}
	for _, set := range n.rrsets {
		f.types = append(f.types, set.rrtype)
	}
	for _, t := range fastSpecialTypes() {
		if n.lookup(t) == nil {
			f.types = append(f.types, t)
		}
	}
	f.answers = make([]*fastAnswer, len(f.types))
	for i, t := range f.types {
		f.answers[i] = h.precompute(s, z, n.name, t)
	}
	// Past a CNAME the answer depends on the types at the targets; only
	// the types above are precomputed there.
	if n.lookup(dns.TypeCNAME) == nil {
		if other := h.precompute(s, z, n.name, unheldType(n)); other != nil && other.class != ClassAnswer {
			f.other = other
		}
	}
	n.fast.CompareAndSwap(nil, f)
	return n.fast.Load()
}

// unheldType is a type the node holds no RRset of and the full path
// treats like any data type, to precompute the answer every such type
// gets: NODATA or a referral.
func unheldType(n *node) uint16 {
	t := uint16(0xff00) // private use (RFC 6895 §3.1)
	for n.lookup(t) != nil {
		t++
	}
	return t
}

// fastNXDomain returns z's NXDOMAIN answer, the same for every missing
// name without a wildcard, making it from name on first use.
func (h *Handler) fastNXDomain(s *Snapshot, z *zone, name []byte) *fastAnswer {
	if a := z.nx.Load(); a != nil {
		return a
	}
	a := h.precompute(s, z, string(name), dns.TypeA)
	if a == nil || a.rcode != dns.RcodeNameError {
		return nil
	}
	z.nx.CompareAndSwap(nil, a)
	return z.nx.Load()
}

// precompute answers name and qtype in z through the full path and packs
// the response as the full path does when it fits (uncompressed). It
// returns nil when a service's policy takes part, which makes the answer
// depend on the client and health.
func (h *Handler) precompute(s *Snapshot, z *zone, name string, qtype uint16) *fastAnswer {
	st := new(queryState)
	r, resp := &st.req, &st.resp
	// A trace keeps the policy from counting or caching decisions, and
	// marks the answers a service took part in.
	r.trace = new(policy.Trace)
	r.name, r.qtype, r.zone, r.size = name, qtype, z.name, minUDPSize
	resp.MsgHdr = dns.MsgHdr{Response: true, Authoritative: true}
	resp.Question = []dns.Question{{Name: name, Qtype: qtype, Qclass: dns.ClassINET}}
	h.answerZone(s, z, r, resp)
	if r.explained != nil {
		return nil
	}
	wire, err := resp.Pack()
	if err != nil {
		h.log.Warn("cannot pack a precomputed answer", "name", name, "qtype", qtype, "err", err)
		return nil
	}
	a := &fastAnswer{rcode: resp.Rcode, zone: z.name, body: wire[hdrLen+wireNameLen(name)+4:]}
	copy(a.hdr[:], wire)
	a.class, a.keyName, a.keyType = classify(r, resp)
	return a
}

// wireNameLen is the length on the wire of a fully qualified name in
// presentation form without escapes.
func wireNameLen(name string) int {
	if name == "." {
		return 1
	}
	return len(name) + 1
}

// fastHeader is the header of an answer the fast path puts together:
// QR and AA set, rcode NOERROR, one question, an answers and ns
// authority records.
func fastHeader(an, ns int) [hdrLen]byte {
	var h [hdrLen]byte
	h[2] = flagQR | flagAA
	binary.BigEndian.PutUint16(h[4:], 1)
	binary.BigEndian.PutUint16(h[6:], uint16(an))
	binary.BigEndian.PutUint16(h[8:], uint16(ns))
	return h
}

// refusedHeader is the header of REFUSED, the answer for names outside
// every zone served.
func refusedHeader() [hdrLen]byte {
	var h [hdrLen]byte
	h[2] = flagQR
	h[3] = dns.RcodeRefused
	binary.BigEndian.PutUint16(h[4:], 1)
	return h
}
