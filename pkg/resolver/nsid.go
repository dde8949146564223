package resolver

// NSID (RFC 5001): a query carrying the option, empty as clients send
// it, is answered with the node's identifier, so an operator looking at
// an anycast or load-balanced address can tell which node answered. It
// is never sent unasked: it costs bytes and names the node.

// maxNSIDLen bounds the identifier sent, so a long node id cannot crowd
// the answer out of a 512-byte response.
const maxNSIDLen = 128

// nsidOf is the identifier a handler answers NSID with: the node id,
// cut to maxNSIDLen bytes; empty turns NSID off.
func nsidOf(id string) string {
	if len(id) > maxNSIDLen {
		return id[:maxNSIDLen]
	}
	return id
}

// answerNSID sets the identifier the answer carries when the query
// asked for it.
func (h *Handler) answerNSID(r *request) {
	if r.nsidAsked && r.edns {
		r.nsid = h.nsid
	}
}
