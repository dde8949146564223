package cluster

import (
	"maps"

	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// Member is a node's entry in the store; the type is package member's,
// which the admin API shares without linking etcd.
type Member = member.Member

// State is what the store holds, as of one etcd revision. It is never
// changed once handed out.
type State struct {
	// Revision is the etcd revision the state reflects.
	Revision int64
	// Traffic is the traffic document, nil when none is stored;
	// TrafficRevision is the revision that stored it, the zones' serial.
	Traffic         *config.Traffic
	TrafficRevision int64
	// TrafficError says why a stored document could not be read.
	TrafficError error
	Members      map[string]Member
	Observations map[string]map[string]health.Observation // node → check → result
	// Written is, per node, the latest revision at which it wrote its
	// member entry or an observation: a reader that was cut off can tell
	// which nodes have spoken since it came back.
	Written   map[string]int64
	Overrides map[health.EndpointKey]health.Override
	External  map[string]health.External

	// changes, changesBase (the place of changes[0] in the log) and
	// log are what ChangesSince reads (changes.go).
	changes     []Change
	changesBase int
	log         *changeLog
	// owned names the nodes whose observations this state copied while
	// a batch is applied to it; nil once published, and in a state read
	// whole, which owns every map.
	owned map[string]bool
}

// clone copies the state for the next batch of changes. Each node's
// observations stay shared until the batch writes one of them
// (observationsOf), so a batch costs what it changes, not what the store
// holds.
func (s *State) clone() *State {
	c := *s
	c.Members = maps.Clone(s.Members)
	c.Written = maps.Clone(s.Written)
	c.Observations = maps.Clone(s.Observations)
	c.owned = map[string]bool{}
	c.Overrides = maps.Clone(s.Overrides)
	c.External = maps.Clone(s.External)
	c.trimChanges()
	return &c
}

// observationsOf returns node's observations for writing, copying them
// first when the state shares them with the one before.
func (s *State) observationsOf(node string) map[string]health.Observation {
	obs := s.Observations[node]
	if s.owned != nil && !s.owned[node] {
		obs = maps.Clone(obs)
		s.owned[node] = true
	}
	if obs == nil {
		obs = map[string]health.Observation{}
	}
	s.Observations[node] = obs
	return obs
}

func newState() *State {
	return &State{
		Members:      map[string]Member{},
		Written:      map[string]int64{},
		Observations: map[string]map[string]health.Observation{},
		Overrides:    map[health.EndpointKey]health.Override{},
		External:     map[string]health.External{},
		log:          &changeLog{},
	}
}
