package config

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// quickRR makes the record a master-file parser would make of one
// common, plain datum (an address, a name, a preference and a name, one
// quoted string) without running the parser, which costs a lexer and a
// few kilobytes of garbage per record: a zone of a million records is
// validated and built in a fraction of the time. It reports false for
// anything it is not sure of (escapes, comments, parentheses, unusual
// characters, other types), which then goes through dns.ZoneParser, the
// reference; a differential test holds the two to the same records.
func quickRR(owner string, rrtype uint16, ttl uint32, data, zone string) (dns.RR, bool) {
	if owner != "." && (!plainName(owner) || !dns.IsFqdn(owner)) {
		return nil, false
	}
	hdr := dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
	switch rrtype {
	case dns.TypeA:
		if !onlyBytes(data, "0123456789.") {
			return nil, false
		}
		addr, err := netip.ParseAddr(data)
		if err != nil || !addr.Is4() {
			return nil, false
		}
		// Four bytes, where the zone parser's net.ParseIP holds sixteen:
		// a zone of a million A records holds 12 MB less, and every use
		// of the address (packing, printing, comparing) reads it the same.
		a4 := addr.As4()
		return &dns.A{Hdr: hdr, A: net.IP(a4[:])}, true
	case dns.TypeAAAA:
		if !strings.Contains(data, ":") || !onlyBytes(data, "0123456789abcdefABCDEF:.") {
			return nil, false
		}
		ip := net.ParseIP(data)
		if ip == nil {
			return nil, false
		}
		return &dns.AAAA{Hdr: hdr, AAAA: ip}, true
	case dns.TypeCNAME, dns.TypeNS, dns.TypePTR:
		name, ok := quickName(data, zone)
		if !ok {
			return nil, false
		}
		switch rrtype {
		case dns.TypeCNAME:
			return &dns.CNAME{Hdr: hdr, Target: name}, true
		case dns.TypeNS:
			return &dns.NS{Hdr: hdr, Ns: name}, true
		default:
			return &dns.PTR{Hdr: hdr, Ptr: name}, true
		}
	case dns.TypeMX:
		pref, host, ok := strings.Cut(data, " ")
		if !ok || pref == "" || !onlyBytes(pref, "0123456789") || len(pref) > 5 {
			return nil, false
		}
		p, err := strconv.ParseUint(pref, 10, 16)
		if err != nil {
			return nil, false
		}
		name, ok := quickName(host, zone)
		if !ok {
			return nil, false
		}
		return &dns.MX{Hdr: hdr, Preference: uint16(p), Mx: name}, true
	case dns.TypeTXT:
		// One quoted string of printable ASCII with nothing to unescape,
		// short enough to be one character-string.
		if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' || len(data)-2 > 255 {
			return nil, false
		}
		s := data[1 : len(data)-1]
		if !plainText(s) {
			return nil, false
		}
		return &dns.TXT{Hdr: hdr, Txt: []string{s}}, true
	}
	return nil, false
}

// quickName is a name in record data made absolute against zone, as the
// master-file parser makes it: "@" is the zone, a name without a final
// dot is relative to it. It reports false for anything but plain names.
func quickName(s, zone string) (string, bool) {
	if s == "@" {
		return zone, true
	}
	if !plainName(s) || s == "." {
		return "", false
	}
	if !dns.IsFqdn(s) {
		if zone == "." {
			s += "."
		} else {
			s += "." + zone
		}
	}
	if _, ok := dns.IsDomainName(s); !ok {
		return "", false
	}
	return s, true
}

// plainName reports whether s holds only letters, digits, '-', '_', '*'
// and dots that separate non-empty labels of at most 63 octets, within
// 254 octets: a name whose presentation form is its content.
func plainName(s string) bool {
	if s == "" || len(s) > 254 || s[0] == '.' {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '*':
		default:
			return false
		}
		if label++; label > 63 {
			return false
		}
	}
	return true
}

// onlyBytes reports whether s is made of the bytes in set alone.
func onlyBytes(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}
