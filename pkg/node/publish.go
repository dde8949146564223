package node

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// served is what the node answers from and what it has published, kept
// under Node.mu: the run loop changes it, the API reads it.
type served struct {
	// state is the store's latest; trust follows its connection and
	// says whose results count.
	state   *cluster.State
	trust   health.Trust
	traffic *config.Traffic
	// serials are the zones' SOA serials, by name (nil: each is
	// revision).
	serials map[string]uint32
	// checks indexes traffic's checks by name; hasExternal says whether
	// one is external, whose pushed status may expire.
	checks      map[string]*config.Check
	hasExternal bool
	revision    int64
	// built is the served document's snapshot as Build made it; base is
	// built with its zones' signing (signZonesLocked). builtFrom is the
	// store's document built was made from, nil for the kept copy's.
	built     *resolver.Snapshot
	builtFrom *config.Traffic
	base      *resolver.Snapshot
	signing   signing
	endpoints map[health.EndpointKey]endpointState
	// published is the served snapshot and publishedBase the one it was
	// derived from.
	published     *resolver.Snapshot
	publishedBase *resolver.Snapshot
	evaluation
	sharding
	targeting
	// saved is what the data directory's copy holds (cache.go).
	saved kept
	// trafficFileNote says traffic_file differs from the document served
	// at trafficFileNoteRevision (noteTrafficFile).
	trafficFileNote         string
	trafficFileNoteRevision int64
	// watchingSince is when Start began: a failure that tipped before it
	// is one the node learns of on starting, not a failover it can time.
	watchingSince time.Time
	// zoneRecords are the records built for each zone (zones.go).
	zoneRecords servedZones
	// fromKept is set while the node serves the copy kept from its last
	// run: the store's first state replaces it even at the same
	// revision, so the node holds one copy of the records, not two.
	fromKept bool
	// failedRevision is the last served revision whose document could
	// not be built, which the node does not try again.
	failedRevision int64
	// stored are the served zones' stored records, by name, beside the
	// inline ones traffic holds (servedTrafficLocked); nil while the
	// kept copy, whose zones hold all of theirs, is served.
	stored map[string]*cluster.ZoneRecords
}

// endpointState is an endpoint's published health and since when.
type endpointState struct {
	healthy bool
	since   time.Time
	reason  string
	check   string
}

// republish swaps in a fresh snapshot even when health has not moved:
// after a GeoIP database reload, the decisions remembered per client
// network must go.
func (n *Node) republish() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.publishedBase = nil
	n.publishLocked()
}

// countedLocked returns the results that count (health.Trust): this
// node's own, which are always the freshest, and while the store answers
// those of the live members that have written since it came back.
func (n *Node) countedLocked() map[string]map[string]health.Observation {
	own := n.sched.Observations()
	st := n.state
	if st == nil {
		return n.trust.Counted(n.id, own, nil, nil, nil)
	}
	live := func(id string) bool { _, ok := st.Members[id]; return ok }
	return n.trust.Counted(n.id, own, st.Observations, st.Written, live)
}

// publishLocked brings health up to date with what changed and publishes
// it: a new document (or a store read whole, or a new GeoIP database) is
// published whole; otherwise only the endpoints whose health moved are
// swapped into a snapshot derived from the served one, so a change costs
// what it touches. However many changes arrived since the last call, it
// swaps at most one snapshot.
func (n *Node) publishLocked() {
	if n.base == nil {
		return
	}
	whole := n.followLocked()
	n.eval.Advance(n.now())
	changes := n.eval.Changes()
	if whole || n.base != n.publishedBase {
		n.publishWholeLocked()
		return
	}
	keys := make([]health.EndpointKey, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b health.EndpointKey) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Endpoint, b.Endpoint))
	})
	now := n.now()
	var moved []resolver.HealthChange
	for _, k := range keys {
		v := changes[k]
		prev, seen := n.endpoints[k]
		if !seen {
			// Endpoints come with a document, which is published whole.
			continue
		}
		es := endpointState{healthy: v.Healthy, since: prev.since, reason: v.Reason, check: prev.check}
		if prev.healthy != v.Healthy {
			es.since = now
			moved = append(moved, resolver.HealthChange{Service: k.Service, Endpoint: k.Endpoint, Healthy: v.Healthy})
			n.gauge.SetOne(k, v.Healthy)
			n.endpointChanged(k, es)
		}
		n.endpoints[k] = es
	}
	if len(moved) > 0 {
		n.published = n.published.WithHealthChanges(moved)
		n.handler.Swap(n.published)
	}
}

// publishWholeLocked publishes every endpoint's health. Most states (a
// member's heartbeat, a result that changes nothing) leave every
// endpoint as it was: then the served snapshot, and the decisions it
// remembers, stay.
func (n *Node) publishWholeLocked() {
	ev := n.eval.Evaluation()
	h := ev.Healthy()
	if n.base != n.publishedBase || !n.samePublishedLocked(h) {
		n.published = n.base.WithHealth(func(service, endpoint string) bool {
			up, ok := h[health.EndpointKey{Service: service, Endpoint: endpoint}]
			return !ok || up
		}).WithTargets(n.targetAddrs)
		n.handler.Swap(n.published)
		n.publishedBase = n.base
	}
	n.gauge.Set(h)
	n.trackEndpoints(ev)
}

// samePublishedLocked reports whether h is the health last published.
func (n *Node) samePublishedLocked(h map[health.EndpointKey]bool) bool {
	if len(h) != len(n.endpoints) {
		return false
	}
	for k, up := range h {
		if es, ok := n.endpoints[k]; !ok || es.healthy != up {
			return false
		}
	}
	return true
}

// trackEndpoints remembers since when each endpoint has its health, and
// logs and sends an event for each change.
func (n *Node) trackEndpoints(ev health.Evaluation) {
	now := n.now()
	next := make(map[health.EndpointKey]endpointState, len(ev.Endpoints))
	for _, svc := range n.traffic.Services {
		for _, e := range svc.Endpoints {
			k := health.EndpointKey{Service: svc.Name, Endpoint: e.ID}
			up, reason := ev.Endpoints[k].Healthy, ev.Endpoints[k].Reason
			prev, seen := n.endpoints[k]
			es := endpointState{healthy: up, since: now, reason: reason, check: e.Check}
			if seen && prev.healthy == up {
				es.since = prev.since
			}
			next[k] = es
			if seen && prev.healthy != up {
				n.endpointChanged(k, es)
			}
		}
	}
	n.endpoints = next
}

// endpointChanged logs an endpoint's change of health and sends its
// event; a drop is a failover to measure (failover.go).
func (n *Node) endpointChanged(k health.EndpointKey, es endpointState) {
	if !es.healthy {
		n.endpointDownLocked(k, es.check)
	}
	n.log.Info("endpoint health changed", "service", k.Service, "endpoint", k.Endpoint, "healthy", es.healthy, "reason", es.reason)
	status := admin.EndpointStatus{Service: k.Service, Endpoint: k.Endpoint, Check: es.check, Healthy: es.healthy, Since: es.since, Reason: es.reason}
	if n.state != nil {
		if o, ok := n.state.Overrides[k]; ok {
			status.Override = &o
		}
	}
	n.events.Send(status)
}
