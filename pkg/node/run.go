package node

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// detailRefresh is how often a node hands the store the latency, error
// and time of its latest probes, for GET /v1/health on the other nodes.
// Statuses go to the store as they change (publishChecks); the store
// writes the detail only when it changed, at most this often.
const detailRefresh = 30 * time.Second

// externalExpiry is how often health is computed again while the
// document has external checks, so a pushed status that expires takes
// its endpoints out of the answers on time.
const externalExpiry = time.Second

// run is the node's one loop: it takes the store's updates and this
// node's check results, publishes snapshots, and owns every ticker. It
// ends when ctx does or the store's updates end.
func (n *Node) run(ctx context.Context, updates <-chan cluster.Update) {
	n.mu.Lock()
	n.storeOpenedLocked()
	n.mu.Unlock()
	details := time.NewTicker(detailRefresh)
	defer details.Stop()
	expire := time.NewTicker(externalExpiry)
	defer expire.Stop()
	// The kept copy is written off this loop (a million records take
	// seconds to encode and sync), the latest state winning; the last
	// one is written before run returns.
	saves, saved, stop := make(chan kept, 1), make(chan struct{}), make(chan struct{})
	go n.keepCopies(saves, saved, stop, func(k kept) error { return saveKept(n.cfg.DataDir, k) })
	defer func() {
		close(stop)
		close(saves)
		<-saved
	}()
	// The releaser stops with this loop, and before the copies' writer
	// (deferred calls run last first): the node's shutdown waits for it.
	memCtx, stopMemory := context.WithCancel(ctx)
	released := make(chan struct{})
	go func() {
		defer close(released)
		n.memory.run(memCtx)
	}()
	defer func() {
		stopMemory()
		<-released
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-updates:
			if !ok {
				return
			}
			n.update(u, saves)
		case <-n.checksWake:
			n.publishChecks()
		case <-n.targetsWake:
			n.publishTargets()
		case <-expire.C:
			n.mu.Lock()
			if n.hasExternal {
				n.publishLocked()
			}
			n.mu.Unlock()
		case <-details.C:
			n.store.SetDetails(n.probeDetails())
		}
	}
}

// storeOpenedLocked tells the store what a node serving a cached
// document serves, with the results its checks have had so far.
func (n *Node) storeOpenedLocked() {
	if n.traffic != nil {
		n.store.SetServing(n.revision)
		n.observeAllLocked()
		n.store.SetDetails(n.probeDetails())
	}
}

// probeDetails is the latest probe of every check that has had one.
func (n *Node) probeDetails() map[string]cluster.Detail {
	obs := n.sched.Observations()
	out := make(map[string]cluster.Detail, len(obs))
	for check, o := range obs {
		if !o.At.IsZero() {
			out[check] = cluster.Detail{Latency: o.Latency, Error: o.Error, At: o.At.Round(0)}
		}
	}
	return out
}

// update takes in one report of the store, and hands a new copy of what
// a restart needs (see cache.go) to keepCopies once the node's lock is
// released: an fsync on a slow disk must hold up neither the API nor
// the next state.
func (n *Node) update(u cluster.Update, saves chan kept) {
	n.mu.Lock()
	n.connectionLocked(u)
	if u.State != n.state {
		n.stateLocked(u.State)
	}
	n.probeLocked()
	n.publishLocked()
	var save *kept
	if k := n.keptLocked(); !k.same(n.saved) {
		n.saved, save = k, &k
	}
	n.mu.Unlock()
	if save != nil {
		// Only this loop sends: once an unwritten copy is taken back,
		// the send cannot block.
		select {
		case <-saves:
		default:
		}
		saves <- *save
	}
}

// copyPacing is how many times as long as a copy took to write the next
// waits, at most maxCopyPause: while a stream of UPDATEs changes a zone
// of a million records (each copy about a second of CPU), keeping copies
// costs a tenth of a core, not all of it, and the copy on disk is at
// most seconds older than the state; a small document's copy, written
// in milliseconds, waits milliseconds.
const (
	copyPacing   = 9
	maxCopyPause = 30 * time.Second
)

