package resolver

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// Build makes a snapshot of a traffic document. t must have passed config
// validation (config.ParseTraffic, LoadTraffic or Traffic.Validate), which
// enforces every rule about the document; Build checks none of them again.
// Its error is a record whose data does not convert, which validation has
// already reported with its place. serial is the SOA serial of every zone.
// Every endpoint starts healthy; derive a snapshot with real health
// through WithHealth.
func Build(t *config.Traffic, serial uint32) (*Snapshot, error) {
	return BuildSerials(t, serial, nil)
}

// BuildSerials is Build with each zone's own SOA serial, from serials by
// zone name (lower case, fully qualified); a zone serials lacks takes
// serial, and Serial reports the largest.
func BuildSerials(t *config.Traffic, serial uint32, serials map[string]uint32) (*Snapshot, error) {
	return BuildStored(t, serial, serials, nil)
}

// StoredRecords are records of a zone kept apart from its document.
type StoredRecords interface {
	// Len is how many RRsets Records yields.
	Len() int
	// Records yields each RRset once.
	Records() iter.Seq[config.Record]
}

// BuildStored is BuildSerials with more records for each zone than the
// document's zones hold: those stored returns for the zone's name (lower
// case, fully qualified; nil: none), after the zone's own. A node serves
// its zones' stored records this way without a copy of each in a
// document. stored may be nil.
func BuildStored(t *config.Traffic, serial uint32, serials map[string]uint32, stored func(zone string) StoredRecords) (*Snapshot, error) {
	s := &Snapshot{zones: make(map[string]*zone, len(t.Zones)), version: new(recordsVersion), serial: serial, byName: make(map[string][]int, len(t.Services))}
	for i := range t.Zones {
		zs := serial
		if v, ok := serials[dns.CanonicalName(t.Zones[i].Name)]; ok {
			zs = v
			s.serial = max(s.serial, v)
		}
		var more StoredRecords
		if stored != nil {
			more = stored(dns.CanonicalName(t.Zones[i].Name))
		}
		z, err := buildZone(&t.Zones[i], zs, more)
		if err != nil {
			return nil, fmt.Errorf("building zone %s: %w", t.Zones[i].Name, err)
		}
		s.zones[z.name] = z
	}
	names := make([]string, 0, len(s.zones))
	for name := range s.zones {
		names = append(names, name)
	}
	for i := range t.Services {
		svc := &t.Services[i]
		sn := buildService(svc, len(s.services))
		s.byName[sn.name] = append(s.byName[sn.name], sn.index)
		s.services = append(s.services, sn)
		z := s.zones[config.ZoneOf(sn.name, names)]
		if z == nil {
			// Validation refuses this with its place; a document built in
			// code and not validated gets an error rather than a panic.
			return nil, fmt.Errorf("service %s is in no zone of the document (was it validated?)", sn.name)
		}
		z.ensure(sn.name).service = sn
		for _, e := range sn.endpoints {
			if e.target != "" && !slices.Contains(s.byTarget[e.target], sn.index) {
				if s.byTarget == nil {
					s.byTarget = map[string][]int{}
				}
				s.byTarget[e.target] = append(s.byTarget[e.target], sn.index)
			}
		}
	}
	s.delegateSubZones()
	for _, z := range s.zones {
		z.linkAdditional()
		z.linkWildcards()
	}
	return s.WithHealth(allHealthy), nil
}

// allHealthy is the health a built snapshot starts with: every endpoint
// up.
func allHealthy(string, string) bool { return true }

// WithHealth returns a snapshot that shares s's zones but takes each
// endpoint's health from healthy. It is also how a replaced GeoIP
// database takes effect: the new snapshot remembers no earlier decision.
func (s *Snapshot) WithHealth(healthy func(service, endpoint string) bool) *Snapshot {
	next := *s
	if len(s.services) > 0 {
		next.decisions, next.decisionGen = new(decisionTable), new(atomic.Int64)
	}
	next.health = newHealthTable(s.services, healthy)
	return &next
}

