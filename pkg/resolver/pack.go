package resolver

import (
	"github.com/miekg/dns"
)

// maxTCPSize is the largest DNS message, the limit over TCP.
const maxTCPSize = dns.MaxMsgSize

// pack writes the response into st's buffer. A response that does not fit
// the client's UDP size is sent compressed; if it still does not fit, the
// optional additional records go; if it still does not fit, it goes out
// empty with TC=1 so the client retries over TCP (RFC 1035 §4.2.1, RFC
// 2181 §9: no partial RRsets).
func (h *Handler) pack(st *queryState) ([]byte, error) {
	m := &st.resp
	limit := st.req.size
	if st.req.tcp {
		limit = maxTCPSize
	}
	// Packing without compression needs no compression map, so the common
	// small answer costs no allocation.
	m.Compress = false
	out, err := m.PackBuffer(st.buf)
	if err != nil || len(out) <= limit {
		return out, err
	}
	m.Compress = true
	buf := out[:cap(out)]
	if out, err = m.PackBuffer(buf); err != nil || len(out) <= limit {
		return out, err
	}
	opt := m.IsEdns0()
	if len(m.Ns) == 0 || m.Authoritative {
		// Additional records of an answer are optional; glue of a
		// referral is not (RFC 9471).
		m.Extra = m.Extra[:0]
		if opt != nil {
			m.Extra = append(m.Extra, opt)
		}
		if out, err = m.PackBuffer(buf); err != nil || len(out) <= limit {
			return out, err
		}
	}
	m.Truncated = true
	m.Answer, m.Ns, m.Extra = m.Answer[:0], m.Ns[:0], m.Extra[:0]
	if opt != nil {
		m.Extra = append(m.Extra, opt)
	}
	return m.PackBuffer(buf)
}
