package cluster

import "github.com/gtmd/gtmd/pkg/health"

// ChangeKind says what part of a State a Change is about.
type ChangeKind uint8

// The kinds of Change.
const (
	// ChangeMember is a member entry written or gone, and with it the
	// node's Written revision.
	ChangeMember ChangeKind = iota + 1
	// ChangeObservation is one node's result for one check written or
	// gone, and with it the node's Written revision.
	ChangeObservation
	// ChangeOverride is an endpoint's override set or cleared.
	ChangeOverride
	// ChangeExternal is an external check's pushed status set or gone.
	ChangeExternal
	// ChangeKeySet is a zone's DNSSEC key set written or gone.
	ChangeKeySet
	// ChangeRegionOverride is a region-wide override set or cleared.
	ChangeRegionOverride
)

// Change names one key that a State changed from the State before it,
// so a reader can follow the store by what changed rather than compare
// everything. The traffic document is not listed: TrafficRevision says
// when it changes.
type Change struct {
	Kind ChangeKind
	// Node is the member or the observing node.
	Node string
	// Check is the observed or external check.
	Check string
	// Endpoint is the overridden endpoint.
	Endpoint health.EndpointKey
	// Zone is the zone whose key set changed.
	Zone string
	// Region is the region whose override changed.
	Region string
}

// changeLogLimit is how many changes a state keeps; past it the older
// half goes, and a reader further behind than what is kept reads the
// state whole.
const changeLogLimit = 1 << 16

// changeLog identifies the states whose changes line up: a full read of
// the store starts another. Its field keeps two logs apart, as pointers
// to empty values may be equal.
type changeLog struct{ _ byte }

// ChangesSince returns what changed from prev to s, in order, and false
// when it cannot tell: prev is nil, was read before the store was read
// whole again, or is further behind than s keeps. The slice is shared:
// do not change it.
func (s *State) ChangesSince(prev *State) ([]Change, bool) {
	if prev == nil || s.log == nil || prev.log != s.log {
		return nil, false
	}
	from, to := prev.changesBase+len(prev.changes)-s.changesBase, len(s.changes)
	if from < 0 || from > to {
		return nil, false
	}
	return s.changes[from:to:to], true
}

// record lists one change of the state being built. The log is only
// appended to, past what any published state sees.
func (s *State) record(c Change) { s.changes = append(s.changes, c) }

// trimChanges keeps the newer half of a log that reached its limit, in
// an array of its own, so states before still see theirs.
func (s *State) trimChanges() {
	if len(s.changes) < changeLogLimit {
		return
	}
	drop := len(s.changes) - changeLogLimit/2
	s.changes = append([]Change(nil), s.changes[drop:]...)
	s.changesBase += drop
}
