package dnssec

import "github.com/miekg/dns"

// maxNameOctets is the longest a name may be on the wire (RFC 1035 §3.1).
const maxNameOctets = 255

// NextName is the name right after name in canonical order (RFC 4034
// §6.1), the next name of a compact-denial NSEC (RFC 9824), so that the
// NSEC covers no other name and the zone cannot be walked. It is name
// under a label holding one zero octet ("\000.name") whenever that fits
// in 255 octets. A name of 254 or 255 octets has no name under it, so
// its successor is the first name past it, found in its first label as
// RFC 4471 §3.1.2 does (see pastSubtree). name is returned as it is when
// it is not a name, or is the last of all names.
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
	next, ok := pastSubtree(lowerASCII(buf[:n]))
	if !ok {
		return name
	}
	return presentation(next, name)
}

// pastSubtree is the first name in canonical order after every name at
// or under wire (a lower-cased name in wire format): its first label
// with a zero octet appended when the label and the name have room;
// otherwise that label with its last octet incremented, trailing octets
// of value 255 dropped first, since no longer label fits to come between;
// a label of 255s alone is dropped and its parent's subtree passed
// instead. ok is false past the last of all names. It changes wire.
func pastSubtree(wire []byte) (next []byte, ok bool) {
	for len(wire) > 1 {
		k := int(wire[0])
		label, rest := wire[1:1+k], wire[1+k:]
		if k < 63 && len(wire) < maxNameOctets {
			next = append(append(append([]byte{byte(k + 1)}, label...), 0), rest...)
			return next, true
		}
		for len(label) > 0 && label[len(label)-1] == 0xff {
			label = label[:len(label)-1]
		}
		if len(label) > 0 {
			label[len(label)-1] = incrementOctet(label[len(label)-1])
			return append(append([]byte{byte(len(label))}, label...), rest...), true
		}
		wire = rest
	}
	return nil, false
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
