package config

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"

	"github.com/miekg/dns"
)

var (
	countryRE = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)
	// Continents are the codes GeoIP databases use.
	continents = map[string]bool{"AF": true, "AN": true, "AS": true, "EU": true, "NA": true, "OC": true, "SA": true}
	policies   = map[string]bool{PolicyFailover: true, PolicyGeo: true, PolicyLatency: true, PolicyGeoproximity: true, PolicyWeighted: true, PolicyMultivalue: true}
)

// MaxWeightTotal is the most a service's endpoint weights may add up to,
// so that a weighted draw fits an int on every platform.
const MaxWeightTotal = math.MaxInt32

// ZoneOf returns the longest zone of zones that contains name, or "".
func ZoneOf(name string, zones []string) string {
	best := ""
	for _, z := range zones {
		if dns.IsSubDomain(z, name) && len(z) > len(best) {
			best = z
		}
	}
	return best
}

func validateServices(services []Service, zones []*zoneIndex, checks map[string]*Check, l *faultList) {
	seen := map[string]int{}
	var placed []placedService
	for i := range services {
		s := &services[i]
		path := fmt.Sprintf("services[%d]", i)
		name, ok := validateName(path+".name", s.Name, l)
		if !ok {
			continue
		}
		s.Name = name
		if prev, dup := seen[name]; dup {
			l.addf(path+".name", "service %s is already defined at services[%d]", name, prev)
		}
		seen[name] = i
		zone := validateServicePlace(s, path, zones, l)
		written := make([]string, len(s.Endpoints))
		for j, e := range s.Endpoints {
			written[j] = e.CNAME
		}
		validateService(s, path, zone, checks, l)
		if zone != nil {
			placed = append(placed, placedService{s, path, zone, written})
		}
	}
	for _, p := range placed {
		validateCNAMETargets(p, seen, l)
	}
}

// placedService is a service, the zone it is in, and its endpoints'
// cnames as written (before they were read relative to the zone).
type placedService struct {
	s       *Service
	path    string
	zone    *zoneIndex
	written []string
}

// validateCNAMETargets refuses an endpoint's cname, written without a
// trailing dot, that leads to a name of the service's own zone where
// nothing answers: lb.example.net in zone example.com is
// lb.example.net.example.com., which is almost never what was meant.
// services holds every service's name.
func validateCNAMETargets(p placedService, services map[string]int, l *faultList) {
	if p.zone.unmerged {
		return // the zone file's records are not known
	}
	for i, e := range p.s.Endpoints {
		if e.CNAME == "" || !isRelative(p.written[i]) || !dns.IsSubDomain(p.zone.name, e.CNAME) {
			continue
		}
		if _, ok := services[e.CNAME]; ok || p.zone.types[e.CNAME].len() > 0 || p.zone.coveredByWildcard(e.CNAME) {
			continue
		}
		if _, ok := p.zone.belowCut(e.CNAME); ok {
			continue
		}
		l.addf(fmt.Sprintf("%s.endpoints[%d].cname", p.path, i), "nothing in zone %s answers for %s%s", p.zone.name, e.CNAME, relativeHint(p.written[i], e.CNAME))
	}
}

// validateServicePlace checks that the service's name is served by a zone
// and does not collide with the zone's static records, and returns that
// zone (nil when there is none).
func validateServicePlace(s *Service, path string, zones []*zoneIndex, l *faultList) *zoneIndex {
	if dns.CountLabel(s.Name) > 0 && dns.SplitDomainName(s.Name)[0] == "*" {
		l.addf(path+".name", "a service cannot be a wildcard name")
		return nil
	}
	var zone *zoneIndex
	for _, z := range zones {
		if z.name != "" && dns.IsSubDomain(z.name, s.Name) && (zone == nil || len(z.name) > len(zone.name)) {
			zone = z
		}
	}
	if zone == nil {
		l.addf(path+".name", "%s is outside every zone of this document", s.Name)
		return nil
	}
	if cut, ok := zone.belowCut(s.Name); ok {
		l.addf(path+".name", "%s is at or below the delegation at %s", s.Name, cut)
		return nil
	}
	types := zone.types[s.Name]
	for _, e := range s.Endpoints {
		if e.CNAME != "" && s.Name == zone.name {
			l.addf(path+".name", "%s is the zone apex, which holds the SOA and NS records, so it cannot answer with a CNAME", s.Name)
			return zone
		}
		if e.CNAME != "" && types.len() > 0 {
			l.addf(path+".name", "%s answers with a CNAME, so it cannot also have static records", s.Name)
			return zone
		}
	}
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME} {
		if types.has(t) {
			l.addf(path+".name", "%s also has a static %s record; a name's addresses come from the service or from records, not both", s.Name, dns.TypeToString[t])
		}
	}
	return zone
}

