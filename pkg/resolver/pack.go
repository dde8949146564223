package resolver

// maxTCPSize is the largest DNS message, the limit over TCP.
const maxTCPSize = 65535

// pack writes the response, with its OPT record, into st's buffer. A
// response that does not fit the client's UDP size is sent compressed; if
// it still does not fit, the optional additional records go; if it still
// does not fit, it goes out empty with TC=1 so the client retries over TCP
// (RFC 1035 §4.2.1, RFC 2181 §9: no partial RRsets).
func (h *Handler) pack(st *queryState) ([]byte, error) {
	m, r := &st.resp, &st.req
	limit := r.size
	if r.tcp {
		limit = maxTCPSize
	}
	limit -= r.optLen()
	// The header holds the low four bits of the rcode, the OPT record the
	// rest (RFC 6891 §6.1.3).
	ext := uint8(m.Rcode >> 4)
	m.Rcode &= 0xf
	r.extRcode = ext
	out, err := h.packWithin(st, limit)
	if err != nil {
		return out, err
	}
	if r.edns {
		out = r.appendOPT(out, ext)
	}
	return out, nil
}

// packWithin packs the message into at most limit bytes.
func (h *Handler) packWithin(st *queryState, limit int) ([]byte, error) {
	m := &st.resp
	// Packing without compression needs no compression map, so the common
	// small answer costs no allocation.
	m.Compress = false
	out, err := m.PackBuffer(st.buf)
	if err != nil || len(out) <= limit {
		return out, err
	}
	buf := out[:cap(out)]
	m.Compress = true
	if out, err = m.PackBuffer(buf); err != nil || len(out) <= limit {
		return out, err
	}
	if len(m.Extra) > 0 && (len(m.Ns) == 0 || m.Authoritative) {
		// Additional records of an answer are optional; glue of a
		// referral is not (RFC 9471).
		m.Extra = m.Extra[:0]
		if out, err = m.PackBuffer(buf); err != nil || len(out) <= limit {
			return out, err
		}
	}
	m.Truncated = true
	m.Answer, m.Ns, m.Extra = m.Answer[:0], m.Ns[:0], m.Extra[:0]
	return m.PackBuffer(buf)
}
