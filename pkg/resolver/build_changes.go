package resolver

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// RecordChange is one RRset of a zone's records as it is after a change.
type RecordChange struct {
	// Name is the owner, lower case and fully qualified; Type its type's
	// mnemonic (A, TXT, TYPE65534).
	Name, Type string
	// Record holds the RRset's records now; nil when it is gone.
	Record *config.Record
}

// MaxRecordChanges is the most changes WithRecordChanges takes: past it,
// a whole build costs about as much.
const MaxRecordChanges = 10000

// WithRecordChanges returns a snapshot like s, one Build or BuildStored
// made, but for zone (lower case, fully qualified), which has the serial
// serial and, for each change, the RRset it names as it says: what
// building the changed records would make, in the time of the changes
// rather than of the zone. The zone's unchanged names are shared with s.
// It reports false, with no snapshot, for a change it leaves to a whole
// build: of the SOA, NS (a delegation), DS, MX or SRV (whose targets'
// addresses are linked when built), of a name with a "*" label, of an
// address a linked NS, MX or SRV names, of a type named otherwise than
// by its mnemonic (TYPE1 for A) or in a zone whose records do, or more
// than MaxRecordChanges.
// Its error is a record whose data does not convert, as Build's.
func (s *Snapshot) WithRecordChanges(zone string, serial uint32, changes []RecordChange) (*Snapshot, bool, error) {
	z := s.zones[zone]
	if z == nil || z.typeAliases || len(changes) > MaxRecordChanges {
		return nil, false, nil
	}
	types := make([]uint16, len(changes))
	for i, c := range changes {
		t, ok := config.ParseType(c.Type)
		if !ok || strings.ToUpper(c.Type) != config.TypeName(t) || !z.changeable(c.Name, t) {
			return nil, false, nil
		}
		types[i] = t
	}
	nz := z.withSerial(serial)
	for i, c := range changes {
		var set *rrset
		if c.Record != nil {
			owner, rrtype, made, err := z.rrsetOf(c.Record, z.ttl)
			if err != nil {
				return nil, false, fmt.Errorf("building zone %s: records %s %s: %w", zone, c.Name, c.Type, err)
			}
			if owner != "" && (owner != c.Name || rrtype != types[i]) {
				// Not the RRset the change names: left to a whole
				// build, which files records by what they hold.
				return nil, false, nil
			}
			if owner != "" {
				set = &made
			}
		}
		nz.replace(c.Name, types[i], set)
	}
	next := *s
	next.zones = maps.Clone(s.zones)
	next.zones[zone] = nz
	next.version = new(recordsVersion)
	next.serial = max(s.serial, serial)
	return next.WithHealth(allHealthy), true, nil
}

// changeable reports whether a change of the RRset of rrtype at name
// touches that RRset and the names holding it alone.
func (z *zone) changeable(name string, rrtype uint16) bool {
	switch rrtype {
	case dns.TypeSOA, dns.TypeNS, dns.TypeDS:
		return false
	}
	return !hasAdditional(rrtype) && !z.targets[name] && dns.IsSubDomain(z.name, name) &&
		// A wildcard's parent points at it (linkWildcards).
		!strings.Contains(name, "*")
}

// withSerial returns a copy of z with serial in its SOA, whose nodes
// are z's until replaced.
func (z *zone) withSerial(serial uint32) *zone {
	nz := &zone{name: z.name, ttl: z.ttl, nodes: z.nodes.clone(), targets: z.targets, hasCuts: z.hasCuts, transfer: z.transfer}
	neg := dns.Copy(z.negSOA[0]).(*dns.SOA)
	neg.Serial = serial
	nz.negSOA = []dns.RR{neg}
	nz.negSOAWire, _ = packRRs(nz.negSOA)
	apex := z.nodes.get(z.name)
	soa := dns.Copy(apex.lookup(dns.TypeSOA).records(z.name)[0]).(*dns.SOA)
	soa.Serial = serial
	soaSet := newRRset(dns.TypeSOA, []dns.RR{soa})
	nz.nodes.set(apex.withRRset(dns.TypeSOA, &soaSet))
	return nz
}

// replace makes set the RRset of rrtype at name (nil: removed), copying
// every node it changes: the name's, and its ancestors' when the name
// comes or goes.
func (z *zone) replace(name string, rrtype uint16, set *rrset) {
	old := z.nodes.get(name)
	switch {
	case old == nil && set == nil:
	case old == nil:
		z.nodes.set(newNodeWithSet(name, *set))
		z.adopt(name)
	default:
		n := old.withRRset(rrtype, set)
		if name != z.name && n.empty() && n.children == 0 {
			z.nodes.remove(name)
			z.orphan(name)
			return
		}
		z.nodes.set(n)
	}
}

// adopt counts the new node name at its parent, creating the parent (an
// empty non-terminal) and its own ancestors as needed.
func (z *zone) adopt(name string) {
	for name != z.name {
		off, end := dns.NextLabel(name, 0)
		if end {
			return
		}
		name = name[off:]
		if p := z.nodes.get(name); p != nil {
			c := p.clone()
			c.children++
			z.nodes.set(c)
			return
		}
		z.nodes.set(&node{name: name, children: 1})
	}
}

// orphan uncounts the removed node name at its parent, removing the
// parent too when that leaves it an empty non-terminal with no child.
func (z *zone) orphan(name string) {
	for name != z.name {
		off, end := dns.NextLabel(name, 0)
		if end {
			return
		}
		name = name[off:]
		c := z.nodes.get(name).clone()
		c.children--
		if name == z.name || !c.empty() || c.children > 0 {
			z.nodes.set(c)
			return
		}
		z.nodes.remove(name)
	}
}

// clone returns a copy of n without its answers, which belong to n.
func (n *node) clone() *node {
	return &node{name: n.name, first: n.first, nsets: n.nsets, cut: n.cut, children: n.children, wildcard: n.wildcard, service: n.service}
}

// withRRset returns a copy of n with set as its RRset of rrtype, or
// without one when set is nil. The copy's RRsets are its own.
func (n *node) withRRset(rrtype uint16, set *rrset) *node {
	c := n.clone()
	c.setSets(slices.DeleteFunc(slices.Clone(n.sets()), func(r rrset) bool { return r.rrtype == rrtype }))
	if set != nil {
		c.add(*set)
	}
	return c
}
