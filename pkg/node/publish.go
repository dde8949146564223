package node

import (
	"maps"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// served is what the node answers from and what it has published, kept
// under Node.mu: the run loop changes it, the API reads it.
type served struct {
	// state is the store's latest; connected whether it answers.
	state     *cluster.State
	connected bool
	// wasConnected is set once the store has answered; trustAfter is the
	// store revision at the last return from an outage, and
	// connectedRevision the one the store reported then.
	wasConnected      bool
	trustAfter        int64
	connectedRevision int64
	traffic           *config.Traffic
	revision          int64
	base              *resolver.Snapshot
	endpoints         map[health.EndpointKey]endpointState
	// publishedBase and publishedHealth are what the served snapshot was
	// made of.
	publishedBase   *resolver.Snapshot
	publishedHealth map[health.EndpointKey]bool
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

// view is the state health is computed from: the cluster's, with this
// node's own results, which are always the freshest, in place of what the
// store holds for it. Cut off from the store, only this node's results
// count, with the overrides and external statuses last seen; back from an
// outage, another node's results count once it has written since.
func (n *Node) view() *cluster.State {
	v := &cluster.State{Traffic: n.traffic, TrafficRevision: n.revision, Members: map[string]cluster.Member{}, Observations: map[string]map[string]cluster.Observation{}}
	if st := n.state; st != nil {
		v.Overrides, v.External = st.Overrides, st.External
		if n.connected {
			maps.Copy(v.Members, st.Members)
			for node, obs := range st.Observations {
				if st.Written[node] > n.trustAfter {
					v.Observations[node] = obs
				}
			}
		}
	}
	own := map[string]cluster.Observation{}
	for check, s := range n.sched.States() {
		own[check] = observationOf(s)
	}
	v.Members[n.id] = cluster.Member{ID: n.id}
	v.Observations[n.id] = own
	return v
}

// observationOf is a check's state as the cluster records it.
func observationOf(s health.State) cluster.Observation {
	return cluster.Observation{Status: s.Status, Latency: s.LastLatency, Error: s.LastError, At: s.LastAt}
}

// verdictsLocked aggregates the view.
func (n *Node) verdictsLocked() (map[string]cluster.Verdict, *cluster.State) {
	v := n.view()
	return cluster.Aggregate(v, n.traffic.Settings.HealthQuorum, n.now()), v
}

// publishLocked swaps in the current document's snapshot with the health
// the cluster's view gives, and reports every endpoint that changed.
func (n *Node) publishLocked() {
	if n.base == nil {
		return
	}
	verdicts, v := n.verdictsLocked()
	overrides := map[health.EndpointKey]health.Override{}
	for k, o := range v.Overrides {
		overrides[k] = health.Override{State: o.State, Reason: o.Reason}
	}
	h := health.EndpointHealth(n.traffic, func(check string) health.Status { return verdicts[check].Status }, overrides)
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
	n.trackEndpoints(h, verdicts, overrides)
}

// trackEndpoints remembers since when each endpoint has its health, and
// logs and sends an event for each change.
func (n *Node) trackEndpoints(h map[health.EndpointKey]bool, verdicts map[string]cluster.Verdict, overrides map[health.EndpointKey]health.Override) {
	now := n.now()
	next := make(map[health.EndpointKey]endpointState, len(h))
	for _, svc := range n.traffic.Services {
		for _, e := range svc.Endpoints {
			k := health.EndpointKey{Service: svc.Name, Endpoint: e.ID}
			up := h[k]
			reason := "no check: always healthy"
			switch o, ok := overrides[k]; {
			case ok:
				reason = "override " + o.State
				if o.Reason != "" {
					reason += ": " + o.Reason
				}
			case e.Check != "":
				reason = "check " + e.Check + ": " + verdicts[e.Check].Reason
			}
			prev, seen := n.endpoints[k]
			es := endpointState{healthy: up, since: now, reason: reason}
			if seen && prev.healthy == up {
				es.since = prev.since
			}
			next[k] = es
			if seen && prev.healthy != up {
				n.log.Info("endpoint health changed", "service", k.Service, "endpoint", k.Endpoint, "healthy", up, "reason", reason)
				n.events.send("health", map[string]any{"service": k.Service, "endpoint": k.Endpoint, "healthy": up, "reason": reason})
			}
		}
	}
	n.endpoints = next
}
