package config

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// validateTraffic fills defaults, normalizes names and records every fault
// of the document. Zones come first: services and checks are placed in
// them.
func validateTraffic(t *Traffic, l *faultList) {
	if len(t.Zones) == 0 {
		l.addf("zones", "needs at least one zone")
	}
	leftOut := noteTTLsLeftOut(t)
	zones := make([]*zoneIndex, 0, len(t.Zones))
	seenZone := map[string]int{}
	for i := range t.Zones {
		zi := validateZone(&t.Zones[i], fmt.Sprintf("zones[%d]", i), l)
		if prev, ok := seenZone[zi.name]; ok && zi.name != "" {
			l.addf(fmt.Sprintf("zones[%d].name", i), "zone %s is already defined at zones[%d]", zi.name, prev)
			continue
		}
		seenZone[zi.name] = i
		zones = append(zones, zi)
	}
	checks := validateChecks(t.Checks, l)
	validateServices(t.Services, zones, checks, l)
	validateSignatureRefresh(t, leftOut, l)
	if t.Settings.HealthQuorum == 0 {
		t.Settings.HealthQuorum = DefaultHealthQuorum
	}
	if q := t.Settings.HealthQuorum; q <= 0 || q > 1 {
		l.addf("settings.health_quorum", "%v must be greater than 0 and at most 1", q)
	}
}

// zoneIndex is what later checks need to know of a validated zone.
type zoneIndex struct {
	name string
	// types holds the record types present at each owner name.
	types map[string]typeSet
	// cuts are the owner names of delegations (NS below the apex).
	cuts map[string]bool
	// delegationNS are the name servers of the delegations, by the field
	// that names them, to be checked for glue.
	delegationNS []fieldName
	// unmerged is set when the zone names a zone file whose records are
	// not in the document (its fault is reported): what is there is not
	// known.
	unmerged bool
}

// fieldName is a name found in the document, the field it was found in,
// and the name as written there, for faults to say how it was read.
type fieldName struct{ field, name, written string }

// belowCut reports whether name is at or below one of the zone's cuts, and
// the topmost such cut (the one that hides the others).
func (z *zoneIndex) belowCut(name string) (string, bool) {
	best := ""
	for cut := range z.cuts {
		if dns.IsSubDomain(cut, name) && (best == "" || len(cut) < len(best)) {
			best = cut
		}
	}
	return best, best != ""
}

// maxTTL is the largest TTL a record may have (RFC 2181 section 8).
const maxTTL = 1<<31 - 1

// validateTTL records a fault at field when ttl exceeds maxTTL.
func validateTTL(field string, ttl uint32, l *faultList) {
	if ttl > maxTTL {
		l.addf(field, "%d exceeds the largest TTL, %d", ttl, maxTTL)
	}
}

func validateZone(z *Zone, path string, l *faultList) *zoneIndex {
	zi := &zoneIndex{types: map[string]typeSet{}, cuts: map[string]bool{}}
	validateDNSSEC(z, path, l)
	validateTransfer(z, path, l)
	validateUpdatePolicy(z, path, l)
	validatePrimary(z, path, l)
	name, ok := validateName(path+".name", z.Name, l)
	if !ok {
		// The rest of the zone is still checked where it does not depend
		// on the name, so one run shows every fault.
		validateSOA(&z.SOA, "", path+".soa", l)
		if len(z.NS) == 0 {
			l.addf(path+".ns", "needs at least one name server")
		}
		for i, ns := range z.NS {
			validateZoneName(fmt.Sprintf("%s.ns[%d]", path, i), ns, "", l)
		}
		return zi
	}
	z.Name, zi.name = name, name
	if z.TTL == nil {
		ttl := uint32(DefaultZoneTTL)
		z.TTL = &ttl
	}
	validateTTL(path+".ttl", *z.TTL, l)
	validateSOA(&z.SOA, name, path+".soa", l)
	if len(z.NS) == 0 {
		l.addf(path+".ns", "needs at least one name server")
	}
	nameServers := make([]fieldName, 0, len(z.NS))
	for i, ns := range z.NS {
		field := fmt.Sprintf("%s.ns[%d]", path, i)
		if n, ok := validateZoneName(field, ns, name, l); ok {
			z.NS[i] = n
			nameServers = append(nameServers, fieldName{field, n, ns})
		}
	}
	zi.add(name, dns.TypeSOA)
	zi.add(name, dns.TypeNS)

	seen := map[ownerType]int{}
	for i := range z.Records {
		validateRecord(z, &z.Records[i], i, path+".records["+strconv.Itoa(i)+"]", zi, seen, l)
	}
	// Occlusion and glue can only be judged once every record is known.
	for i := range z.Records {
		r := &z.Records[i]
		owner, typ := r.Name, dns.StringToType[r.Type]
		cut, below := zi.belowCut(owner)
		if !below || !zi.has(owner, typ) || typ == dns.TypeA || typ == dns.TypeAAAA {
			continue // not below a cut, faulty already, or glue
		}
		if owner != cut {
			l.addf(fmt.Sprintf("%s.records[%d].name", path, i), "%s is below the delegation at %s; only glue (A, AAAA) may be there", owner, cut)
		} else if typ != dns.TypeNS && typ != dns.TypeDS {
			l.addf(fmt.Sprintf("%s.records[%d].type", path, i), "%s is delegated, so a %s record there would never be answered; only NS, DS and glue (A, AAAA) may be there", owner, r.Type)
		}
	}
	validateSignedRecords(z, path, l)
	zi.unmerged = z.ZoneFile != ""
	if zi.unmerged {
		// The zone file was not merged (its fault is reported); the glue
		// may well be in it.
		return zi
	}
	if z.Primary != nil && len(z.Records) == 0 {
		// A secondary's records come from its primary, glue included,
		// and are checked with them at each transfer.
		return zi
	}
	for _, ns := range append(nameServers, zi.delegationNS...) {
		if dns.IsSubDomain(name, ns.name) && !zi.has(ns.name, dns.TypeA) && !zi.has(ns.name, dns.TypeAAAA) {
			l.addf(ns.field, "name server %s is inside the zone but has no A or AAAA record (glue)%s", ns.name, relativeHint(ns.written, ns.name))
		}
	}
	return zi
}

