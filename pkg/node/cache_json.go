package node

import (
	"bufio"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// writeZoneRecords writes the copy's zone_records member: for each of
// zones, how many records its document holds, its own records then its
// stored ones (by name, as the store keys them), each written as encoding/json writes a config.Record but
// without its reflection, straight to w: the copy may hold a million.
// w's first error is its Flush's.
func writeZoneRecords(w *bufio.Writer, zones []config.Zone, stored map[string]*cluster.ZoneRecords) {
	w.WriteString(`,"zone_records":[`)
	var b []byte
	for i := range zones {
		z := &zones[i]
		if i > 0 {
			w.WriteByte(',')
		}
		w.Write(appendJSONString(append(b[:0], `{"zone":`...), z.Name))
		// The document's own records come first, and with them the
		// addresses of its name servers from the store's (the glue the
		// document needs to pass validation alone, as the store keeps
		// it): a reader validates them with the document and takes the
		// rest as the store's, without validating a million records.
		zs := stored[cluster.ZoneName(z.Name)]
		servers := nameServers(z)
		glue := glueStored(servers, zs)
		w.Write(strconv.AppendInt(append(b[:0], `,"document":`...), int64(len(z.Records)+len(glue)), 10))
		w.WriteString(`,"records":[`)
		sep := ""
		for _, r := range z.Records {
			b = appendRRsetJSON(append(b[:0], sep...), r.Name, r.Type, r.TTL, r.Data)
			w.Write(b)
			sep = ","
		}
		var ttl uint32
		for _, r := range glue {
			ttl = r.TTL
			b = appendRRsetJSON(append(b[:0], sep...), r.Name, r.Type, &ttl, r.Data)
			w.Write(b)
			sep = ","
		}
		for r := range zs.All() {
			if (r.Type == "A" || r.Type == "AAAA") && servers[r.Name] {
				continue
			}
			ttl = r.TTL
			b = appendRRsetJSON(append(b[:0], sep...), r.Name, r.Type, &ttl, r.Data)
			w.Write(b)
			sep = ","
		}
		w.WriteString("]}")
	}
	w.WriteString("]")
}

// nameServers are z's name servers, as the store writes owner names.
func nameServers(z *config.Zone) map[string]bool {
	out := make(map[string]bool, len(z.NS))
	for _, ns := range z.NS {
		out[dns.CanonicalName(ns)] = true
	}
	return out
}

// glueStored are the A and AAAA RRsets of stored at servers.
func glueStored(servers map[string]bool, stored *cluster.ZoneRecords) []cluster.RRset {
	var out []cluster.RRset
	for ns := range servers {
		for _, typ := range []string{"A", "AAAA"} {
			if r, ok := stored.Lookup(cluster.RRset{Name: ns, Type: typ}.Key()); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// appendRRsetJSON appends, as encoding/json writes a config.Record, the
// record of name, type, ttl (nil: none) and data.
func appendRRsetJSON(b []byte, name, typ string, ttl *uint32, data []string) []byte {
	b = append(b, `{"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	if ttl != nil {
		b = append(b, `,"ttl":`...)
		b = strconv.AppendUint(b, uint64(*ttl), 10)
	}
	b = append(b, `,"data":`...)
	if data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, d := range data {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, d)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Printable ASCII without a
// quote or backslash, what nearly every name and RDATA is, goes as it
// is; anything else as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// keptRecords are a zone's records in the copy. Read with encoding/json's
// reflection, a million took 4.9 s of a restart; written as
// writeZoneRecords writes them, they are scanned directly instead, and
// anything else (other keys, numbers, layouts) goes to encoding/json,
// which the scan matches exactly where it succeeds (FuzzKeptRecords).
type keptRecords []config.Record

// UnmarshalJSON reads the records from b, a JSON array.
func (r *keptRecords) UnmarshalJSON(b []byte) error {
	if recs, ok := scanRecords(b); ok {
		*r = recs
		return nil
	}
	return json.Unmarshal(b, (*[]config.Record)(r))
}

// recordScanner reads JSON as writeZoneRecords writes it.
type recordScanner struct {
	b []byte
	i int
}

// scanRecords reads b as an array of records; false when it is not one
// the scanner reads exactly as encoding/json would.
func scanRecords(b []byte) ([]config.Record, bool) {
	s := recordScanner{b: b}
	if !s.next('[') {
		return nil, false
	}
	// About 60 bytes a record: room for most without growing.
	out := make([]config.Record, 0, len(b)/64+1)
	if s.next(']') {
		return out, s.end()
	}
	for {
		rec, ok := s.record()
		if !ok {
			return nil, false
		}
		out = append(out, rec)
		if s.next(']') {
			return out, s.end()
		}
		if !s.next(',') {
			return nil, false
		}
	}
}

func (s *recordScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after any space, if it comes next.
func (s *recordScanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *recordScanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// literal consumes word (null) if it comes next.
func (s *recordScanner) literal(word string) bool {
	s.space()
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// str reads a string. One with escapes or bytes beyond ASCII is decoded
// by encoding/json, which replaces invalid UTF-8 as it does elsewhere.
func (s *recordScanner) str() (string, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start, plain := s.i, true
	for j := start + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			plain = false
			j++
		case c < 0x20:
			return "", false
		case c >= 0x80:
			plain = false
		case c == '"':
			s.i = j + 1
			if plain {
				return internedType(s.b[start+1 : j]), true
			}
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				return "", false
			}
			return out, true
		}
	}
	return "", false
}

// internedType is b as a string, without an allocation for the usual
// record types.
func internedType(b []byte) string {
	for _, t := range [...]string{"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "PTR", "CAA"} {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}

// ttl reads a TTL: digits that fit a uint32, or null.
func (s *recordScanner) ttl() (*uint32, bool) {
	if s.literal("null") {
		return nil, true
	}
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	digits := string(s.b[start:s.i])
	if digits == "" || (len(digits) > 1 && digits[0] == '0') || (s.i < len(s.b) && strings.ContainsRune(".eE", rune(s.b[s.i]))) {
		return nil, false
	}
	v, err := strconv.ParseUint(digits, 10, 32)
	if err != nil {
		return nil, false
	}
	ttl := uint32(v)
	return &ttl, true
}

// data reads a record's data: strings, or null.
func (s *recordScanner) data() ([]string, bool) {
	if s.literal("null") {
		return nil, true
	}
	if !s.next('[') {
		return nil, false
	}
	out := []string{}
	if s.next(']') {
		return out, true
	}
	for {
		d, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, d)
		if s.next(']') {
			return out, true
		}
		if !s.next(',') {
			return nil, false
		}
	}
}

// record reads one record: an object of name, type, ttl and data, in
// any order.
func (s *recordScanner) record() (config.Record, bool) {
	var r config.Record
	if !s.next('{') {
		return r, false
	}
	if s.next('}') {
		return r, true
	}
	for {
		key, ok := s.str()
		if !ok || !s.next(':') {
			return r, false
		}
		switch key {
		case "name":
			r.Name, ok = s.str()
		case "type":
			r.Type, ok = s.str()
		case "ttl":
			r.TTL, ok = s.ttl()
		case "data":
			r.Data, ok = s.data()
		default:
			// encoding/json matches keys without regard to case, and
			// skips unknown ones: its to do.
			ok = false
		}
		if !ok {
			return r, false
		}
		if s.next('}') {
			return r, true
		}
		if !s.next(',') {
			return r, false
		}
	}
}
