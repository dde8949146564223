package resolver

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/miekg/dns"
)

// The response's OPT record (RFC 6891 §6.1.1) echoes the client subnet
// option with the scope the answer relied on (RFC 7871 §7.2.1), and
// carries the cookie (RFC 7873) and the NSID (RFC 5001) when asked for. On the
// query path it is written straight after the packed message: miekg/dns
// packs EDNS options into fresh slices, which would cost allocations on
// every ECS answer.

// optHeaderLen is the OPT record without options: root owner, type,
// class, TTL and RDLENGTH.
const optHeaderLen = 11

// ecsLen is the length of the echoed client subnet option, with its code
// and length.
func (r *request) ecsLen() int {
	if !r.ecs {
		return 0
	}
	return 4 + 4 + (int(r.ecsBits)+7)/8
}

// optLen is the length of the OPT record the response carries, 0 when the
// query had none.
func (r *request) optLen() int {
	if !r.edns {
		return 0
	}
	return optHeaderLen + r.optionsLen()
}

// optionsLen is the length of the OPT record's options: the client
// subnet, the cookie and the NSID, each with its code and length.
func (r *request) optionsLen() int {
	n := r.ecsLen()
	if r.cookieOutSet {
		n += 4 + cookieOptionLen
	}
	if r.nsid != "" {
		n += 4 + len(r.nsid)
	}
	return n
}

// ecsScope is the scope echoed: what the answer relied on, never more
// than the client sent.
func (r *request) ecsScope() uint8 {
	return uint8(min(r.scope, int(r.ecsBits)))
}

// appendOPT appends the OPT record to a packed message and counts it in
// the header's ARCOUNT. extRcode is the upper eight bits of the rcode.
func (r *request) appendOPT(msg []byte, extRcode uint8) []byte {
	var flags byte
	if r.do {
		flags = 0x80
	}
	if r.co {
		flags |= ednsFlagCO >> 8
	}
	rdlen := r.optionsLen()
	msg = append(msg, 0, byte(dns.TypeOPT>>8), byte(dns.TypeOPT&0xff),
		byte(DefaultUDPSize>>8), byte(DefaultUDPSize&0xff), extRcode, 0, flags, 0,
		byte(rdlen>>8), byte(rdlen))
	if r.ecs {
		n := (int(r.ecsBits) + 7) / 8
		msg = append(msg, 0, byte(dns.EDNS0SUBNET), byte((4+n)>>8), byte(4+n),
			byte(r.ecsFamily>>8), byte(r.ecsFamily), r.ecsBits, r.ecsScope())
		if r.ecsFamily == 1 {
			a := r.ecsAddr.As4()
			msg = append(msg, a[:n]...)
		} else {
			a := r.ecsAddr.As16()
			msg = append(msg, a[:n]...)
		}
	}
	if r.cookieOutSet {
		msg = append(msg, 0, byte(dns.EDNS0COOKIE), 0, cookieOptionLen)
		msg = append(msg, r.cookieOut[:]...)
	}
	if r.nsid != "" {
		msg = append(msg, 0, byte(dns.EDNS0NSID), byte(len(r.nsid)>>8), byte(len(r.nsid)))
		msg = append(msg, r.nsid...)
	}
	binary.BigEndian.PutUint16(msg[10:], binary.BigEndian.Uint16(msg[10:])+1)
	return msg
}

// optRR is the same OPT record as a dns.RR, for callers that take the
// response unpacked (Resolve, Explain); nil when the query had none.
func (r *request) optRR() *dns.OPT {
	if !r.edns {
		return nil
	}
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT, Class: DefaultUDPSize}}
	if r.do {
		opt.SetDo()
	}
	if r.co {
		opt.Hdr.Ttl |= ednsFlagCO
	}
	if r.ecs {
		opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{
			Code:          dns.EDNS0SUBNET,
			Family:        r.ecsFamily,
			SourceNetmask: r.ecsBits,
			SourceScope:   r.ecsScope(),
			Address:       r.ecsAddr.AsSlice(),
		})
	}
	if r.cookieOutSet {
		opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: hex.EncodeToString(r.cookieOut[:])})
	}
	if r.nsid != "" {
		opt.Option = append(opt.Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: hex.EncodeToString([]byte(r.nsid))})
	}
	return opt
}
