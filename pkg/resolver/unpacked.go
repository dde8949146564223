package resolver

import (
	"unsafe"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// unpackedRecords holds the address records a query's answer unpacks
// from packed RRsets (rrset.wire), kept with the pooled query state and
// reused query after query, so that a static A or AAAA answer through
// the full path allocates nothing, as it did when the snapshot held its
// records parsed. The records live until the state's next query: only
// the response being made may hold them.
type unpackedRecords struct {
	a    []dns.A
	aaaa []dns.AAAA
	ip   []byte
	rrs  []dns.RR
}

// reset forgets the records, keeping their memory; it drops their names
// so that a pooled state keeps no old snapshot's alive.
func (u *unpackedRecords) reset() {
	clear(u.a)
	clear(u.aaaa)
	clear(u.rrs)
	u.a, u.aaaa, u.ip, u.rrs = u.a[:0], u.aaaa[:0], u.ip[:0], u.rrs[:0]
}

// records returns set's records owned by owner: address records made in
// u's memory, any other type unpacked anew (rrset.records).
func (u *unpackedRecords) records(set *rrset, owner string) []dns.RR {
	size := 0
	switch set.rrtype {
	case dns.TypeA:
		size = 4
	case dns.TypeAAAA:
		size = 16
	}
	if u == nil || !set.wire || size == 0 {
		return set.records(owner)
	}
	w := config.WireRRset(unsafe.String((*byte)(set.data), set.n))
	ttl := w.TTL()
	start := len(u.rrs)
	for off := 4; off < len(w); {
		if off+2 > len(w) {
			u.rrs = u.rrs[:start]
			return set.records(owner)
		}
		l := int(w[off])<<8 | int(w[off+1])
		off += 2
		if l != size || off+l > len(w) {
			// Not laid out as packed addresses are (which a build
			// checks): left to the unpacker.
			u.rrs = u.rrs[:start]
			return set.records(owner)
		}
		if cap(u.ip)-len(u.ip) < l {
			// A new array: the records made so far keep the old one.
			u.ip = make([]byte, 0, max(2*cap(u.ip), 256))
		}
		ip := u.ip[len(u.ip) : len(u.ip)+l : len(u.ip)+l]
		copy(ip, w[off:off+l])
		u.ip = u.ip[:len(u.ip)+l]
		off += l
		hdr := dns.RR_Header{Name: owner, Rrtype: set.rrtype, Class: dns.ClassINET, Ttl: ttl, Rdlength: uint16(l)}
		if set.rrtype == dns.TypeA {
			u.a = append(u.a, dns.A{Hdr: hdr, A: ip})
			u.rrs = append(u.rrs, &u.a[len(u.a)-1])
		} else {
			u.aaaa = append(u.aaaa, dns.AAAA{Hdr: hdr, AAAA: ip})
			u.rrs = append(u.rrs, &u.aaaa[len(u.aaaa)-1])
		}
	}
	return u.rrs[start:len(u.rrs):len(u.rrs)]
}
