package geo

import "net/netip"

// Widest client networks gtmd locates and caches: RFC 7871 section 11.1
// recommends resolvers send no more than /24 of IPv4 and /56 of IPv6.
const (
	MaxClientBitsIPv4 = 24
	MaxClientBitsIPv6 = 56
)

// CapClientPrefix returns the network the DNS layer should locate for an EDNS
// Client Subnet (or a source address as a full-length prefix): p masked, its
// length capped at /24 for IPv4 and /56 for IPv6. An IPv4-mapped IPv6 prefix
// of /96 or longer becomes the IPv4 prefix it maps. An invalid p gives the zero
// Prefix.
func CapClientPrefix(p netip.Prefix) netip.Prefix {
	if !p.IsValid() {
		return netip.Prefix{}
	}
	addr, bits := p.Addr().WithZone(""), p.Bits()
	if addr.Is4In6() && bits >= 96 {
		addr, bits = addr.Unmap(), bits-96
	}
	capped, err := addr.Prefix(min(bits, maxClientBits(addr)))
	if err != nil {
		return netip.Prefix{}
	}
	return capped
}

// maxClientBits is the widest client network gtmd locates in addr's family.
func maxClientBits(addr netip.Addr) int {
	if addr.Is4() {
		return MaxClientBitsIPv4
	}
	return MaxClientBitsIPv6
}
