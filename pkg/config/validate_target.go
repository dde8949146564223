package config

import (
	"strings"

	"github.com/miekg/dns"
)

// validateTarget checks an endpoint named by hostname. The name is
// absolute because it is looked up as it stands, never below the zone:
// a load balancer's name belongs to its provider, and a missing dot
// would otherwise name something else without a word.
func validateTarget(e *Endpoint, path string, l *faultList) {
	field := path + ".target"
	switch {
	case e.CNAME != "" || len(e.A) > 0 || len(e.AAAA) > 0:
		l.addf(field, "an endpoint answers with a target or with a, aaaa or cname, not both")
	case strings.ContainsAny(e.Target, " \t\\"):
		l.addf(field, "%q is not a valid host name", e.Target)
	case !dns.IsFqdn(e.Target):
		l.addf(field, "%q must be an absolute name ending in a dot (%q): a target is never taken relative to the zone", e.Target, e.Target+".")
	case e.Target == ".":
		l.addf(field, "the root is not a host name")
	default:
		if _, ok := dns.IsDomainName(e.Target); !ok {
			l.addf(field, "%q is not a valid host name", e.Target)
			return
		}
		e.Target = dns.CanonicalName(e.Target)
	}
}
