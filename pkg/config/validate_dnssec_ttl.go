package config

import (
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// refreshMargin is how much longer than a signed zone's largest TTL its
// signature_refresh must be: a signature is then still valid for at
// least that TTL and this margin when a resolver caches it, clocks a
// little apart and a slow answer included.
const refreshMargin = Duration(time.Minute)

// ttlsLeftOut says which zones and services of a document leave their
// TTL out, noted before validation fills in the defaults, so a fault can
// say that the TTL it names is one.
type ttlsLeftOut struct{ zones, services []bool }

func noteTTLsLeftOut(t *Traffic) ttlsLeftOut {
	out := ttlsLeftOut{zones: make([]bool, len(t.Zones)), services: make([]bool, len(t.Services))}
	for i := range t.Zones {
		out.zones[i] = t.Zones[i].TTL == nil
	}
	for i := range t.Services {
		out.services[i] = t.Services[i].TTL == nil
	}
	return out
}

// validateSignatureRefresh refuses a signed zone whose signature_refresh
// is not longer than its largest TTL plus refreshMargin: a resolver
// could then keep a signature past its expiry. The signer refuses such
// settings too, so without this a document would pass a dry run and
// fail when applied. It runs once zones and services have their TTLs.
func validateSignatureRefresh(t *Traffic, leftOut ttlsLeftOut, l *faultList) {
	zones := zoneNames(t)
	for i := range t.Zones {
		z := &t.Zones[i]
		if !z.Signed() || z.DNSSEC.SignatureRefresh < 0 {
			continue // unsigned, or a negative refresh already reported
		}
		path := fmt.Sprintf("zones[%d]", i)
		ttl, from := largestTTL(t, i, zones, leftOut)
		refresh := z.DNSSEC.WithDefaults().SignatureRefresh
		if limit := Duration(time.Duration(ttl)*time.Second) + refreshMargin; refresh <= limit {
			l.addf(path+".dnssec.signature_refresh", "%s must be longer than the zone's largest TTL, %s (%s), plus %s: a signature could expire in a resolver's cache",
				describeSetting("signature_refresh", z.DNSSEC.SignatureRefresh, refresh), human(Duration(time.Duration(ttl)*time.Second)), from, human(refreshMargin))
		}
	}
}

// LargestTTL is the largest TTL that zone t.Zones[zi] answers with: its
// own TTL, its records' and its services', defaults included. A signed
// zone's signature_refresh is checked against it, and the signer's
// rollover timings (RFC 7583) wait it out.
func (t *Traffic) LargestTTL(zi int) uint32 {
	zones := zoneNames(t)
	none := ttlsLeftOut{zones: make([]bool, len(t.Zones)), services: make([]bool, len(t.Services))}
	ttl, _ := largestTTL(t, zi, zones, none)
	return ttl
}

// largestTTL is LargestTTL and the field that sets it.
func largestTTL(t *Traffic, zi int, zones []string, leftOut ttlsLeftOut) (uint32, string) {
	z := &t.Zones[zi]
	path := fmt.Sprintf("zones[%d]", zi)
	ttl, from := uint32(DefaultZoneTTL), path+".ttl"
	if z.TTL != nil {
		ttl = *z.TTL
	}
	if leftOut.zones[zi] {
		from += " left out"
	}
	for i := range z.Records {
		if r := z.Records[i].TTL; r != nil && *r > ttl {
			ttl, from = *r, fmt.Sprintf("%s.records[%d].ttl", path, i)
		}
	}
	for i := range t.Services {
		s := &t.Services[i]
		if ZoneOf(dns.CanonicalName(s.Name), zones) != zones[zi] {
			continue
		}
		st := uint32(DefaultServiceTTL)
		if s.TTL != nil {
			st = *s.TTL
		}
		if st > ttl {
			ttl, from = st, fmt.Sprintf("services[%d].ttl", i)
			if leftOut.services[i] {
				from += " left out"
			}
		}
	}
	return ttl, from
}

// zoneNames is the names of t's zones, canonical, in document order.
func zoneNames(t *Traffic) []string {
	zones := make([]string, len(t.Zones))
	for i := range t.Zones {
		zones[i] = dns.CanonicalName(t.Zones[i].Name)
	}
	return zones
}
