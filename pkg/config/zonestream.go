package config

import (
	"fmt"
	"io"
	"strings"

	"github.com/miekg/dns"
)

// StreamZone parses an RFC 1035 master file from r as it arrives, never
// holding more than the record being read, and calls each with every
// record but the SOA and the apex NS (which the document states) and the
// line the record ends on. origin is the zone, fully qualified; defTTL
// the TTL of records that give none and follow no $TTL. A record outside
// the zone or of a class other than IN, a parse error or each's error
// stops it, and the error names the place as "name:line:column: message"
// (name is what the file is called in errors). $INCLUDE is refused: the
// file comes from a client.
func StreamZone(r io.Reader, name, origin string, defTTL uint32, each func(rr dns.RR, line int) error) error {
	return streamZone(r, name, origin, defTTL, nil, each)
}

// streamZone is StreamZone that first asks made, when not nil, of every
// record the parser made, the SOA and apex NS included: a document's zone
// file is refused once it stands for more records than a document holds,
// whether they are kept or not (zoneFileBudget.made), at that line.
func streamZone(r io.Reader, name, origin string, defTTL uint32, made func() string, each func(rr dns.RR, line int) error) error {
	origin = dns.CanonicalName(origin)
	lines := newLineReader(r)
	zp := dns.NewZoneParser(lines, origin, name)
	zp.SetDefaultTTL(defTTL)
	zp.SetIncludeAllowed(false)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if made != nil {
			if over := made(); over != "" {
				return fmt.Errorf("%s:%d: %s", name, lines.line, over)
			}
		}
		h := rr.Header()
		if h.Rrtype == dns.TypeSOA || (h.Rrtype == dns.TypeNS && strings.EqualFold(h.Name, origin)) {
			continue
		}
		if !dns.IsSubDomain(origin, h.Name) {
			return fmt.Errorf("%s:%d: %s is outside zone %s", name, lines.line, h.Name, origin)
		}
		if h.Class != dns.ClassINET {
			return fmt.Errorf("%s:%d: %s: class %s: only IN records are served", name, lines.line, h.Name, dns.Class(h.Class))
		}
		if err := each(rr, lines.line); err != nil {
			return fmt.Errorf("%s:%d: %w", name, lines.line, err)
		}
	}
	if err := zp.Err(); err != nil {
		return zoneFileError(name, err)
	}
	return nil
}

// RData is rr's data in presentation format: its text without the header.
// Addresses, most of a large zone, are written without formatting the
// header first, as miekg/dns writes them.
func RData(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.A:
		if r.A != nil {
			return r.A.String()
		}
	case *dns.AAAA:
		if r.AAAA != nil && r.AAAA.To4() == nil {
			return r.AAAA.String()
		}
	}
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}
