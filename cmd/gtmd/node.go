package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// node joins the parts of a running gtmd: it turns the cluster's state and
// this node's own check results into resolver snapshots, and publishes
// this node's results to the cluster.
type node struct {
	id string
	// dataDir keeps a copy of the served document (see cache.go); "" for
	// none.
	dataDir string
	handler *resolver.Handler
	sched   *health.Scheduler
	gauge   *health.EndpointGauge
	store   *cluster.Store
	events  *broadcaster
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	state     *cluster.State
	connected bool
	// wasConnected is set once the store has answered; trustAfter is the
	// store revision at the last return from an outage.
	wasConnected bool
	trustAfter   int64
	traffic      *config.Traffic
	revision     int64
	base         *resolver.Snapshot
	endpoints    map[health.EndpointKey]endpointState
	// publishedBase and publishedHealth are what the served snapshot was
	// made of.
	publishedBase   *resolver.Snapshot
	publishedHealth map[health.EndpointKey]bool
	// storeSet is closed once store is set: the store's callbacks may
	// start before Open has returned it.
	storeSet chan struct{}
}

// setStore gives the node its store and lets the store's callbacks in.
// A node serving a cached document tells the store so, with the results
// its checks have had so far.
func (n *node) setStore(s *cluster.Store) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.store = s
	close(n.storeSet)
	if n.traffic != nil {
		s.SetServing(n.revision)
		for _, c := range n.traffic.Checks {
			n.observeLocked(c.Name)
		}
	}
}

// endpointState is an endpoint's published health and since when.
type endpointState struct {
	healthy bool
	since   time.Time
	reason  string
}

// stateChanged is the store's OnState: a new traffic document is built and
// served, checks follow it, and health is recomputed.
func (n *node) stateChanged(st *cluster.State) {
	<-n.storeSet
	n.mu.Lock()
	prev := n.state
	n.state = st
	n.memberEvents(prev, st)
	var applied *config.Traffic
	if st.Traffic != nil && st.TrafficRevision != n.revision {
		if s, err := resolver.Build(st.Traffic, uint32(st.TrafficRevision)); err != nil {
			n.log.Error("traffic document cannot be served; still serving the previous one", "revision", st.TrafficRevision, "err", err)
		} else {
			old := n.traffic
			n.traffic, n.revision, n.base = st.Traffic, st.TrafficRevision, s
			applied = st.Traffic
			n.forgetRemovedChecks(old, applied)
		}
	}
	n.publishLocked()
	n.mu.Unlock()
	if applied != nil {
		// Apply may report changes, which publish under n.mu: not held.
		n.sched.Apply(applied.Checks)
		n.store.SetServing(st.TrafficRevision)
		if n.dataDir != "" {
			if err := saveDocument(n.dataDir, st.TrafficRevision, applied); err != nil {
				n.log.Warn("cannot keep a copy of the traffic document; a restart while etcd is away will not answer", "err", err)
			}
		}
		n.log.Info("traffic document applied", "revision", st.TrafficRevision, "zones", len(applied.Zones), "services", len(applied.Services), "checks", len(applied.Checks))
		n.events.send("config", map[string]int64{"revision": st.TrafficRevision})
	}
}

// memberEvents sends an event for each node that joined or left.
func (n *node) memberEvents(prev, cur *cluster.State) {
	if prev == nil {
		return
	}
	for id, m := range cur.Members {
		if _, ok := prev.Members[id]; !ok {
			n.events.send("member_join", m)
		}
	}
	for id, m := range prev.Members {
		if _, ok := cur.Members[id]; !ok {
			n.events.send("member_leave", m)
		}
	}
}

// forgetRemovedChecks drops from the store this node's results for checks
// the new document no longer has.
func (n *node) forgetRemovedChecks(old, cur *config.Traffic) {
	if old == nil {
		return
	}
	keep := map[string]bool{}
	for _, c := range cur.Checks {
		keep[c.Name] = true
	}
	for _, c := range old.Checks {
		if !keep[c.Name] {
			n.store.Forget(c.Name)
		}
	}
}

// healthChanged is the scheduler's OnChange: the result goes to the store
// for the other nodes, and into this node's answers at once.
func (n *node) healthChanged(c health.Change) {
	n.mu.Lock()
	defer n.mu.Unlock()
	// Under n.mu and only for a check of the served document: a change
	// queued before a new document reached the scheduler must not bring
	// back a check that forgetRemovedChecks has just forgotten.
	if n.traffic != nil && slices.ContainsFunc(n.traffic.Checks, func(ch config.Check) bool { return ch.Name == c.Check }) {
		select {
		case <-n.storeSet:
			n.observeLocked(c.Check)
		default:
			// Checks of a cached document run before the store is open;
			// setStore publishes their results then.
		}
	}
	n.publishLocked()
}

