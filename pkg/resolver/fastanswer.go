package resolver

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/policy"
)

// Precomputed answers. A static answer (one no policy takes part in) is
// the same bytes for every client and every health, so the fast path
// keeps it packed: made once, by the full path itself, the first time a
// node is asked, and kept on the node. Nodes belong to one Build and are
// shared by every snapshot WithHealth or WithHealthChanges derives from
// it, so a health change rebuilds nothing here; a new document builds new
// nodes, which start without answers. A change of a few records
// (WithRecordChanges) keeps the nodes it does not change: their answers,
// kept with the version of the records they were made in, are made
// again.

// fastAnswer is one packed response but for its question: the question
// is the query's own, copied from its bytes, so its case and type are
// the client's.
//
// A zone of a million names asked for every one keeps a million of them:
// the small fields share the header's word, what only a wildcard's answer
// needs is behind a pointer, and the zone is the one it is found in
// (fastResponse.zone), which keeps it 80 bytes (128 before).
type fastAnswer struct {
	// hdr is the header with ID 0 and RD and CD clear.
	hdr [hdrLen]byte
	// rcode, and the rate limiting class and key, as the full path
	// works them out for this answer.
	class   ResponseClass
	keyType uint16
	// decline marks a type the fast path leaves to the full path.
	decline bool
	// body is everything after the question, without an OPT record.
	body    []byte
	rcode   int
	keyName string
	// marks is set on a wildcard's answer (markAnswers).
	marks *wildcardMarks
}

// wildcardMarks say where the owners are in the answer records of a
// wildcard's answer, which an answer synthesized from it replaces with
// the query name (RFC 4592 §2.1): answerEnds are the offsets in body
// where each answer record ends, ownerLen the length of their owner.
type wildcardMarks struct {
	answerEnds []int
	ownerLen   int
}

// fastNode is a node's precomputed answers, each made the first time its
// type is asked, so that a node costs memory for the types asked only:
// one slot per RRset of the node (in the node's order), then one per
// type the full path treats apart (fastSpecialTypes), then other, for
// every remaining type.
type fastNode struct {
	// version is the version of the records the answers were made in:
	// they are made again in another (recordsVersion).
	version *recordsVersion
	answers []atomic.Pointer[fastAnswer]
	other   atomic.Pointer[fastAnswer]
}

// fastSpecialTypes are the types the full path answers other than by
// looking the type up at the node: addresses (services), CNAME and ANY
// (which a CNAME matches, and ANY's first RRset), and DS (at a cut).
func fastSpecialTypes() [5]uint16 {
	return [5]uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeANY, dns.TypeDS}
}

// fastAnswerOf returns the precomputed answer to qtype at n in z, making
// it on first use, or nil when the fast path declines it. Two queries
// that race both make it; the first stored stays.
func (h *Handler) fastAnswerOf(s *Snapshot, z *zone, n *node, qtype uint16) *fastAnswer {
	f := n.fast.Load()
	if f == nil || f.version != s.version {
		made := &fastNode{version: s.version, answers: make([]atomic.Pointer[fastAnswer], int(n.nsets)+len(fastSpecialTypes()))}
		if n.fast.CompareAndSwap(f, made) {
			f = made
		} else if f = n.fast.Load(); f.version != s.version {
			// A query of the snapshot before or after this one got
			// there first: this answer is made for this query only.
			f = made
		}
	}
	slot, t := f.slot(n, qtype)
	if a := slot.Load(); a != nil {
		return a.usable()
	}
	a := h.precompute(s, z, n.name, t)
	switch {
	case a == nil:
		a = &fastAnswer{decline: true}
	case slot == &f.other && (a.class == ClassAnswer || n.lookup(dns.TypeCNAME) != nil):
		// Past a CNAME the answer depends on the types at the targets, so
		// one answer cannot stand for every other type.
		a = &fastAnswer{decline: true}
	}
	if slot.CompareAndSwap(nil, a) {
		if !a.decline {
			h.answersMade.Add(1)
		}
	} else {
		a = slot.Load()
	}
	return a.usable()
}

// slot returns where the answer to qtype at n is kept, and the type to
// precompute it with.
func (f *fastNode) slot(n *node, qtype uint16) (*atomic.Pointer[fastAnswer], uint16) {
	sets := n.sets()
	for i := range sets {
		if sets[i].rrtype == qtype {
			return &f.answers[i], qtype
		}
	}
	for i, t := range fastSpecialTypes() {
		if t == qtype {
			return &f.answers[len(sets)+i], qtype
		}
	}
	return &f.other, unheldType(n)
}

// usable returns a, or nil when it stands for "decline".
func (a *fastAnswer) usable() *fastAnswer {
	if a.decline {
		return nil
	}
	return a
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
	// The body alone, not the whole packed message it is part of: the
	// answers of a large zone asked for every name are most of what the
	// fast path keeps.
	a := &fastAnswer{rcode: resp.Rcode, body: slices.Clone(wire[hdrLen+wireNameLen(name)+4:])}
	copy(a.hdr[:], wire)
	a.class, a.keyName, a.keyType = classify(r, resp)
	if strings.HasPrefix(name, "*.") && !a.markAnswers(resp) {
		return nil
	}
	return a
}

// markAnswers notes where the answer records end in the body, for
// answers synthesized from a wildcard; it reports false when they are
// not all owned by the wildcard, so that replacing the owners would not
// give what the full path gives.
func (a *fastAnswer) markAnswers(resp *dns.Msg) bool {
	off := 0
	m := new(wildcardMarks)
	for _, rr := range resp.Answer {
		owner := wireNameLen(dns.CanonicalName(rr.Header().Name))
		if !strings.HasPrefix(rr.Header().Name, "*.") || m.ownerLen != 0 && m.ownerLen != owner {
			return false
		}
		m.ownerLen = owner
		n := dns.Len(rr)
		m.answerEnds = append(m.answerEnds, off+n)
		off += n
	}
	if len(m.answerEnds) > 0 {
		a.marks = m
	}
	return true
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