func buildZone(cz *config.Zone, serial uint32, more StoredRecords) (*zone, error) {
	name := dns.CanonicalName(cz.Name)
	ttl := cz.DefaultTTL()
	// Sized for the records' names at once: a zone of a million grows
	// its map no more.
	z := &zone{name: name, ttl: ttl, nodes: newNodeIndex(len(cz.Records) + storedLen(more) + 1), transfer: newTransferPolicy(cz)}
	soa := &dns.SOA{
		Hdr:     dns.RR_Header{Name: name, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      dns.Fqdn(cz.SOA.MName),
		Mbox:    dns.Fqdn(cz.SOA.RName),
		Serial:  serial,
		Refresh: cz.SOA.Refresh,
		Retry:   cz.SOA.Retry,
		Expire:  cz.SOA.Expire,
		Minttl:  cz.SOA.Minimum,
	}
	neg := dns.Copy(soa)
	neg.Header().Ttl = min(ttl, cz.SOA.Minimum)
	z.negSOA = []dns.RR{neg}
	z.negSOAWire, _ = packRRs(z.negSOA)

	apex := z.ensure(name)
	apex.add(newRRset(dns.TypeSOA, []dns.RR{soa}))
	ns := make([]dns.RR, len(cz.NS))
	for i, target := range cz.NS {
		ns[i] = &dns.NS{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttl}, Ns: dns.Fqdn(target)}
	}
	apex.add(newRRset(dns.TypeNS, ns))

	for i := range cz.Records {
		if err := z.addRecord(&cz.Records[i], ttl); err != nil {
			return nil, fmt.Errorf("records[%d]: %w", i, err)
		}
	}
	if more != nil {
		for r := range more.Records() {
			if err := z.addRecord(&r, ttl); err != nil {
				return nil, fmt.Errorf("stored records %s %s: %w", r.Name, r.Type, err)
			}
		}
	}
	return z, nil
}

func storedLen(s StoredRecords) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// addRecord adds the RRset of r to the zone; ttl is the zone's default.
func (z *zone) addRecord(r *config.Record, ttl uint32) error {
	owner, rrtype, set, err := z.rrsetOf(r, ttl)
	if err != nil || owner == "" {
		return err
	}
	n, err := z.addSet(owner, set)
	if err != nil {
		return err
	}
	if strings.ToUpper(r.Type) != config.TypeName(rrtype) {
		z.typeAliases = true
	}
	if rrtype == dns.TypeNS && owner != z.name {
		n.cut, z.hasCuts = true, true
	}
	return nil
}

// rrsetOf returns the owner, type and RRset of r in z, whose default TTL
// is ttl; no owner when r holds no records. Records the store packed
// (Record.Wire) are taken as they are; others are packed as the store
// packs them (Record.Pack), or kept parsed when they do not pack.
func (z *zone) rrsetOf(r *config.Record, ttl uint32) (string, uint16, rrset, error) {
	if r.Wire != "" {
		rrtype, ok := config.ParseType(r.Type)
		if !ok {
			return "", 0, rrset{}, fmt.Errorf("type %q is not a record type", r.Type)
		}
		// Checked once here, so that answers, which unpack them, find
		// them as PackRRset made them.
		owner := config.OwnerName(r.Name, z.name)
		if err := r.Wire.Check(rrtype); err != nil {
			return "", 0, rrset{}, fmt.Errorf("%s: %w", owner, err)
		}
		return owner, rrtype, newWireRRset(rrtype, r.Wire), nil
	}
	p, err := r.Pack(z.name, ttl)
	switch {
	case err != nil || p.Owner == "":
		return "", 0, rrset{}, err
	case p.Wire == "":
		return p.Owner, p.Type, parsedRRset(p.Type, p.RRs), nil
	}
	return p.Owner, p.Type, newWireRRset(p.Type, p.Wire), nil
}

// ensure returns the node for name, creating it and every missing
// ancestor up to the apex; the ancestors created are empty
// non-terminals.
func (z *zone) ensure(name string) *node {
	h := z.nodes.hash(name)
	if n := z.nodes.getHashed(h, name); n != nil {
		return n
	}
	n := &node{name: name}
	z.nodes.setHashed(h, n)
	z.adoptNew(name)
	return n
}

// adoptNew counts the new node name at its parent, making the parent and
// its missing ancestors (empty non-terminals) as needed.
func (z *zone) adoptNew(name string) {
	if name != z.name {
		if off, end := dns.NextLabel(name, 0); !end {
			z.ensure(name[off:]).children++
		}
	}
}

// addSet stores an RRset at name, making the node (with the RRset in
// its allocation) and its missing ancestors when name has none.
func (z *zone) addSet(name string, set rrset) (*node, error) {
	h := z.nodes.hash(name)
	if n := z.nodes.getHashed(h, name); n != nil {
		if n.nsets == maxSetsAtName {
			return nil, fmt.Errorf("%s holds more than %d RRsets", name, maxSetsAtName)
		}
		n.add(set)
		return n, nil
	}
	n := newNodeWithSet(name, set)
	z.nodes.setHashed(h, n)
	z.adoptNew(name)
	return n, nil
}