// validateService checks the service's policy and endpoints; zone is the
// zone it is in, nil when there is none.
func validateService(s *Service, path string, zone *zoneIndex, checks map[string]*Check, l *faultList) {
	if s.Policy == "" {
		l.addf(path+".policy", "must be set (failover, geo, latency, geoproximity, weighted, multivalue)")
	} else if !policies[s.Policy] {
		l.addf(path+".policy", "%q is not one of failover, geo, latency, geoproximity, weighted, multivalue", s.Policy)
	}
	if s.TTL == nil {
		ttl := uint32(DefaultServiceTTL)
		s.TTL = &ttl
	}
	validateTTL(path+".ttl", *s.TTL, l)
	if s.MaxAnswers == 0 {
		s.MaxAnswers = 1
		if s.Policy == PolicyMultivalue {
			s.MaxAnswers = MaxMultivalueAnswers
		}
	}
	if s.MaxAnswers < 1 || s.MaxAnswers > MaxMultivalueAnswers {
		l.addf(path+".max_answers", "%d must be between 1 and %d", s.MaxAnswers, MaxMultivalueAnswers)
	}
	if len(s.Endpoints) == 0 {
		l.addf(path+".endpoints", "needs at least one endpoint")
		return
	}
	ids := map[string]bool{}
	cnames, addrs, defaults, weights := 0, 0, 0, 0
	overweight := false // the total is reported once, where it crossed the limit
	nets := map[netip.Prefix]string{}
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		epath := fmt.Sprintf("%s.endpoints[%d]", path, i)
		if !identRE.MatchString(e.ID) {
			l.addf(epath+".id", "%q is not a valid endpoint id (letters, digits, '-', '_', '.'; at most 63)", e.ID)
		} else if ids[e.ID] {
			l.addf(epath+".id", "endpoint %q is already defined in this service", e.ID)
		}
		ids[e.ID] = true
		if e.Region != "" && !identRE.MatchString(e.Region) {
			l.addf(epath+".region", "%q is not a valid region name (letters, digits, '-', '_', '.'; at most 63)", e.Region)
		}
		validateEndpointAnswer(e, epath, zone, l)
		if e.CNAME != "" {
			cnames++
		} else {
			addrs++
		}
		if e.Default {
			defaults++
		}
		validateEndpointPlace(s, e, epath, nets, l)
		if e.Check != "" && checks[e.Check] == nil {
			l.addf(epath+".check", "check %q does not exist", e.Check)
		}
		switch w := e.EffectiveWeight(); {
		case w < 0:
			l.addf(epath+".weight", "%d must not be negative", w)
		case overweight:
			// Already reported.
		case w > MaxWeightTotal-weights:
			l.addf(epath+".weight", "%d makes the service's weights total more than %d", w, MaxWeightTotal)
			overweight = true
		default:
			weights += w
		}
		if e.Bias < -99 || e.Bias > 99 {
			l.addf(epath+".bias", "%d must be between -99 and 99", e.Bias)
		}
	}
	if cnames > 0 && addrs > 0 {
		l.addf(path+".endpoints", "endpoints answer either with a cname or with addresses, not a mix")
	}
	if cnames > 0 && s.MaxAnswers > 1 {
		l.addf(path+".max_answers", "a CNAME answer holds one endpoint; max_answers must be 1")
	}
	if defaults > 1 {
		l.addf(path+".endpoints", "%d endpoints are marked default; at most one may be", defaults)
	}
	switch s.WhenAllDown {
	case "":
		s.WhenAllDown = AllDownAll
	case AllDownAll, AllDownNone:
	default:
		if !ids[s.WhenAllDown] {
			l.addf(path+".when_all_down", "%q is not all, none or an endpoint id of this service", s.WhenAllDown)
		}
	}
}

