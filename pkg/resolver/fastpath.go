package resolver

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// PacketAnswerer answers a query straight from its wire bytes.
type PacketAnswerer interface {
	// AnswerPacket appends to out[:0] the response to query, received over
	// UDP from source, and returns it with ok true; a nil response with ok
	// true means "send nothing" (RRL drop, a response/QR packet); ok false
	// means the fast path declines and the caller must take the full
	// miekg/dns path (Handler.ServeDNS). It must not retain query or out.
	AnswerPacket(query []byte, source netip.AddrPort, out []byte) (resp []byte, ok bool)
}

var _ PacketAnswerer = (*Handler)(nil)

// AnswerPacket is the fast path: for the common query over UDP it reads
// the packet's bytes, finds the answer precomputed (or, for a service,
// put together from its endpoints' packed records), and writes the
// response into out, without unpacking the query into a dns.Msg and
// without allocating. It gives the full path's bytes, cookie and rate
// limiting verdicts and metrics, or declines.
func (h *Handler) AnswerPacket(query []byte, source netip.AddrPort, out []byte) ([]byte, bool) {
	return h.answerPacketAt(query, source, netip.AddrPort{}, out)
}

// packetAnswererAt is a PacketAnswerer that is also told the address the
// query was sent to, for the query log; the UDP reader uses it when the
// handler has it.
type packetAnswererAt interface {
	answerPacketAt(query []byte, source, server netip.AddrPort, out []byte) ([]byte, bool)
}

var _ packetAnswererAt = (*Handler)(nil)

// answerPacketAt is AnswerPacket for a query sent to server.
func (h *Handler) answerPacketAt(query []byte, source, server netip.AddrPort, out []byte) ([]byte, bool) {
	start := h.metrics.clock()
	var arrived time.Time
	if h.qlog != nil {
		arrived = h.now()
	}
	st := h.pool.Get().(*queryState)
	resp, ok := h.answerFast(st, query, source, out, start)
	if ok && h.qlog != nil && (resp != nil || st.req.limited) {
		// The fast path answers over UDP only; what it declines, the
		// full path logs.
		h.logQuery(&st.req, query, nil, resp, nil, source, server, arrived)
	}
	h.pool.Put(st)
	return resp, ok
}

// fastResponse is the answer the fast path sends, before the query's
// ID, flags and question are put in: a header, then body, or service's
// endpoints' records when service is set.
type fastResponse struct {
	// fastAnswer is the precomputed answer, or for a service the
	// header and rate limiting class put together here; its marks count
	// only when wild is set.
	fastAnswer
	// zone is the zone the answer is found in ("" for REFUSED): every
	// precomputed answer is its zone's own.
	zone    string
	service *serviceNode
	chosen  []int
	qtype   uint16
	// bodyLen is the length of the records after the question.
	bodyLen int
	// wild, when set, is the query name in lower case: the answer is a
	// wildcard's, whose answer records take it as owner (body holds them
	// with the wildcard's name, marks say where).
	wild []byte
	// keyBytes, when set, is the rate limiting key's name (the query
	// name of a wildcard answer), in place of keyName.
	keyBytes []byte
	// sig is the signature of a service's answer to a query with DO.
	sig packedSig
}

// answerFast is AnswerPacket with the pooled state.
func (h *Handler) answerFast(st *queryState, query []byte, source netip.AddrPort, out []byte, start time.Duration) ([]byte, bool) {
	q := &st.fast
	*q = fastQuery{}
	switch parseFastQuery(query, q) {
	case fastIgnore:
		return nil, true
	case fastDecline:
		return nil, false
	}
	s := h.snap.Load()
	if s == nil {
		return nil, false
	}
	r := &st.req
	r.reset()
	q.fill(r, source)
	// As in resolve: only cookies and rate limiting need the time.
	if h.rrl != nil || h.cookiesEnabled {
		r.now = h.now()
	}
	if h.checkCookie(r) != dns.RcodeSuccess {
		return nil, false
	}
	h.answerNSID(r)
	var fr fastResponse
	if !h.findFast(s, q, r, &fr) {
		return nil, false
	}
	if hdrLen+(q.qend-hdrLen)+fr.bodyLen+r.optLen() > r.size {
		// The full path compresses or truncates this one.
		return nil, false
	}
	if fr.service != nil {
		h.metrics.decided(fr.service, fr.chosen)
	}
	if r.cookie != cookieNone {
		h.metrics.cookie(r.cookie)
	}
	act := ActionAllow
	if h.rrl != nil && r.cookie != cookieValid {
		var key uint64
		if fr.keyBytes != nil {
			key = h.rrl.keyBytes(fr.keyBytes, fr.keyType)
		} else {
			key = h.rrl.Key(fr.keyName, fr.keyType)
		}
		act = h.rrl.Allow(r.source, fr.class, key, r.now)
	}
	if act != ActionAllow {
		h.metrics.limited(act)
		if act == ActionDrop {
			r.limited = true
			return nil, true
		}
	}
	out = append(out[:0], fr.hdr[:]...)
	binary.BigEndian.PutUint16(out, q.id)
	out[2] |= q.rd
	out[3] |= q.cd
	out = append(out, query[hdrLen:q.qend]...)
	if act == ActionSlip {
		// As slip does: TC set, the sections emptied.
		out[2] |= flagTC
		clear(out[6:hdrLen])
	} else {
		out = fr.appendBody(out)
	}
	if r.edns {
		out = r.appendOPT(out, 0)
	}
	h.metrics.observe(fr.zone, q.qtype, fr.rcode, start)
	return out, true
}

