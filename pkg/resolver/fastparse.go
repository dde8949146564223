package resolver

import (
	"encoding/binary"
	"net/netip"

	"github.com/miekg/dns"
)

// The fast path reads a query straight from its bytes. It takes only the
// shape nearly every query has, and leaves everything else to miekg/dns
// and the full path, which stay the reference: whenever the fast path is
// not certain both would read the packet the same way, it declines.

// fastVerdict is what parseFastQuery made of a packet.
type fastVerdict uint8

const (
	// fastDecline: the full path must read the packet.
	fastDecline fastVerdict = iota
	// fastIgnore: a response (QR set), which the server never answers,
	// as miekg/dns's accept function ignores it.
	fastIgnore
	// fastParsed: the query is in the fastQuery.
	fastParsed
)

// maxPresentationName is the longest name in presentation form the fast
// path reads: 255 wire bytes make at most 254 characters.
const maxPresentationName = 254

// fastQuery is what the fast path reads from a query: the header fields
// the answer echoes, the question, and the OPT record's options.
type fastQuery struct {
	id uint16
	// rd and cd are the query's RD and CD bits, at their places in the
	// header's flag bytes: the answer echoes them.
	rd, cd byte
	// qend is the offset just past the question.
	qend  int
	qtype uint16
	// name is the question name in lower case and presentation form,
	// fully qualified, nameLen bytes long.
	name    [maxPresentationName]byte
	nameLen int
	// edns is set when the query carried an OPT record.
	edns    bool
	do      bool
	udpSize uint16
	ecs     bool
	family  uint16
	bits    uint8
	addr    netip.Addr
	// cookie is the cookie option's data, a slice of the query; nil
	// when there is none.
	cookie []byte
	nsid   bool
}

// Header fields, as RFC 1035 §4.1.1 lays them out.
const (
	hdrLen      = 12
	flagQR      = 0x80 // in byte 2
	flagOpcode  = 0x78 // in byte 2
	flagAA      = 0x04 // in byte 2
	flagTC      = 0x02 // in byte 2
	flagRD      = 0x01 // in byte 2
	flagCD      = 0x10 // in byte 3
	maxLabelLen = 63
	maxWireName = 255
)

// parseFastQuery reads b into q. It takes a query with one question of
// class IN and opcode QUERY, neither TC nor QR set, no answer or
// authority records, and at most one additional record: an OPT of EDNS
// version 0 whose options are only client subnet, cookie, NSID and
// padding, each well formed.
func parseFastQuery(b []byte, q *fastQuery) fastVerdict {
	if len(b) < hdrLen {
		return fastDecline
	}
	if b[2]&flagQR != 0 {
		return fastIgnore
	}
	if b[2]&(flagOpcode|flagTC) != 0 {
		return fastDecline
	}
	qd, an, ns, ar := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:]), binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b[10:])
	if qd != 1 || an != 0 || ns != 0 || ar > 1 {
		return fastDecline
	}
	q.id = binary.BigEndian.Uint16(b)
	q.rd, q.cd = b[2]&flagRD, b[3]&flagCD
	off, ok := q.readName(b, hdrLen)
	if !ok || off+4 > len(b) {
		return fastDecline
	}
	q.qtype = binary.BigEndian.Uint16(b[off:])
	if binary.BigEndian.Uint16(b[off+2:]) != dns.ClassINET || !fastType(q.qtype) {
		return fastDecline
	}
	q.qend = off + 4
	if ar == 0 {
		if q.qend != len(b) {
			return fastDecline
		}
		return fastParsed
	}
	if !q.readOPT(b[q.qend:]) {
		return fastDecline
	}
	return fastParsed
}

// fastType reports whether the full path answers qtype as it answers
// any data type; the meta types it refuses or rejects are left to it.
func fastType(qtype uint16) bool {
	switch qtype {
	case dns.TypeNone, dns.TypeOPT, dns.TypeTSIG, dns.TypeTKEY, dns.TypeAXFR, dns.TypeIXFR, typeNXNAME:
		return false
	}
	return true
}