// add stores an RRset at the node, keeping the RRsets sorted by type;
// the node holds fewer than maxSetsAtName.
func (n *node) add(set rrset) {
	sets := n.sets()
	i, _ := slices.BinarySearchFunc(sets, set.rrtype, func(r rrset, t uint16) int { return int(r.rrtype) - int(t) })
	n.setSets(slices.Insert(slices.Clip(sets), i, set))
}

// linkAdditional precomputes, for each NS, MX and SRV RRset, the
// addresses of its targets that the zone itself holds: glue for
// delegations, the name servers' addresses at the apex, mail and service
// hosts (RFC 1034 §4.3.2 step 6).
func (z *zone) linkAdditional() {
	for _, n := range z.nodes.all() {
		sets := n.sets()
		for i := range sets {
			set := &sets[i]
			if !hasAdditional(set.rrtype) {
				// Most of a large zone: nothing to link, so no work.
				continue
			}
			var extra []dns.RR
			seen := map[string]bool{}
			for _, rr := range set.records(n.name) {
				target := additionalTarget(rr)
				if target == "" || seen[target] || !dns.IsSubDomain(z.name, target) {
					continue
				}
				seen[target] = true
				if z.targets == nil {
					z.targets = map[string]bool{}
				}
				z.targets[target] = true
				t := z.nodes.get(target)
				if t == nil {
					continue
				}
				// Below a cut only glue may be used, and only for the
				// delegation's own NS set.
				if z.belowCut(target) && !(set.rrtype == dns.TypeNS && n.cut) {
					continue
				}
				for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
					if a := t.lookup(typ); a != nil {
						extra = append(extra, a.records(t.name)...)
					}
				}
			}
			if len(extra) > 0 {
				set.additional = &extra
			}
		}
	}
}

// linkWildcards points each node at its wildcard child, if any.
func (z *zone) linkWildcards() {
	for name, n := range z.nodes.all() {
		if strings.HasPrefix(name, "*.") {
			if parent := z.nodes.get(name[2:]); parent != nil {
				parent.wildcard = n
			}
		}
	}
}

// belowCut reports whether name lies strictly below a delegation point of
// the zone.
func (z *zone) belowCut(name string) bool {
	for off, end := dns.NextLabel(name, 0); !end && len(name)-off > len(z.name); off, end = dns.NextLabel(name, off) {
		if n := z.nodes.get(name[off:]); n != nil && n.cut {
			return true
		}
	}
	return false
}

// hasAdditional reports whether records of rrtype name hosts whose
// addresses go in the additional section (additionalTarget).
func hasAdditional(rrtype uint16) bool {
	return rrtype == dns.TypeNS || rrtype == dns.TypeMX || rrtype == dns.TypeSRV
}

// additionalTarget returns the lower-case name whose addresses belong in
// the additional section of an answer with rr, or "".
func additionalTarget(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.NS:
		return strings.ToLower(r.Ns)
	case *dns.MX:
		return strings.ToLower(r.Mx)
	case *dns.SRV:
		return strings.ToLower(r.Target)
	}
	return ""
}

// delegateSubZones makes each zone served below another one a delegation
// of that parent, with the sub-zone's NS set, unless the parent's records
// delegate it already: the parent then answers DS for it (RFC 4035
// §3.1.4.1), with the DS the document gives there, the sub-zone's own
// when gtmd signs it, or the proof that there is none; and the names
// between the two apexes exist, as empty non-terminals.
func (s *Snapshot) delegateSubZones() {
	for _, z := range s.zones {
		p := s.parentZone(z.name)
		if p == nil {
			continue
		}
		n := p.ensure(z.name)
		if n.lookup(dns.TypeNS) == nil {
			ns := *z.nodes.get(z.name).lookup(dns.TypeNS)
			// The parent links its own additional records.
			ns.additional = nil
			n.add(ns)
		}
		n.cut, p.hasCuts = true, true
	}
}

// dsZone is the zone that answers a DS query for name, found in z: the
// parent, when name is the apex of z and the parent is served here too,
// since a DS set belongs to the parent's side of the cut; else z.
func (s *Snapshot) dsZone(z *zone, name string) *zone {
	if name != z.name {
		return z
	}
	if p := s.parentZone(name); p != nil {
		return p
	}
	return z
}

// parentZone is the zone served here that holds the parent of the apex
// name (nil for the root, or when none does).
func (s *Snapshot) parentZone(name string) *zone {
	off, end := dns.NextLabel(name, 0)
	if end || name == "." {
		return nil
	}
	return s.findZone(name[off:])
}
