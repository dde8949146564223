// Package jsonscan reads (and helps write) the JSON that gtmd writes for
// large numbers of records (the buckets of a zone's records in etcd, the
// records of a node's kept copy) without encoding/json's reflection,
// which took seconds a million. A Scanner reads only what such JSON holds: objects,
// arrays, strings and unsigned integers. Its callers fall back to
// encoding/json whenever a read fails, so that what they read is always
// what encoding/json would read.
package jsonscan

import (
	"encoding/json"
	"strconv"
)

// Scanner reads JSON from a byte slice, one value at a time.
type Scanner struct {
	b []byte
	i int
}

// New returns a Scanner at the start of b.
func New(b []byte) *Scanner { return &Scanner{b: b} }

func (s *Scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Next consumes c, after any space, if it comes next.
func (s *Scanner) Next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// End reports whether nothing but space is left.
func (s *Scanner) End() bool {
	s.space()
	return s.i == len(s.b)
}

// Null consumes null if it comes next.
func (s *Scanner) Null() bool {
	s.space()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// Str reads a string. The short escapes (\" \\ \/ \b \f \n \r \t,
// those of quoted TXT and CAA data) are decoded here; one with \u
// escapes or bytes beyond ASCII is decoded by encoding/json (which
// replaces invalid UTF-8). The usual record types come without an
// allocation.
func (s *Scanner) Str() (string, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start, escaped, slow := s.i, false, false
	for j := start + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			if j+1 < len(s.b) && s.b[j+1] == 'u' {
				slow = true
			}
			escaped = true
			j++
		case c < 0x20:
			return "", false
		case c >= 0x80:
			slow = true
		case c == '"':
			s.i = j + 1
			switch {
			case slow:
				var out string
				if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
					return "", false
				}
				return out, true
			case escaped:
				return unescape(s.b[start+1 : j])
			}
			return interned(s.b[start+1 : j]), true
		}
	}
	return "", false
}

// unescape decodes b, a string's contents with short escapes and no \u.
func unescape(b []byte) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default:
			return "", false
		}
	}
	return string(out), true
}

// interned is b as a string, without an allocation for the usual record
// types.
func interned(b []byte) string {
	for _, t := range [...]string{"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "PTR", "CAA", "data", "document"} {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}

// Uint32 reads an unsigned integer that fits 32 bits, written as
// encoding/json writes one (no sign, fraction, exponent or leading zero).
func (s *Scanner) Uint32() (uint32, bool) {
	s.space()
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	digits := s.b[start:s.i]
	if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v, err := strconv.ParseUint(string(digits), 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(v), true
}

// Strings reads an array of strings (empty, not nil, when it holds
// none, as encoding/json reads one), or null (nil).
func (s *Scanner) Strings() ([]string, bool) {
	if s.Null() {
		return nil, true
	}
	if !s.Next('[') {
		return nil, false
	}
	out := []string{}
	if s.Next(']') {
		return out, true
	}
	for {
		v, ok := s.Str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.Next(']') {
			return out, true
		}
		if !s.Next(',') {
			return nil, false
		}
	}
}

// Members reads an object, handing each member's name to member, which
// reads its value; false when the object, or a member, cannot be read.
func (s *Scanner) Members(member func(name string) bool) bool {
	if !s.Next('{') {
		return false
	}
	if s.Next('}') {
		return true
	}
	for {
		name, ok := s.Str()
		if !ok || !s.Next(':') || !member(name) {
			return false
		}
		if s.Next('}') {
			return true
		}
		if !s.Next(',') {
			return false
		}
	}
}

// Elements reads an array, calling element to read each element.
func (s *Scanner) Elements(element func() bool) bool {
	if !s.Next('[') {
		return false
	}
	if s.Next(']') {
		return true
	}
	for {
		if !element() {
			return false
		}
		if s.Next(']') {
			return true
		}
		if !s.Next(',') {
			return false
		}
	}
}

// AppendString appends v as a JSON string, byte for byte as
// encoding/json writes it: ASCII is escaped here (quoted TXT and CAA data
// hold quotes), anything beyond it goes through encoding/json.
func AppendString(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			q, _ := json.Marshal(v)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 || c == '<' || c == '>' || c == '&' {
				const hex = "0123456789abcdef"
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				continue
			}
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// AppendStrings appends v as a JSON array of strings (null when nil).
func AppendStrings(b []byte, v []string) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}
