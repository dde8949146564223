package dnssec

import "github.com/miekg/dns"

// maxNameOctets is the longest a name may be on the wire (RFC 1035 §3.1).
const maxNameOctets = 255

// NextName is the name right after name in canonical order (RFC 4034
// §6.1), the next name of a compact-denial NSEC (RFC 9824), so that the
// NSEC covers no other name and the zone cannot be walked. It is name
// under a label holding one zero octet ("\000.name") whenever that fits
// in 255 octets. A longer name has no name under it; its successor is
// then found in its first label, as RFC 4471 §3.1.2 does: a zero octet
// appended when the name is 254 octets and the label has room, otherwise
// the label's last octet incremented, the octets of value 255 before it
// dropped first (and a label left empty dropped, the next one
// incremented). name is returned as it is when it is not a name, or is
// the last of all names.
func NextName(name string) string {
	fqdn := dns.Fqdn(name)
	if fqdn == "." {
		return `\000.`
	}
	// A name takes at most one octet more on the wire than in
	// presentation format (escapes only lengthen the latter), so the
	// answer path seldom packs.
	if len(fqdn)+1+2 <= maxNameOctets {
		return `\000.` + fqdn
	}
	var buf [maxNameOctets + 2]byte
	n, err := dns.PackDomainName(fqdn, buf[:], 0, nil, false)
	if err != nil {
		return name
	}
	if n+2 <= maxNameOctets {
		return `\000.` + fqdn
	}
	wire := lowerASCII(buf[:n])
	if first := int(wire[0]); first < 63 && n < maxNameOctets {
		// One octet more in the first label: the least name above it.
		next := make([]byte, 0, n+1)
		next = append(next, byte(first+1))
		next = append(next, wire[1:1+first]...)
		next = append(next, 0)
		next = append(next, wire[1+first:]...)
		return presentation(next, name)
	}
	for off := 0; wire[off] != 0; off += 1 + int(wire[off]) {
		label := wire[off+1 : off+1+int(wire[off])]
		for len(label) > 0 && label[len(label)-1] == 0xff {
			label = label[:len(label)-1]
		}
		if len(label) == 0 {
			continue // every octet was 255: the successor lies past this label's parent
		}
		label[len(label)-1] = incrementOctet(label[len(label)-1])
		next := append([]byte{byte(len(label))}, label...)
		next = append(next, wire[off+1+int(wire[off]):]...)
		return presentation(next, name)
	}
	return name
}

// incrementOctet is the octet after b in canonical order, where upper
// case letters stand for their lower case and so come nowhere.
func incrementOctet(b byte) byte {
	b++
	if b >= 'A' && b <= 'Z' {
		return 'Z' + 1
	}
	return b
}

// lowerASCII lower-cases the letters of a wire-format name in place, as
// canonical order sees them. It walks the labels: a length octet may
// have the value of a letter.
func lowerASCII(wire []byte) []byte {
	for off := 0; off < len(wire) && wire[off] != 0; off += 1 + int(wire[off]) {
		for i := off + 1; i <= off+int(wire[off]); i++ {
			if c := wire[i]; c >= 'A' && c <= 'Z' {
				wire[i] = c + 'a' - 'A'
			}
		}
	}
	return wire
}

// presentation is a wire-format name in presentation format, escaped as
// miekg/dns needs, or fallback if it cannot be read.
func presentation(wire []byte, fallback string) string {
	s, _, err := dns.UnpackDomainName(wire, 0)
	if err != nil {
		return fallback
	}
	return s
}