// observeLocked hands this node's latest result for check to the store.
func (n *node) observeLocked(check string) {
	if st, ok := n.sched.State(check); ok && st.Status != health.Unknown {
		n.store.Observe(check, observationOf(st))
	}
}

// observationOf is a check's state as the cluster records it.
func observationOf(s health.State) cluster.Observation {
	return cluster.Observation{Status: s.Status, Latency: s.LastLatency, Error: s.LastError, At: s.LastAt}
}

// connectedChanged is the store's OnConnected: cut off from the store,
// the node answers from its own results (fail-static).
func (n *node) connectedChanged(ok bool, reason string) {
	<-n.storeSet
	n.mu.Lock()
	defer n.mu.Unlock()
	if ok && n.wasConnected {
		// Back after an outage: what the other nodes said before it may
		// be stale (a region that failed meanwhile), so their results
		// count again only once they have written since.
		n.trustAfter = n.store.ProbeRevision()
	}
	n.connected = ok
	n.wasConnected = n.wasConnected || ok
	n.publishLocked()
}

// republish swaps in a fresh snapshot even when health has not moved:
// after a GeoIP database reload, the decisions remembered per client
// network must go.
func (n *node) republish() {
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
func (n *node) view() *cluster.State {
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

// verdictsLocked aggregates the view.
func (n *node) verdictsLocked() (map[string]cluster.Verdict, *cluster.State) {
	v := n.view()
	return cluster.Aggregate(v, n.traffic.Settings.HealthQuorum, n.now()), v
}

// publishLocked swaps in the current document's snapshot with the health
// the cluster's view gives, and reports every endpoint that changed.
func (n *node) publishLocked() {
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
	if n.gauge != nil {
		n.gauge.Set(h)
	}
	n.trackEndpoints(h, verdicts, overrides)
}

// trackEndpoints remembers since when each endpoint has its health, and
// logs and sends an event for each change.
func (n *node) trackEndpoints(h map[health.EndpointKey]bool, verdicts map[string]cluster.Verdict, overrides map[health.EndpointKey]health.Override) {
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

// bootstrapTraffic applies t, the node file's traffic_file at path, when
// the store holds no document, retrying while the store is away, and
// gives up once some document is stored.
func (n *node) bootstrapTraffic(ctx context.Context, path string, t *config.Traffic) {
	var lastErr string
	for {
		if st := n.store.State(); st != nil && st.Traffic != nil {
			return
		}
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		rev, err := n.store.ApplyTraffic(actx, t, cluster.NoDocument)
		cancel()
		var mismatch *cluster.RevisionMismatchError
		switch {
		case err == nil:
			n.log.Info("traffic_file applied to the empty store", "file", path, "revision", rev)
			return
		case errors.As(err, &mismatch), ctx.Err() != nil:
			return
		}
		// Said once per kind of failure, not every second of an outage.
		if err.Error() != lastErr {
			lastErr = err.Error()
			n.log.Warn("traffic_file not applied yet; trying again", "file", path, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// Ready reports whether a snapshot is served, and why the node is
// degraded if it is.
func (n *node) Ready() (bool, string) {
	return n.handler.Snapshot() != nil, degradedReason(n.store.Degraded(), n.store.State())
}

// expireExternal republishes every interval while the document has
// external checks, so a pushed status that expires takes its endpoints
// out of the answers on time.
func (n *node) expireExternal(ctx context.Context, interval time.Duration) {
	n.everyLocked(ctx, interval, func() {
		if n.traffic != nil && slices.ContainsFunc(n.traffic.Checks, func(c config.Check) bool { return c.Type == config.CheckExternal }) {
			n.publishLocked()
		}
	})
}

// everyLocked runs f under n.mu every interval until ctx ends.
func (n *node) everyLocked(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n.mu.Lock()
		f()
		n.mu.Unlock()
	}
}

// serveCached serves a document kept from an earlier run until the store
// delivers one, so a node restarted while etcd is unreachable answers.
func (n *node) serveCached(t *config.Traffic, revision int64) error {
	s, err := resolver.Build(t, uint32(revision))
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.traffic, n.revision, n.base = t, revision, s
	n.publishLocked()
	n.mu.Unlock()
	n.sched.Apply(t.Checks)
	return nil
}

// refreshObservations hands the store this node's latest results every
// interval, so each node's latest latency, error and time reach the
// others (GET /v1/health) at a heartbeat's pace; status changes go at
// once through healthChanged. The store writes only what differs.
func (n *node) refreshObservations(ctx context.Context, interval time.Duration) {
	n.everyLocked(ctx, interval, func() {
		if n.traffic != nil {
			for _, c := range n.traffic.Checks {
				n.observeLocked(c.Name)
			}
		}
	})
}
