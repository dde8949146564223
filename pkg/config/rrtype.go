package config

import (
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// TypeName is the mnemonic of rrtype, TYPEnnn (RFC 3597) for a type
// miekg/dns does not name: how the store keys an RRset's type.
func TypeName(rrtype uint16) string {
	if s, ok := dns.TypeToString[rrtype]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(rrtype))
}

// ParseType reads a type by its mnemonic or as TYPEnnn (RFC 3597), in
// any case; type 0 is none.
func ParseType(s string) (uint16, bool) {
	s = strings.ToUpper(s)
	if t, ok := dns.StringToType[s]; ok {
		return t, true
	}
	if n, ok := strings.CutPrefix(s, "TYPE"); ok {
		v, err := strconv.ParseUint(n, 10, 16)
		return uint16(v), err == nil && v > 0
	}
	return 0, false
}