func (z *zoneIndex) add(name string, typ uint16) {
	t := z.types[name]
	t.add(typ)
	z.types[name] = t
}

func (z *zoneIndex) has(name string, typ uint16) bool { return z.types[name].has(typ) }

// typeSet is the record types at one owner name: a bit for each type
// below 64 (every common one), the others listed. A zone of a million
// names held a map of types for each, 100 bytes a name to validate.
type typeSet struct {
	low  uint64
	high []uint16
}

func (s *typeSet) add(t uint16) {
	switch {
	case t < 64:
		s.low |= 1 << t
	case !slices.Contains(s.high, t):
		s.high = append(s.high, t)
	}
}

func (s typeSet) has(t uint16) bool {
	if t < 64 {
		return s.low&(1<<t) != 0
	}
	return slices.Contains(s.high, t)
}

// len is how many types the set holds.
func (s typeSet) len() int { return bits.OnesCount64(s.low) + len(s.high) }

// coveredByWildcard reports whether a wildcard record of the zone
// answers for name, which has none of its own.
func (z *zoneIndex) coveredByWildcard(name string) bool {
	for _, off := range dns.Split(name)[1:] {
		parent := name[off:]
		if !dns.IsSubDomain(z.name, parent) {
			break
		}
		if z.types["*."+parent].len() > 0 {
			return true
		}
	}
	return false
}

// validateSOA checks the SOA fields of zone ("" when the zone's name is
// faulty: the names' spelling is still checked).
func validateSOA(s *SOA, zone, path string, l *faultList) {
	if n, ok := validateZoneName(path+".mname", s.MName, zone, l); ok {
		s.MName = n
	}
	if strings.Contains(s.RName, "@") {
		l.addf(path+".rname", "%q is a mailbox written as a domain name: hostmaster.example.com., not hostmaster@example.com", s.RName)
	} else if n, ok := validateZoneName(path+".rname", s.RName, zone, l); ok {
		s.RName = n
	}
	def := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.Refresh, DefaultSOARefresh)
	def(&s.Retry, DefaultSOARetry)
	def(&s.Expire, DefaultSOAExpire)
	def(&s.Minimum, DefaultSOAMinimum)
}

// ownerType is an RRset's name among a zone's records.
type ownerType struct {
	owner string
	typ   uint16
}

func validateRecord(z *Zone, r *Record, idx int, path string, zi *zoneIndex, seen map[ownerType]int, l *faultList) {
	if r.Name == "" {
		l.addf(path+".name", "must not be empty (use \"@\" for the apex)")
		return
	}
	owner, ok := validateZoneName(path+".name", r.Name, zi.name, l)
	if !ok {
		return
	}
	if !dns.IsSubDomain(zi.name, owner) {
		l.addf(path+".name", "%s is outside zone %s", owner, zi.name)
		return
	}
	typ, ok := dns.StringToType[strings.ToUpper(r.Type)]
	if !ok || typ == dns.TypeOPT || typ == dns.TypeANY || typ == dns.TypeAXFR || typ == dns.TypeIXFR {
		l.addf(path+".type", "%q is not a record type gtmd can serve", r.Type)
		return
	}
	r.Type = dns.TypeToString[typ]
	switch {
	case typ == dns.TypeSOA:
		l.addf(path+".type", "the SOA record comes from the zone's soa settings, not from records")
		return
	case typ == dns.TypeNS && owner == zi.name:
		l.addf(path+".type", "the apex NS records come from the zone's ns list, not from records")
		return
	case typ == dns.TypeCNAME && owner == zi.name:
		l.addf(path+".type", "a CNAME cannot stand at the zone apex")
		return
	}
	if len(r.Data) == 0 {
		l.addf(path+".data", "needs at least one value")
		return
	}
	if r.TTL != nil {
		validateTTL(path+".ttl", *r.TTL, l)
	}
	rrs, err := r.RRs(zi.name, *z.TTL)
	if err != nil {
		l.addf(path+".data", "%v", err)
		return
	}
	if typ == dns.TypeCNAME && len(rrs) > 1 {
		l.addf(path+".data", "a CNAME has exactly one target")
	}
	r.Name = owner
	key := ownerType{owner, typ}
	if prev, ok := seen[key]; ok {
		l.addf(path, "%s %s is already defined at records[%d]; list every value in one data list", owner, r.Type, prev)
		return
	}
	seen[key] = idx
	zi.add(owner, typ)
	if typ == dns.TypeNS {
		zi.cuts[owner] = true
		for j, rr := range rrs {
			zi.delegationNS = append(zi.delegationNS, fieldName{fmt.Sprintf("%s.data[%d]", path, j), dns.CanonicalName(rr.(*dns.NS).Ns), strings.TrimSpace(r.Data[j])})
		}
	}
	types := zi.types[owner]
	if types.has(dns.TypeCNAME) && types.len() > 1 {
		l.addf(path+".name", "%s has a CNAME and other records; a CNAME must stand alone (RFC 1034)", owner)
	}
}
