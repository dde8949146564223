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
		if n := z.nodes[string(name[off:])]; n != nil && n.cut {
			return n
		}
	}
	return nil
}

// fastEncloser returns the closest encloser of a missing name, as
// closestEncloser does.
func (z *zone) fastEncloser(name []byte) *node {
	for off := nextLabel(name, 0); off < len(name); off = nextLabel(name, off) {
		if n := z.nodes[string(name[off:])]; n != nil {
			return n
		}
	}
	return z.nodes[z.name]
}

// fastLookup finds the answer to name and qtype in z: a precomputed
// answer, or the service whose policy decides it. Both nil means the
// fast path declines: a wildcard (whose owner is the query name), a
// service answered with a CNAME, or an answer a policy takes part in
// past a CNAME.
func (h *Handler) fastLookup(s *Snapshot, z *zone, name []byte, qtype uint16) (*fastAnswer, *serviceNode) {
	n := z.nodes[string(name)]
	if cut := z.fastCut(name, n); cut != nil && !(len(cut.name) == len(name) && qtype == dns.TypeDS) {
		// Every type but DS at the cut itself gets the referral, the
		// answer the cut precomputes for types it does not treat apart.
		return h.fastAnswerOf(s, z, cut, unheldType(cut)), nil
	}
	if n == nil {
		if z.fastEncloser(name).wildcard != nil {
			return nil, nil
		}
		return h.fastNXDomain(s, z, name), nil
	}
	if sn := n.service; sn != nil {
		if sn.isCNAME() || !sn.packed {
			return nil, nil
		}
		if (qtype == dns.TypeA || qtype == dns.TypeAAAA) && n.lookup(dns.TypeCNAME) == nil {
			return nil, sn
		}
	}
	return h.fastAnswerOf(s, z, n, qtype), nil
}
