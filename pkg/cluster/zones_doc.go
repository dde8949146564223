package cluster

import (
	"context"
	"maps"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// How a document's records and the zone's data combine. Each stored
// RRset remembers who wrote it last (RRset.Source). Applying a document
// writes every RRset the document states, marked SourceDocument (an
// RRset of the same owner and type that the zones API or an UPDATE wrote
// is replaced: the document wins for what it states), and deletes the
// RRsets it wrote before that it no longer states. RRsets the zones API
// or UPDATE wrote (SourceData) that the document does not state are
// kept: they are the zone's data, not the document's. An RRset that an
// UPDATE changes or deletes is the zone's data from then on, until a
// document states it again.

// WithoutRecords returns t as the store keeps it: its zones' records
// are kept by RRset (zones.go), but for the addresses of the zone's own
// name servers, which stay inline too so the stored document passes
// validation alone (an in-zone name server needs its glue). t is not
// changed.
func WithoutRecords(t *config.Traffic) *config.Traffic {
	return withZoneRecords(t, glueOf)
}

// bare returns t without any record, for comparing what else it says.
func bare(t *config.Traffic) *config.Traffic {
	return withZoneRecords(t, func(*config.Zone) []config.Record { return nil })
}

// withZoneRecords returns a copy of t whose zones hold the records records
// gives for each; t is not changed.
func withZoneRecords(t *config.Traffic, records func(z *config.Zone) []config.Record) *config.Traffic {
	c := *t
	c.Zones = make([]config.Zone, len(t.Zones))
	for i, z := range t.Zones {
		z.Records = records(&z)
		c.Zones[i] = z
	}
	return &c
}

// glueOf returns the A and AAAA records of z at the names of its apex
// name servers.
func glueOf(z *config.Zone) []config.Record {
	zone := ZoneName(z.Name)
	servers := NameServers(z)
	var out []config.Record
	for _, r := range z.Records {
		if IsGlue(servers, config.OwnerName(r.Name, zone), strings.ToUpper(r.Type)) {
			out = append(out, r)
		}
	}
	return out
}

// NameServers are z's apex name servers, as the store writes owner
// names.
func NameServers(z *config.Zone) map[string]bool {
	out := make(map[string]bool, len(z.NS))
	for _, ns := range z.NS {
		out[dns.CanonicalName(ns)] = true
	}
	return out
}

// IsGlue reports whether the RRset of owner and typ is an address of one
// of servers.
func IsGlue(servers map[string]bool, owner, typ string) bool {
	return (typ == "A" || typ == "AAAA") && servers[owner]
}

// Glue returns z's A and AAAA RRsets at the names of servers.
func (z *ZoneRecords) Glue(servers map[string]bool) []RRset {
	var out []RRset
	for ns := range servers {
		for _, typ := range []string{"A", "AAAA"} {
			if r, ok := z.Lookup(rrsetKey(ns, typ)); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// mergeInline returns the stored RRsets that keep accepts (sorted when
// sorted is set: a million take a second), then the records z holds
// inline that no stored RRset replaces.
func mergeInline(z *config.Zone, stored *ZoneRecords, keep func(RRset) bool, sorted bool) []config.Record {
	var out []config.Record
	// One TTL pointer per distinct TTL, not one per record.
	ttls := map[uint32]*uint32{}
	add := func(r RRset) {
		if !keep(r) {
			return
		}
		ttl, ok := ttls[r.TTL]
		if !ok {
			ttl = new(uint32)
			*ttl = r.TTL
			ttls[r.TTL] = ttl
		}
		out = append(out, config.Record{Name: r.Name, Type: r.Type, TTL: ttl, Data: r.Data, Wire: r.wire})
	}
	if sorted {
		for _, r := range stored.Sorted() {
			add(r)
		}
	} else if stored != nil {
		out = make([]config.Record, 0, stored.Len()+len(z.Records))
		for r := range stored.All() {
			add(r)
		}
	}
	return append(out, InlineServed(z, stored)...)
}

// InlineServed returns the records z holds inline that no RRset of
// stored replaces, sorted: with stored's own (ZoneRecords.Records), the
// records State.ServedZone serves, without a copy of every stored one.
func InlineServed(z *config.Zone, stored *ZoneRecords) []config.Record {
	if len(z.Records) == 0 {
		return nil
	}
	inline, err := DocumentRRsets(z)
	if err != nil {
		return z.Records
	}
	var out []config.Record
	for _, r := range NewZoneRecords(inline).Sorted() {
		if _, ok := stored.Lookup(r.Key()); !ok {
			out = append(out, r.Record())
		}
	}
	return out
}

// documentChanges works out, for each zone of t, the change that makes
// it hold t's records: from the zone as the watch last saw it (fresh
// false), which a zone of a million records makes worth it, or as etcd
// holds it now. The commit compares each zone's revision, so a stale
// view fails it rather than lose a change.
func (s *Store) documentChanges(ctx context.Context, t *config.Traffic, fresh bool) ([]zoneChange, error) {
	var out []zoneChange
	st := s.State()
	for i := range t.Zones {
		want, err := DocumentRRsets(&t.Zones[i])
		if err != nil {
			return nil, err
		}
		zone := ZoneName(t.Zones[i].Name)
		base := st.Zones[zone]
		if fresh {
			if base, err = s.readZone(ctx, zone); err != nil {
				return nil, err
			}
		}
		c := diffZone(zone, base, want, func(r RRset) bool { return r.Source == SourceData })
		if !c.empty() {
			out = append(out, c)
		}
	}
	return out, nil
}

// withDocumentRecords returns t with each zone's records those its
// stored RRsets marked SourceDocument, and those it holds inline that no
// stored RRset replaces (its name servers' glue, or every record of a
// document stored before records were kept apart).
func withDocumentRecords(t *config.Traffic, zones map[string]*ZoneRecords) *config.Traffic {
	return withZoneRecords(t, func(z *config.Zone) []config.Record {
		return mergeInline(z, zones[ZoneName(z.Name)], func(r RRset) bool { return r.Source == SourceDocument }, true)
	})
}

// Document is the state's document as it was applied: each zone's
// records those the document put there.
func (s *State) Document() *config.Traffic {
	if s.Traffic == nil {
		return nil
	}
	return withDocumentRecords(s.Traffic, s.Zones)
}

// ServedZone returns z, a zone of the state's document, with the records
// it serves: every stored RRset of the zone, the document's and the
// zone's data alike, and those the document holds inline that no stored
// RRset replaces.
// They come in no particular order.
func (s *State) ServedZone(z *config.Zone) config.Zone {
	return ServedZone(z, s.Zones[ZoneName(z.Name)], false)
}

// ServedZone returns z with the records it serves with stored, its
// stored RRsets (nil: none), as State.ServedZone says; sorted by owner
// and type when sorted is set.
func ServedZone(z *config.Zone, stored *ZoneRecords, sorted bool) config.Zone {
	out := *z
	out.Records = mergeInline(z, stored, func(RRset) bool { return true }, sorted)
	return out
}

// SameDocument reports whether a and b are the same document as the
// store keeps it: the same stored form without records (config.SameStored)
// and the same records in each zone, whatever their order and however
// their names are written.
func SameDocument(a, b *config.Traffic) bool {
	if a == nil || b == nil || len(a.Zones) != len(b.Zones) {
		return false
	}
	if !config.SameStored(bare(a), bare(b)) {
		return false
	}
	for i := range a.Zones {
		ra, errA := DocumentRRsets(&a.Zones[i])
		rb, errB := DocumentRRsets(&b.Zones[i])
		if errA != nil || errB != nil || !maps.EqualFunc(ra, rb, RRset.SameAs) {
			return false
		}
	}
	return true
}
