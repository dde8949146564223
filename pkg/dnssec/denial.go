package dnssec

import (
	"slices"

	"github.com/miekg/dns"
)

// TypeNXNAME is the NXNAME pseudo-type of compact denial of existence
// (RFC 9824): present in an NSEC's bitmap, it says the name does not
// exist at all.
const TypeNXNAME = 128

// NXName returns the NSEC that denies name exists (RFC 9824): owned by
// name, next name NextName(name) (so it covers nothing else and the zone
// cannot be walked), bitmap RRSIG, NSEC and NXNAME.
func NXName(name string, ttl uint32) *dns.NSEC {
	return &dns.NSEC{
		Hdr:        dns.RR_Header{Name: name, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: ttl},
		NextDomain: NextName(name),
		TypeBitMap: []uint16{dns.TypeRRSIG, dns.TypeNSEC, TypeNXNAME},
	}
}

// NoData returns the NSEC for a name that exists without the type asked:
// next name NextName(name), bitmap the name's types plus RRSIG and NSEC,
// sorted and without duplicates, as the wire format needs.
func NoData(name string, types []uint16, ttl uint32) *dns.NSEC {
	bitmap := make([]uint16, 0, len(types)+2)
	bitmap = append(bitmap, types...)
	bitmap = append(bitmap, dns.TypeRRSIG, dns.TypeNSEC)
	slices.Sort(bitmap)
	return &dns.NSEC{
		Hdr:        dns.RR_Header{Name: name, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: ttl},
		NextDomain: NextName(name),
		TypeBitMap: slices.Compact(bitmap),
	}
}
