package node

import (
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// zoneView is a zone as an update sees and changes it: its stored
// RRsets, the records the stored document holds inline (its name
// servers' glue), and the document's service names, which hold A and
// AAAA records; work holds the RRsets the update has changed so far.
type zoneView struct {
	zone     string
	base     *cluster.ZoneRecords
	inline   map[string]cluster.RRset
	services map[string]bool
	work     map[string][]dns.RR
}

// newZoneView is zone as base holds it; doc is the zone as the stored
// document states it (nil: not known).
func newZoneView(zone string, doc *config.Zone, base *cluster.ZoneRecords, services map[string]bool) *zoneView {
	v := &zoneView{zone: zone, base: base, services: services, work: map[string][]dns.RR{}}
	if doc != nil && len(doc.Records) > 0 {
		v.inline, _ = cluster.DocumentRRsets(doc)
	}
	return v
}

func (v *zoneView) stored(key string) (cluster.RRset, bool) {
	if r, ok := v.base.Lookup(key); ok {
		return r, true
	}
	r, ok := v.inline[key]
	return r, ok
}

// rrset returns the records of owner and type as the update has left
// them so far.
func (v *zoneView) rrset(key string) []dns.RR {
	if rrs, ok := v.work[key]; ok {
		return rrs
	}
	r, ok := v.stored(key)
	if !ok {
		return nil
	}
	rec := r.Record()
	rrs, err := rec.RRs(v.zone, r.TTL)
	if err != nil {
		return nil
	}
	return rrs
}

// types returns the types that hold records at owner, sorted, the
// service's addresses included. It asks for each type miekg/dns knows
// rather than scanning the zone, which may hold millions of RRsets.
func (v *zoneView) types(owner string) []string {
	seen := map[string]bool{}
	for _, typ := range dns.TypeToString {
		if len(v.rrset(owner+" "+typ)) > 0 {
			seen[typ] = true
		}
	}
	prefix := owner + " "
	for k, rrs := range v.work {
		if typ, ok := strings.CutPrefix(k, prefix); ok && len(rrs) > 0 {
			seen[typ] = true
		}
	}
	if v.services[owner] {
		seen["A"], seen["AAAA"] = true, true
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func (v *zoneView) exists(owner string, typ uint16) bool {
	if v.services[owner] && (typ == dns.TypeA || typ == dns.TypeAAAA) {
		return true
	}
	return len(v.rrset(cluster.RRset{Name: owner, Type: config.TypeName(typ)}.Key())) > 0
}

// prerequisites checks the prerequisite section (RFC 2136 §3.2).
func (v *zoneView) prerequisites(rrs []dns.RR) *refusal {
	values := map[string][]dns.RR{}
	for _, rr := range rrs {
		h := rr.Header()
		owner := dns.CanonicalName(h.Name)
		if h.Ttl != 0 {
			return refuse(dns.RcodeFormatError, "prerequisite %s has TTL %d, not 0", owner, h.Ttl)
		}
		if !dns.IsSubDomain(v.zone, owner) {
			return refuse(dns.RcodeNotZone, "prerequisite %s is outside the zone", owner)
		}
		switch {
		case (h.Class == dns.ClassANY || h.Class == dns.ClassNONE) && h.Rdlength != 0:
			return refuse(dns.RcodeFormatError, "prerequisite %s of class %s has data", owner, dns.ClassToString[h.Class])
		case h.Class == dns.ClassANY && h.Rrtype == dns.TypeANY:
			if len(v.types(owner)) == 0 {
				return refuse(dns.RcodeNameError, "prerequisite: %s is not in use", owner)
			}
		case h.Class == dns.ClassANY:
			if !v.exists(owner, h.Rrtype) {
				return refuse(dns.RcodeNXRrset, "prerequisite: %s has no %s RRset", owner, dns.TypeToString[h.Rrtype])
			}
		case h.Class == dns.ClassNONE && h.Rrtype == dns.TypeANY:
			if len(v.types(owner)) > 0 {
				return refuse(dns.RcodeYXDomain, "prerequisite: %s is in use", owner)
			}
		case h.Class == dns.ClassNONE:
			if v.exists(owner, h.Rrtype) {
				return refuse(dns.RcodeYXRrset, "prerequisite: %s has a %s RRset", owner, dns.TypeToString[h.Rrtype])
			}
		case h.Class == dns.ClassINET && h.Rrtype != dns.TypeANY:
			k := cluster.RRset{Name: owner, Type: config.TypeName(h.Rrtype)}.Key()
			values[k] = append(values[k], rr)
		default:
			return refuse(dns.RcodeFormatError, "prerequisite %s: class %s type %s", owner, dns.ClassToString[h.Class], dns.TypeToString[h.Rrtype])
		}
	}
	for k, want := range values {
		if !sameRecords(v.rrset(k), want) {
			return refuse(dns.RcodeNXRrset, "prerequisite: the %s RRset is not the one given", k)
		}
	}
	return nil
}

// sameRecords reports whether a and b hold the same records, TTLs aside.
func sameRecords(a, b []dns.RR) bool {
	in := func(rr dns.RR, set []dns.RR) bool {
		return slices.ContainsFunc(set, func(o dns.RR) bool { return dns.IsDuplicate(rr, o) })
	}
	for _, rr := range a {
		if !in(rr, b) {
			return false
		}
	}
	for _, rr := range b {
		if !in(rr, a) {
			return false
		}
	}
	return len(a) > 0
}

// update makes the update section's changes in order (RFC 2136 §3.4.2):
// an added record joins its RRset (whose TTL becomes the record's), a
// CNAME replaces the one at its name; a CNAME added where other data is,
// or other data where a CNAME is, is ignored; deletions remove an RRset,
// every RRset of a name (each of whose types the key must be allowed),
// or one record.
func (v *zoneView) update(rrs []dns.RR, rules []config.UpdateRule) *refusal {
	for _, rr := range rrs {
		h := rr.Header()
		owner := dns.CanonicalName(h.Name)
		k := cluster.RRset{Name: owner, Type: config.TypeName(h.Rrtype)}.Key()
		switch h.Class {
		case dns.ClassINET:
			types := v.types(owner)
			if h.Rrtype == dns.TypeCNAME && slices.ContainsFunc(types, func(t string) bool { return t != "CNAME" }) ||
				h.Rrtype != dns.TypeCNAME && slices.Contains(types, "CNAME") {
				continue
			}
			add := dns.Copy(rr)
			add.Header().Name = owner
			set := slices.Clone(v.rrset(k))
			if h.Rrtype == dns.TypeCNAME {
				set = nil
			}
			if !slices.ContainsFunc(set, func(o dns.RR) bool { return dns.IsDuplicate(o, add) }) {
				set = append(set, add)
			}
			for i := range set {
				set[i] = dns.Copy(set[i])
				set[i].Header().Ttl = h.Ttl
			}
			v.work[k] = set
		case dns.ClassANY:
			if h.Rrtype != dns.TypeANY {
				v.work[k] = nil
				continue
			}
			for _, typ := range v.types(owner) {
				if !allowed(rules, v.zone, owner, dns.StringToType[typ]) {
					return refuse(dns.RcodeRefused, "the update_policy does not let this key delete %s %s", owner, typ)
				}
				v.work[owner+" "+typ] = nil
			}
		case dns.ClassNONE:
			del := dns.Copy(rr)
			del.Header().Class = dns.ClassINET
			v.work[k] = slices.DeleteFunc(slices.Clone(v.rrset(k)), func(o dns.RR) bool { return dns.IsDuplicate(o, del) })
		}
	}
	return nil
}

// changes are the RRsets to store and to delete that make the stored
// zone what the update left.
func (v *zoneView) changes() (puts []cluster.RRset, deletes []string) {
	for k, rrs := range v.work {
		cur, had := v.base.Lookup(k)
		if len(rrs) == 0 {
			if had {
				deletes = append(deletes, k)
			}
			continue
		}
		owner, typ, _ := strings.Cut(k, " ")
		r := cluster.RRset{Name: owner, Type: typ, TTL: rrs[0].Header().Ttl, Source: cluster.SourceData}
		for _, rr := range rrs {
			r.Data = append(r.Data, config.RData(rr))
		}
		if had && cur.SameAs(r) {
			continue
		}
		puts = append(puts, r)
	}
	return puts, deletes
}
