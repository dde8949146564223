package node

import (
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
