package node

import (
	"maps"
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
	state     *cluster.State
	trust     health.Trust
	traffic   *config.Traffic
	revision  int64
	base      *resolver.Snapshot
	endpoints map[health.EndpointKey]endpointState
	// publishedBase and publishedHealth are what the served snapshot was
	// made of.
	publishedBase   *resolver.Snapshot
	publishedHealth map[health.EndpointKey]bool
	// saved is what the data directory's copy holds (cache.go).
	saved kept
}

// endpointState is an endpoint's published health and since when.
type endpointState struct {
	healthy bool
	since   time.Time
	reason  string
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

// evaluateLocked applies the one health rule to what this node knows. Cut
// off from the store, the overrides and external statuses last seen
// still hold.
func (n *Node) evaluateLocked() health.Evaluation {
	in := health.Inputs{Traffic: n.traffic, Observations: n.countedLocked(), Now: n.now()}
	if st := n.state; st != nil {
		in.Overrides, in.External = st.Overrides, st.External
	}
	return health.Evaluate(in)
}

// publishLocked swaps in the current document's snapshot with the health
// the one health rule gives, and reports every endpoint that changed.
func (n *Node) publishLocked() {
	if n.base == nil {
		return
	}
	ev := n.evaluateLocked()
	h := ev.Healthy()
	// Most states (a member's heartbeat, a result that changes nothing)
	// leave every endpoint as it was: the served snapshot, and the
	// decisions it remembers, stay.
	if n.base != n.publishedBase || !maps.Equal(h, n.publishedHealth) {
		n.handler.Swap(n.base.WithHealth(func(service, endpoint string) bool {
			up, ok := h[health.EndpointKey{Service: service, Endpoint: endpoint}]
			return !ok || up
		}))
		n.publishedBase, n.publishedHealth = n.base, h
	}
	n.gauge.Set(h)
	n.trackEndpoints(ev)
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
			es := endpointState{healthy: up, since: now, reason: reason}
			if seen && prev.healthy == up {
				es.since = prev.since
			}
			next[k] = es
			if seen && prev.healthy != up {
				if !up {
					n.endpointDownLocked(k, e.Check)
				}
				n.log.Info("endpoint health changed", "service", k.Service, "endpoint", k.Endpoint, "healthy", up, "reason", reason)
				status := admin.EndpointStatus{Service: k.Service, Endpoint: k.Endpoint, Check: e.Check, Healthy: up, Since: now, Reason: reason}
				if n.state != nil {
					if o, ok := n.state.Overrides[k]; ok {
						status.Override = &o
					}
				}
				n.events.Send(status)
			}
		}
	}
	n.endpoints = next
}
