package node

import (
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// servedZones remembers the records built for each zone from the
// store's, so a change to one zone's records converts that zone alone.
type servedZones map[string]servedZone

type servedZone struct {
	// doc and stored are what records were built from: both immutable,
	// so the same pointers mean the same records.
	doc     *config.Traffic
	stored  *cluster.ZoneRecords
	records []config.Record
}

// servedTrafficLocked is st's document with each zone's records as the
// store keeps them (cluster.State.ServedZone): the document the node
// builds its snapshot from, and keeps for a restart.
func (n *Node) servedTrafficLocked(st *cluster.State) *config.Traffic {
	t := *st.Traffic
	t.Zones = make([]config.Zone, len(st.Traffic.Zones))
	next := make(servedZones, len(t.Zones))
	for i := range st.Traffic.Zones {
		z := &st.Traffic.Zones[i]
		name := cluster.ZoneName(z.Name)
		stored := st.Zones[name]
		if c, ok := n.zoneRecords[name]; ok && c.doc == st.Traffic && c.stored == stored {
			t.Zones[i] = *z
			t.Zones[i].Records = c.records
			next[name] = c
			continue
		}
		t.Zones[i] = st.ServedZone(z)
		next[name] = servedZone{doc: st.Traffic, stored: stored, records: t.Zones[i].Records}
	}
	n.zoneRecords = next
	return &t
}
