package resolver

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// acceptQuery does for one message what miekg/dns's server does before
// its handler runs, so that UDP, TCP and miekg/dns itself treat bad
// queries alike: a message shorter than a header gets no answer (any
// answer could be used to amplify); the accept function ignores
// responses and rejects malformed headers before anything is unpacked,
// FORMERR or NOTIMP written to w as miekg/dns builds them; a query that
// does not unpack is answered FORMERR. It returns the query for the
// handler, or nil when there is nothing more to do.
// With update set, an UPDATE (RFC 2136) is accepted too: its zone
// section must hold one zone, its other sections any number of records.
func acceptQuery(w dns.ResponseWriter, m []byte, update bool) *dns.Msg {
	if len(m) < 12 {
		return nil
	}
	dh := dns.Header{
		Id: binary.BigEndian.Uint16(m), Bits: binary.BigEndian.Uint16(m[2:]),
		Qdcount: binary.BigEndian.Uint16(m[4:]), Ancount: binary.BigEndian.Uint16(m[6:]),
		Nscount: binary.BigEndian.Uint16(m[8:]), Arcount: binary.BigEndian.Uint16(m[10:]),
	}
	req := new(dns.Msg)
	action := dns.DefaultMsgAcceptFunc(dh)
	if update && dh.Bits&(1<<15) == 0 && int(dh.Bits>>11)&0xF == dns.OpcodeUpdate {
		action = dns.MsgAccept
		if dh.Qdcount != 1 {
			action = dns.MsgReject
		}
	}
	switch action {
	case dns.MsgIgnore:
		return nil
	case dns.MsgAccept:
		if err := req.Unpack(m); err == nil {
			return req
		}
		// Unpack set the header before it failed: answered FORMERR below.
	default:
		// The header alone, decoded as miekg/dns decodes it: a copy with
		// no records to unpack.
		var hdr [12]byte
		copy(hdr[:4], m)
		_ = req.Unpack(hdr[:])
	}
	opcode := req.Opcode
	req.SetRcodeFormatError(req)
	req.Zero = false
	if action == dns.MsgRejectNotImplemented {
		req.Opcode, req.Rcode = opcode, dns.RcodeNotImplemented
	}
	req.Ns, req.Answer, req.Extra = nil, nil, nil
	_ = w.WriteMsg(req)
	return nil
}
