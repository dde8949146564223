package health

// Trust decides whose results count toward a node's verdicts. A node's own
// results always count, and are always its freshest. Cut off from the
// store, nothing else does (fail-static on what this node sees). Back
// after an outage, what another node said before it may be stale (a
// region that failed meanwhile), so that node's results count again only
// once it has written at a revision past the one at which the store came
// back. The first connection trusts everything stored.
//
// Trust is a value: Connected returns the next one, and the zero Trust is
// a node that has never reached its store.
type Trust struct {
	connected bool
	// wasConnected is set once the store has answered.
	wasConnected bool
	// since is the store revision when it last became reachable, as told.
	since int64
	// after is the store revision at the last return from an outage.
	after int64
}

// Connected is the Trust after a report of the store: reachable (ok) or
// not, and, when reachable, its revision when it last became so. A
// reachable store whose revision differs from the last one told came back
// in between, however short the outage; the same report twice changes
// nothing.
func (t Trust) Connected(ok bool, since int64) Trust {
	if !ok {
		t.connected = false
		return t
	}
	if t.wasConnected && (!t.connected || since != t.since) {
		t.after = since
	}
	t.connected, t.wasConnected, t.since = true, true, since
	return t
}

// Reachable reports whether the store answered at the last report: only
// then do other nodes' results count, and only then can a node choose
// who probes a sharded check.
func (t Trust) Reachable() bool { return t.connected }

// Counted returns the results that count, by node then check: self's own
// results, in place of whatever the store holds for self, and, while
// connected, those stored for every other live node that has written at a
// revision past the last return (written holds each node's latest write).
// live may be nil: no other node is live. The maps returned are shared
// with the arguments, not copied.
func (t Trust) Counted(self string, own map[string]Observation, stored map[string]map[string]Observation, written map[string]int64, live func(node string) bool) map[string]map[string]Observation {
	out := map[string]map[string]Observation{self: own}
	if !t.connected || live == nil {
		return out
	}
	for node, obs := range stored {
		if node != self && live(node) && t.Counts(written[node]) {
			out[node] = obs
		}
	}
	return out
}

// Counts reports whether the results of another live node whose latest
// write was at revision written count: Counted's rule for one node, for
// a reader that follows nodes one change at a time.
func (t Trust) Counts(written int64) bool { return t.connected && written > t.after }