// readName reads the question name at off into q.name, lower case, and
// returns the offset past it. It takes uncompressed names of letters,
// digits, '-', '_' and '*', which miekg/dns unpacks without escapes, so
// the full path sees the same name.
func (q *fastQuery) readName(b []byte, off int) (int, bool) {
	n, start := 0, off
	for {
		if off >= len(b) {
			return 0, false
		}
		l := int(b[off])
		off++
		if l == 0 {
			break
		}
		if l > maxLabelLen || off+l > len(b) || off+l-start >= maxWireName {
			return 0, false
		}
		for _, c := range b[off : off+l] {
			// c|0x20 is the lower case of a letter, and of nothing else
			// that is a letter.
			if lc := c | 0x20; 'a' <= lc && lc <= 'z' {
				c = lc
			} else if !('0' <= c && c <= '9' || c == '-' || c == '_' || c == '*') {
				return 0, false
			}
			q.name[n] = c
			n++
		}
		q.name[n] = '.'
		n++
		off += l
	}
	if n == 0 {
		q.name[0] = '.'
		n = 1
	}
	q.nameLen = n
	return off, true
}

// Offsets in an OPT record (RFC 6891 §6.1.2) owned by the root.
const (
	optType    = 1
	optClass   = 3
	optVersion = 6
	optFlags   = 7
	optRDLen   = 9
)

// readOPT reads the one additional record, which must be an OPT record
// ending the packet.
func (q *fastQuery) readOPT(b []byte) bool {
	if len(b) < optHeaderLen || b[0] != 0 || binary.BigEndian.Uint16(b[optType:]) != dns.TypeOPT || b[optVersion] != 0 {
		return false
	}
	if int(binary.BigEndian.Uint16(b[optRDLen:])) != len(b)-optHeaderLen {
		return false
	}
	q.edns = true
	q.udpSize = binary.BigEndian.Uint16(b[optClass:])
	q.do = b[optFlags]&0x80 != 0
	if b[optFlags]&0x40 != 0 {
		// Compact Answers OK (RFC 9824): only signed zones read it, and
		// the full path echoes it.
		return false
	}
	for opts := b[optHeaderLen:]; len(opts) > 0; {
		if len(opts) < 4 {
			return false
		}
		code, n := binary.BigEndian.Uint16(opts), int(binary.BigEndian.Uint16(opts[2:]))
		if 4+n > len(opts) {
			return false
		}
		data := opts[4 : 4+n]
		opts = opts[4+n:]
		switch code {
		case dns.EDNS0NSID:
			q.nsid = true
		case dns.EDNS0PADDING:
		case dns.EDNS0COOKIE:
			if q.cookie != nil || !validCookieLen(n) {
				return false
			}
			q.cookie = data
		case dns.EDNS0SUBNET:
			if q.ecs || !q.readECS(data) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// readECS reads a client subnet option the full path would take as it
// is: family 1 or 2, a zero scope, exactly the address bytes the source
// prefix needs and no bits set beyond it.
func (q *fastQuery) readECS(b []byte) bool {
	if len(b) < 4 || b[3] != 0 {
		return false
	}
	family, bits := binary.BigEndian.Uint16(b), b[2]
	addr := b[4:]
	if len(addr) != (int(bits)+7)/8 {
		return false
	}
	var ip netip.Addr
	switch {
	case family == 1 && bits <= 32:
		var a [4]byte
		copy(a[:], addr)
		ip = netip.AddrFrom4(a)
	case family == 2 && bits <= 128:
		var a [16]byte
		copy(a[:], addr)
		ip = netip.AddrFrom16(a)
	default:
		return false
	}
	if p := netip.PrefixFrom(ip, int(bits)); p.Masked().Addr() != ip {
		return false
	}
	q.ecs, q.family, q.bits, q.addr = true, family, bits, ip
	return true
}