// fill sets the request fields the full path's parseEDNS would from the
// same query, received from source over UDP.
func (q *fastQuery) fill(r *request, source netip.AddrPort) {
	r.source = source.Addr().Unmap()
	r.qtype = q.qtype
	r.size = minUDPSize
	if !q.edns {
		return
	}
	r.edns, r.do = true, q.do
	r.size = int(max(min(q.udpSize, DefaultUDPSize), minUDPSize))
	r.ecs, r.ecsFamily, r.ecsBits, r.ecsAddr = q.ecs, q.family, q.bits, q.addr
	if q.cookie != nil {
		r.cookieSeen = true
		r.cookieInLen = uint8(copy(r.cookieIn[:], q.cookie))
	}
	r.nsidAsked = q.nsid
}

// findFast finds the answer to q in s into fr, or reports false to
// decline. For a service it runs the policy (decide), which the full
// path would run the same way; counting the decision waits until the
// answer is sure to go out.
func (h *Handler) findFast(s *Snapshot, q *fastQuery, r *request, fr *fastResponse) bool {
	name := q.name[:q.nameLen]
	z := s.fastZone(name)
	if z == nil {
		fr.hdr, fr.rcode, fr.class = refusedHeader(), dns.RcodeRefused, ClassError
		return true
	}
	if q.qtype == dns.TypeDS && len(name) == len(z.name) {
		// DS at an apex is the parent's to answer, when served here:
		// the full path finds it.
		return false
	}
	var signer Signer
	if s.signing != nil {
		if sg, ok := s.signingOf(z.name); ok {
			if isKeyType(q.qtype) || s.cannotSign(z.name) {
				// The apex keys and SERVFAIL are the full path's: the
				// precomputed answers outlive a key change.
				return false
			}
			if q.do {
				signer = sg.Signer
			}
		}
	}
	a, sn, wild := h.fastLookup(s, z, name, q.qtype)
	switch {
	case a != nil && signer != nil:
		// Static answers are signed on the full path.
		return false
	case a != nil:
		fr.fastAnswer, fr.bodyLen, fr.zone = *a, len(a.body), z.name
		if wild && a.marks != nil {
			fr.wild = name
			fr.bodyLen += len(a.marks.answerEnds) * (q.qend - 4 - hdrLen - a.marks.ownerLen)
			if fr.class == ClassAnswer {
				// The full path keys a positive answer by the query name.
				fr.keyBytes = name
			}
		}
		return true
	case sn == nil:
		return false
	}
	r.zone = z.name
	chosen := h.decide(s, sn, r)
	n, size := 0, 0
	for _, i := range chosen {
		e := &sn.endpoints[i]
		if q.qtype == dns.TypeA {
			n, size = n+len(e.a), size+len(e.aWire)
		} else {
			n, size = n+len(e.aaaa), size+len(e.aaaaWire)
		}
	}
	fr.service, fr.chosen, fr.qtype, fr.zone = sn, chosen, q.qtype, z.name
	if n == 0 {
		// NODATA, with the zone's SOA as answerZone gives it; signed, it
		// needs the full path's denial.
		if z.negSOAWire == nil || signer != nil {
			return false
		}
		fr.hdr, fr.body, fr.bodyLen = fastHeader(0, 1), z.negSOAWire, len(z.negSOAWire)
		fr.class, fr.keyName = ClassNoData, z.name
		return true
	}
	if signer != nil {
		fr.sig = h.serviceSig(sn, q.qtype, chosen, signer)
		if fr.sig.wire == nil {
			return false
		}
		n, size = n+fr.sig.n, size+len(fr.sig.wire)
	}
	fr.hdr, fr.bodyLen = fastHeader(n, 0), size
	fr.class, fr.keyName, fr.keyType = ClassAnswer, sn.name, q.qtype
	return true
}

// appendBody appends the records after the question.
func (fr *fastResponse) appendBody(out []byte) []byte {
	if fr.wild != nil {
		start := 0
		for _, end := range fr.marks.answerEnds {
			out = appendWireName(out, fr.wild)
			out = append(out, fr.body[start+fr.marks.ownerLen:end]...)
			start = end
		}
		return append(out, fr.body[start:]...)
	}
	if fr.body != nil || fr.service == nil {
		return append(out, fr.body...)
	}
	for _, i := range fr.chosen {
		e := &fr.service.endpoints[i]
		if fr.qtype == dns.TypeA {
			out = append(out, e.aWire...)
		} else {
			out = append(out, e.aaaaWire...)
		}
	}
	return append(out, fr.sig.wire...)
}

// appendWireName appends a fully qualified name in presentation form
// without escapes in wire form.
func appendWireName(out, name []byte) []byte {
	for off := 0; off < len(name); {
		end := nextLabel(name, off)
		if end-off > 1 {
			out = append(out, byte(end-off-1))
			out = append(out, name[off:end-1]...)
		}
		off = end
	}
	return append(out, 0)
}