// keepCopies writes each copy update hands it with save, the latest
// when several came during the pause after the last (copyPacing), until
// saves is closed, then closes saved. Once stop is closed it pauses no
// more: the last copy is written at once.
func (n *Node) keepCopies(saves <-chan kept, saved chan<- struct{}, stop <-chan struct{}, save func(kept) error) {
	defer close(saved)
	for k := range saves {
		start := time.Now()
		err := save(k)
		n.noteCopy(err)
		pause := time.NewTimer(min(copyPacing*time.Since(start), maxCopyPause))
		select {
		case <-pause.C:
		case <-stop:
			pause.Stop()
		}
	}
}

// noteCopy logs what went wrong with a copy, and tells the memory
// releaser one was written.
func (n *Node) noteCopy(err error) {
	var legacy *legacyCopyError
	switch {
	case errors.As(err, &legacy):
		n.log.Warn("cannot remove the copy an earlier build kept; if this node is downgraded, it will answer from that copy while etcd is away", "err", err)
	case err != nil:
		n.log.Warn("cannot keep a copy of the traffic document and overrides; a restart while etcd is away will not answer as this node does now", "err", err)
	}
	n.memory.kept()
}

// keptLocked is what a restart needs now.
func (n *Node) keptLocked() kept {
	k := kept{Revision: n.revision, Serials: n.serials, Traffic: n.traffic, Stored: n.stored}
	if n.state != nil {
		k.Overrides, k.External, k.KeySets = n.state.Overrides, n.state.External, n.state.KeySets
	}
	return k
}

// connectionLocked follows the store's connection: cut off from the
// store, the node answers from its own results (fail-static), and back
// from an outage it counts another node's results once that node has
// written since (health.Trust).
func (n *Node) connectionLocked(u cluster.Update) {
	n.trust = n.trust.Connected(u.Connected, u.ConnectedRevision)
}

// stateLocked takes in a new state of the store: a new traffic document
// is built and served, and checks follow it.
func (n *Node) stateLocked(st *cluster.State) {
	prev := n.state
	n.state = st
	n.memberEvents(prev, st)
	served := st.ServedRevision()
	if st.Traffic == nil || (served == n.revision && !n.fromKept) || served == n.failedRevision {
		// A key set written (made, or a rollover's step) re-signs.
		n.signZonesLocked()
		n.memory.changed(st)
		return
	}
	t, stored := n.servedTrafficLocked(st)
	serials := st.ZoneSerials()
	s, err := n.buildLocked(st.Traffic, t, stored, served, serials)
	if err != nil {
		n.log.Error("traffic document cannot be served; still serving the previous one", "revision", served, "err", err)
		// Not built again at every state of the same revision (each
		// observation written is one): a change to the document or a
		// zone's records moves the revision.
		n.failedRevision = served
		return
	}
	old, oldRevision := n.traffic, n.revision
	n.serveLocked(t, stored, served, serials, s)
	n.builtFrom = st.Traffic
	if n.fromKept && served == oldRevision && maps.Equal(serials, n.saved.Serials) {
		// The same revision holds the same document: the copy on disk
		// stays as it is.
		n.saved.Traffic, n.saved.Stored = t, stored
	}
	n.fromKept = false
	services := make(map[string]bool, len(t.Services))
	for _, svc := range t.Services {
		services[svc.Name] = true
	}
	n.failover.retain(func(service string) bool { return services[service] })
	n.forgetRemovedChecksLocked(old)
	n.store.SetServing(served)
	if served != oldRevision {
		n.log.Info("traffic document applied", "revision", served, "document_revision", st.TrafficRevision, "zones", len(t.Zones), "services", len(t.Services), "checks", len(t.Checks))
		n.events.Send(admin.ConfigApplied{Revision: served})
	}
	n.memory.changed(st)
}

// memberEvents sends an event for each node that joined or left. The
// first state read from the store (or the one kept from the last run)
// says who was there, not who joined.
func (n *Node) memberEvents(prev, cur *cluster.State) {
	if prev == nil || prev.Revision == 0 {
		return
	}
	for id, m := range cur.Members {
		if _, ok := prev.Members[id]; !ok {
			n.events.Send(admin.MemberJoined{Member: m})
		}
	}
	for id, m := range prev.Members {
		if _, ok := cur.Members[id]; !ok {
			n.events.Send(admin.MemberLeft{Member: m})
		}
	}
}