// validateEndpointAnswer checks what the endpoint answers with; its
// cname is read relative to zone, the service's (nil: its spelling only).
func validateEndpointAnswer(e *Endpoint, path string, zone *zoneIndex, l *faultList) {
	if e.CNAME != "" && (len(e.A) > 0 || len(e.AAAA) > 0) {
		l.addf(path+".cname", "an endpoint answers with a cname or with addresses, not both")
	}
	if e.Target != "" {
		validateTarget(e, path, l)
	} else if e.CNAME == "" && len(e.A) == 0 && len(e.AAAA) == 0 {
		l.addf(path, "endpoint has no address: give a, aaaa, cname or target")
	}
	for i, a := range e.A {
		if ip, err := netip.ParseAddr(a); err != nil || !ip.Is4() {
			l.addf(fmt.Sprintf("%s.a[%d]", path, i), "%q is not an IPv4 address", a)
		}
	}
	for i, a := range e.AAAA {
		if ip, err := netip.ParseAddr(a); err != nil || !ip.Is6() || ip.Is4In6() {
			l.addf(fmt.Sprintf("%s.aaaa[%d]", path, i), "%q is not an IPv6 address", a)
		}
	}
	if e.CNAME != "" {
		zoneName := ""
		if zone != nil {
			zoneName = zone.name
		}
		if n, ok := validateZoneName(path+".cname", e.CNAME, zoneName, l); ok {
			e.CNAME = n
		}
	}
}

// validateEndpointPlace checks what places clients at the endpoint:
// coordinates, countries, continents and pinned networks.
func validateEndpointPlace(s *Service, e *Endpoint, path string, nets map[netip.Prefix]string, l *faultList) {
	if e.Location != nil && (e.Location.Lat < -90 || e.Location.Lat > 90 || e.Location.Lon < -180 || e.Location.Lon > 180) {
		l.addf(path+".location", "lat must be within -90..90 and lon within -180..180")
	}
	if e.Location == nil && (s.Policy == PolicyLatency || s.Policy == PolicyGeoproximity) {
		l.addf(path+".location", "the %s policy needs a location for every endpoint", s.Policy)
	}
	for i, c := range e.Countries {
		if !countryRE.MatchString(c) {
			l.addf(fmt.Sprintf("%s.countries[%d]", path, i), "%q is not an ISO 3166 code (US, or a subdivision like US-CA)", c)
		}
	}
	for i, c := range e.Continents {
		if !continents[c] {
			l.addf(fmt.Sprintf("%s.continents[%d]", path, i), "%q is not one of AF AN AS EU NA OC SA", c)
		}
	}
	own := []netip.Prefix{}
	for i, n := range e.Networks {
		field := fmt.Sprintf("%s.networks[%d]", path, i)
		p, err := netip.ParsePrefix(n)
		if err != nil {
			l.addf(field, "%q is not a network in CIDR notation", n)
			continue
		}
		if p != p.Masked() {
			l.addf(field, "%s has host bits set; the network is %s", n, p.Masked())
			continue
		}
		p = pinPrefix(p)
		e.Networks[i] = p.String()
		if other, dup := nets[p]; dup {
			l.addf(field, "network %s is already pinned to endpoint %q", p, other)
			continue
		}
		for _, q := range own {
			if q.Overlaps(p) {
				l.addf(field, "network %s overlaps %s of the same endpoint", p, q)
			}
		}
		own = append(own, p)
		nets[p] = e.ID
	}
	if s.Policy == PolicyGeo && !e.Default && len(e.Countries) == 0 && len(e.Continents) == 0 && len(e.Networks) == 0 {
		l.addf(path, "a geo endpoint needs countries, continents, networks or default: true")
	}
}

// pinPrefix writes an IPv4-mapped IPv6 network that holds only IPv4
// addresses (::ffff:192.0.2.0/120) as the IPv4 network it is
// (192.0.2.0/24): clients arrive as IPv4, and one network written both
// ways must be one pin, not two that race.
func pinPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}
