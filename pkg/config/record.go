package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// OwnerName resolves a record name against its zone: "@" is the apex, a
// name ending in a dot is absolute, anything else is relative. The result
// is lower case and fully qualified.
func OwnerName(name, zone string) string {
	zone = dns.CanonicalName(zone)
	switch {
	case name == "@" || name == "":
		return zone
	case dns.IsFqdn(name):
		return dns.CanonicalName(name)
	default:
		return dns.CanonicalName(name + "." + zone)
	}
}

// RRs parses the record's data into resource records of zone, with ttl
// when the record sets none; a record with Wire set unpacks those.
// Relative names inside the data are taken from the zone's apex, as in a
// master file.
func (r *Record) RRs(zone string, ttl uint32) ([]dns.RR, error) {
	if r.Wire != "" {
		rrtype, ok := ParseType(r.Type)
		if !ok {
			return nil, fmt.Errorf("type %q is not a record type", r.Type)
		}
		return r.Wire.RRs(OwnerName(r.Name, zone), rrtype)
	}
	if r.TTL != nil {
		ttl = *r.TTL
	}
	zone = dns.CanonicalName(zone)
	owner := OwnerName(r.Name, zone)
	typ := strings.ToUpper(r.Type)
	rrtype := dns.StringToType[typ]
	rrs := make([]dns.RR, 0, len(r.Data))
	for i, d := range r.Data {
		if rr, ok := quickRR(owner, rrtype, ttl, d, zone); ok {
			rrs = append(rrs, rr)
			continue
		}
		if strings.ContainsAny(d, "\n\r") {
			return nil, fmt.Errorf("data[%d] %q: must be one line", i, d)
		}
		zp := dns.NewZoneParser(strings.NewReader(owner+" "+strconv.FormatUint(uint64(ttl), 10)+" IN "+typ+" "+d), zone, "")
		rr, ok := zp.Next()
		if err := zp.Err(); err != nil {
			return nil, fmt.Errorf("data[%d] %q is not valid %s data: %s", i, d, typ, trimParseError(err))
		}
		if !ok || rr == nil {
			return nil, fmt.Errorf("data[%d] is empty", i)
		}
		if _, more := zp.Next(); more {
			return nil, fmt.Errorf("data[%d] %q: holds more than one record", i, d)
		}
		rrs = append(rrs, rr)
	}
	return rrs, nil
}

// trimParseError drops the file and line miekg/dns adds for a one-line
// parse, since the fault carries the document's own place.
func trimParseError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "dns: ")
	if i := strings.Index(s, " at line:"); i >= 0 {
		s = s[:i]
	}
	return s
}
