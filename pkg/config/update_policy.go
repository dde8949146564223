package config

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Dynamic updates (RFC 2136) of a zone's static records, signed with a
// TSIG key of the node file; what each key may change is the zone's
// update_policy. As with allow_transfer, the document cannot see the
// node file: a key name is checked for its shape only.

// UpdateRule lets the holder of one TSIG key change some names and types
// of the zone.
type UpdateRule struct {
	// Key is the name of a key of the node file's tsig_keys.
	Key string `yaml:"key" json:"key"`
	// Names are globs of the owner names the key may change: relative
	// ones ("_acme-challenge.*", "@" for the apex) are matched against
	// the name relative to the zone, absolute ones (ending in a dot)
	// against the whole name; "*" stands for any run of characters, dots
	// included.
	Names []string `yaml:"names" json:"names"`
	// Types are the record types the key may change; empty allows every
	// type but the SOA and the apex NS, which the document states.
	Types []string `yaml:"types,omitempty" json:"types,omitempty"`
}

// Allows reports whether the rule lets its key change the RRset of type
// typ at owner (lower case, fully qualified) in zone.
func (r *UpdateRule) Allows(zone, owner string, typ uint16) bool {
	if len(r.Types) > 0 {
		ok := false
		for _, t := range r.Types {
			ok = ok || dns.StringToType[strings.ToUpper(t)] == typ
		}
		if !ok {
			return false
		}
	}
	rel := "@"
	if owner != zone {
		rel = strings.TrimSuffix(owner, "."+zone)
	}
	for _, g := range r.Names {
		g = strings.ToLower(g)
		if strings.HasSuffix(g, ".") && globMatch(g, owner) || !strings.HasSuffix(g, ".") && globMatch(g, rel) {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches pattern, in which '*' stands for
// any run of bytes and every other byte for itself.
func globMatch(pattern, s string) bool {
	star, mark := -1, 0
	p, i := 0, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// validateUpdatePolicy normalizes the zone's update_policy and records
// its faults.
func validateUpdatePolicy(z *Zone, path string, l *faultList) {
	for i := range z.UpdatePolicy {
		r := &z.UpdatePolicy[i]
		p := fmt.Sprintf("%s.update_policy[%d]", path, i)
		if name, ok := validateName(p+".key", r.Key, l); ok {
			r.Key = name
		}
		if len(r.Names) == 0 {
			l.addf(p+".names", "needs at least one name (\"*\" is every name of the zone)")
		}
		for j, g := range r.Names {
			if g == "" || strings.ContainsAny(g, " \t\n\r") {
				l.addf(fmt.Sprintf("%s.names[%d]", p, j), "%q is not a name or a glob of names", g)
			}
		}
		for j, t := range r.Types {
			typ, ok := dns.StringToType[strings.ToUpper(t)]
			switch {
			case !ok:
				l.addf(fmt.Sprintf("%s.types[%d]", p, j), "%q is not a record type", t)
			case typ == dns.TypeSOA || typ == dns.TypeANY || typ == dns.TypeAXFR || typ == dns.TypeIXFR || typ == dns.TypeOPT || typ == dns.TypeTSIG:
				l.addf(fmt.Sprintf("%s.types[%d]", p, j), "%s records cannot be changed by UPDATE", t)
			default:
				r.Types[j] = dns.TypeToString[typ]
			}
		}
	}
}
