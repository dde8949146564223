package resolver

import (
	"bytes"

	"github.com/miekg/dns"
)

// The fast path finds a query's answer as answerZone does, walking the
// name's labels over the snapshot's maps with the name as bytes: a map
// index by string(b) does not allocate. Names here carry no escapes (see
// readName), so a label ends at every '.'.

// nextLabel returns the offset of the label after the one at off in a
// fully qualified name, or len(name) past the last.
func nextLabel(name []byte, off int) int {
	return off + bytes.IndexByte(name[off:], '.') + 1
}

// fastZone returns the zone that is the longest suffix of name, as
// findZone does.
func (s *Snapshot) fastZone(name []byte) *zone {
	for off := 0; off < len(name); off = nextLabel(name, off) {
		if z, ok := s.zones[string(name[off:])]; ok {
			return z
		}
	}
	return s.zones["."]
}

// fastCut returns the delegation point at or above name, as cutAbove
// does; n is the node of name itself, already looked up, or nil.
func (z *zone) fastCut(name []byte, n *node) *node {
	if !z.hasCuts || len(name) <= len(z.name) {
		return nil
	}
	if n != nil && n.cut {
		return n
	}
	for off := nextLabel(name, 0); len(name)-off > len(z.name); off = nextLabel(name, off) {
		if n := z.nodes.getBytes(name[off:]); n != nil && n.cut {
			return n
		}
	}
	return nil
}

// fastEncloser returns the closest encloser of a missing name, as
// closestEncloser does.
func (z *zone) fastEncloser(name []byte) *node {
	for off := nextLabel(name, 0); off < len(name); off = nextLabel(name, off) {
		if n := z.nodes.getBytes(name[off:]); n != nil {
			return n
		}
	}
	return z.nodes.get(z.name)
}

// fastLookup finds the answer to name and qtype in z: a precomputed
// answer, or the service whose policy decides it; wild is set when the
// answer is the wildcard's, whose answer records take the query name as
// owner. Both nil means the fast path declines: a wildcard CNAME or
// service, a service answered with a CNAME, or an answer a policy takes
// part in past a CNAME.
func (h *Handler) fastLookup(s *Snapshot, z *zone, name []byte, qtype uint16) (a *fastAnswer, sn *serviceNode, wild bool) {
	n := z.nodes.getBytes(name)
	if cut := z.fastCut(name, n); cut != nil && !(len(cut.name) == len(name) && qtype == dns.TypeDS) {
		// Every type but DS at the cut itself gets the referral, the
		// answer the cut precomputes for types it does not treat apart.
		return h.fastAnswerOf(s, z, cut, unheldType(cut)), nil, false
	}
	if n == nil {
		w := z.fastEncloser(name).wildcard
		switch {
		case w == nil:
			return h.fastNXDomain(s, z, name), nil, false
		case w.cut || w.service != nil || w.lookup(dns.TypeCNAME) != nil:
			// A chain from a wildcard may come back to the query name,
			// which the full path notices by owner; left to it.
			return nil, nil, false
		}
		return h.fastAnswerOf(s, z, w, qtype), nil, true
	}
	if sn := s.current(n.service); sn != nil {
		if sn.isCNAME() || !sn.packed {
			return nil, nil, false
		}
		if (qtype == dns.TypeA || qtype == dns.TypeAAAA) && n.lookup(dns.TypeCNAME) == nil {
			return nil, sn, false
		}
	}
	return h.fastAnswerOf(s, z, n, qtype), nil, false
}
