package config

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// The two readings of a domain name in a traffic document, said by every
// fault about one. Names inside a zone (ns, soa mname and rname, record
// names, an endpoint's cname) read as in zone files, so that a name copied
// from one means the same here; the names that place things (a zone's, a
// service's) have no zone around them to be relative to.
const (
	relativeRule = "a name in a zone is relative to the zone unless it ends in a dot, as in zone files"
	absoluteRule = "this name is absolute, with or without its trailing dot"
)

// validateName reads a name that no zone surrounds: it is absolute,
// whether or not it ends in a dot. The result is lower case and fully
// qualified.
func validateName(field, name string, l *faultList) (string, bool) {
	if name == "" {
		l.addf(field, "is required")
		return "", false
	}
	if _, ok := dns.IsDomainName(name); !ok || strings.ContainsAny(name, " \t\\") {
		l.addf(field, "%q is not a valid domain name (%s)", name, absoluteRule)
		return "", false
	}
	return dns.CanonicalName(name), true
}

// validateZoneName reads a name written in zone's fields by the rule of
// zone files (OwnerName): "@" is the apex, a name ending in a dot is
// absolute, anything else is relative to zone. A relative name that
// already ends in the zone's name ("www.example.com" in example.com) is a
// fault: it would be www.example.com.example.com., which nobody means.
func validateZoneName(field, name, zone string, l *faultList) (string, bool) {
	if name == "" {
		l.addf(field, "is required")
		return "", false
	}
	n := name
	if zone != "" {
		// Without the zone's name (a fault of its own), only the name's
		// spelling can be checked.
		n = OwnerName(name, zone)
	}
	_, rawOK := dns.IsDomainName(name)
	if _, ok := dns.IsDomainName(n); !ok || !rawOK || strings.ContainsAny(name, " \t") {
		l.addf(field, "%q is not a valid domain name (%s)", name, relativeRule)
		return "", false
	}
	if zone == "" {
		return "", false
	}
	if isRelative(name) && zone != "." && dns.IsSubDomain(zone, dns.Fqdn(name)) {
		l.addf(field, "%q has no trailing dot, so it is %s; write %q for the name as it is (%s)", name, n, dns.Fqdn(name), relativeRule)
		return "", false
	}
	return n, true
}

// isRelative reports whether name, as written, is read relative to its
// zone.
func isRelative(name string) bool {
	return name != "@" && name != "" && !dns.IsFqdn(name)
}

// relativeHint explains, for a fault about a name written as written and
// read as resolved, that it was taken relative to the zone; "" when it
// was written absolute.
func relativeHint(written, resolved string) string {
	if !isRelative(written) {
		return ""
	}
	return fmt.Sprintf(" (%q has no trailing dot, so it is %s: %s; write %q for the name as it is)", written, resolved, relativeRule, dns.Fqdn(written))
}