// forgetRemovedChecksLocked drops from the store this node's results for
// the checks of old that the served document no longer has.
func (n *Node) forgetRemovedChecksLocked(old *config.Traffic) {
	if old == nil {
		return
	}
	for _, c := range old.Checks {
		if n.checks[c.Name] == nil {
			n.store.Forget(c.Name)
		}
	}
}

// checkChanged is the scheduler's OnChange. It only notes the check and
// wakes the run loop, so a burst of changes costs one publication.
func (n *Node) checkChanged(c health.Change) {
	n.noteChanged(&n.checksChanged, n.checksWake, c.Check)
}

// noteChanged adds name to *changed, a set under changedMu (which
// takeChanged replaces), and wakes the run loop through wake without
// waiting: one wake covers a burst.
func (n *Node) noteChanged(changed *map[string]bool, wake chan<- struct{}, name string) {
	n.changedMu.Lock()
	(*changed)[name] = true
	n.changedMu.Unlock()
	signal(wake)
}

// takeChanged empties *changed, a set under changedMu, and returns what
// it held.
func (n *Node) takeChanged(changed *map[string]bool) map[string]bool {
	n.changedMu.Lock()
	defer n.changedMu.Unlock()
	out := *changed
	*changed = map[string]bool{}
	return out
}

// publishChecks hands the checks that changed to the store for the other
// nodes, and into this node's answers at once.
func (n *Node) publishChecks() {
	changed := n.takeChanged(&n.checksChanged)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ownChangedLocked(changed)
	// Only checks of the served document: a change queued before a new
	// document reached the scheduler must not bring back a check that
	// forgetRemovedChecksLocked has just forgotten.
	for name := range changed {
		if n.checks[name] != nil {
			n.observeLocked(name)
		}
	}
	n.publishLocked()
}

// observeAllLocked hands the store this node's latest result for every
// check of the served document.
func (n *Node) observeAllLocked() {
	if n.traffic == nil {
		return
	}
	for _, c := range n.traffic.Checks {
		n.observeLocked(c.Name)
	}
}

// observeLocked hands this node's latest result for check to the store.
func (n *Node) observeLocked(check string) {
	if st, ok := n.sched.State(check); ok && st.Status != health.Unknown {
		n.store.Observe(check, st.Observation())
	}
}

// serveCached serves what was kept from an earlier run until the store
// delivers its state, so a node restarted while etcd is unreachable
// answers, with the drains and pushed statuses it last saw.
func (n *Node) serveCached(k kept) error {
	s, err := resolver.BuildStored(k.Traffic, uint32(k.Revision), k.Serials, storedOf(k.Stored))
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// A state of revision 0: not read from the store, so its (empty)
	// members are not taken for nodes that left. It comes first, so the
	// signed zones are signed with the kept key sets at once.
	n.state = &cluster.State{Overrides: k.Overrides, External: k.External, KeySets: k.KeySets}
	n.serveLocked(k.Traffic, k.Stored, k.Revision, k.Serials, s)
	n.builtFrom = nil
	n.fromKept = true
	n.saved = k
	n.publishLocked()
	n.probeLocked()
	return nil
}

// serveLocked makes t, with its zones' stored records (nil: t's zones
// hold them all), served at revision with its zones' serials (nil: each
// is revision) and built into s, the served document.
func (n *Node) serveLocked(t *config.Traffic, stored map[string]*cluster.ZoneRecords, revision int64, serials map[string]uint32, s *resolver.Snapshot) {
	n.traffic, n.stored, n.revision, n.serials, n.built, n.base = t, stored, revision, serials, s, nil
	n.setPrimariesLocked(t)
	n.applyTargetsLocked(targetsOf(t))
	n.notifier.serve(t, uint32(revision), serials)
	n.wantSigningLocked(t, stored)
	n.signZonesLocked()
	n.checks = make(map[string]*config.Check, len(t.Checks))
	n.hasExternal, n.hasSharded = false, false
	for i := range t.Checks {
		c := &t.Checks[i]
		n.checks[c.Name] = c
		n.hasExternal = n.hasExternal || c.Type == config.CheckExternal
		n.hasSharded = n.hasSharded || c.Vantage != nil
	}
}
