package node

import (
	"reflect"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// servedZones remembers the records built for each zone from the
// store's, so a change to one zone's records converts that zone alone.
type servedZones map[string]servedZone

type servedZone struct {
	// doc and stored are what records were built from: both immutable,
	// so the same pointers mean the same records.
	doc    *config.Traffic
	stored *cluster.ZoneRecords
	// inline are the records the document holds inline that no stored
	// RRset replaces.
	inline []config.Record
}

// servedTrafficLocked is st's document with each zone's records those
// it holds inline that no stored RRset replaces, and the zones' stored
// records by name: together what the store serves
// (cluster.State.ServedZone), what the node builds its snapshot from and
// keeps for a restart. The stored records stay the store's: a zone of a
// million is not copied into a document.
func (n *Node) servedTrafficLocked(st *cluster.State) (*config.Traffic, map[string]*cluster.ZoneRecords) {
	t := *st.Traffic
	t.Zones = make([]config.Zone, len(st.Traffic.Zones))
	next := make(servedZones, len(t.Zones))
	stored := make(map[string]*cluster.ZoneRecords, len(t.Zones))
	for i := range st.Traffic.Zones {
		z := &st.Traffic.Zones[i]
		name := cluster.ZoneName(z.Name)
		c, ok := n.zoneRecords[name]
		if !ok || c.doc != st.Traffic || c.stored != st.Zones[name] {
			c = servedZone{doc: st.Traffic, stored: st.Zones[name], inline: cluster.InlineServed(z, st.Zones[name])}
		}
		t.Zones[i] = *z
		t.Zones[i].Records = c.inline
		next[name] = c
		if c.stored != nil {
			stored[name] = c.stored
		}
	}
	n.zoneRecords = next
	return &t, stored
}

// storedOf returns the function resolver.BuildStored takes for stored.
func storedOf(stored map[string]*cluster.ZoneRecords) func(string) resolver.StoredRecords {
	return func(zone string) resolver.StoredRecords {
		if z := stored[zone]; z != nil {
			return z
		}
		return nil
	}
}

// buildLocked makes the snapshot of t, the served form of doc, with
// stored records: from the one served when doc is the document it was
// built from and only a few of its zones' stored RRsets changed since
// (an UPDATE, a record set through the API), which in a zone of a
// million costs what changed rather than seconds; else a whole build.
func (n *Node) buildLocked(doc, t *config.Traffic, stored map[string]*cluster.ZoneRecords, served int64, serials map[string]uint32) (*resolver.Snapshot, error) {
	start := time.Now()
	if s, ok, err := n.changedLocked(doc, t, stored, serials); ok || err != nil {
		n.builds.observe(buildChanges, start)
		return s, err
	}
	s, err := resolver.BuildStored(t, uint32(served), serials, storedOf(stored))
	n.builds.observe(buildWhole, start)
	return s, err
}

// changedLocked derives the snapshot of t from the built one, reporting
// false when it cannot (buildLocked).
func (n *Node) changedLocked(doc, t *config.Traffic, stored map[string]*cluster.ZoneRecords, serials map[string]uint32) (*resolver.Snapshot, bool, error) {
	if n.built == nil || n.builtFrom == nil || n.builtFrom != doc || n.fromKept || len(t.Zones) != len(n.traffic.Zones) {
		return nil, false, nil
	}
	s := n.built
	for i := range t.Zones {
		name := cluster.ZoneName(t.Zones[i].Name)
		if stored[name] == n.stored[name] && serials[name] == n.serials[name] {
			continue
		}
		if !reflect.DeepEqual(t.Zones[i].Records, n.traffic.Zones[i].Records) {
			// The document's own records for the zone, which no stored
			// RRset replaces, changed with the stored ones.
			return nil, false, nil
		}
		changes, ok := stored[name].ChangedSince(n.stored[name], resolver.MaxRecordChanges)
		if !ok {
			return nil, false, nil
		}
		rc := make([]resolver.RecordChange, len(changes))
		for j, c := range changes {
			rc[j] = resolver.RecordChange{Name: c.Name, Type: c.Type}
			if !c.Removed {
				r := c.RRset.Record()
				rc[j].Record = &r
			}
		}
		next, ok, err := s.WithRecordChanges(name, serials[name], rc)
		if !ok || err != nil {
			return nil, false, err
		}
		s = next
	}
	return s, true, nil
}
