package resolver

import (
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
	size := config.AddressLen(set.rrtype)
	if u == nil || !set.wire || size == 0 {
		return set.records(owner)
	}
	w := set.packed()
	hdr := dns.RR_Header{Name: owner, Rrtype: set.rrtype, Class: dns.ClassINET, Ttl: w.TTL(), Rdlength: uint16(size)}
	start := len(u.rrs)
	for rdata := range w.Rdata() {
		if len(rdata) != size {
			// Not an address (which a build checks): left to the
			// unpacker.
			u.rrs = u.rrs[:start]
			return set.records(owner)
		}
		if cap(u.ip)-len(u.ip) < size {
			// A new array: the records made so far keep the old one.
			u.ip = make([]byte, 0, max(2*cap(u.ip), 256))
		}
		n := len(u.ip)
		u.ip = append(u.ip, rdata...)
		ip := u.ip[n : n+size : n+size]
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
