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
}

// clone copies the maps so the copy can change while s is being read.
func (s *State) clone() *State {
	c := *s
	c.Members = maps.Clone(s.Members)
	c.Written = maps.Clone(s.Written)
	c.Observations = make(map[string]map[string]health.Observation, len(s.Observations))
	for n, obs := range s.Observations {
		c.Observations[n] = maps.Clone(obs)
	}
	c.Overrides = maps.Clone(s.Overrides)
	c.External = maps.Clone(s.External)
	return &c
}

func newState() *State {
	return &State{
		Members:      map[string]Member{},
		Written:      map[string]int64{},
		Observations: map[string]map[string]health.Observation{},
		Overrides:    map[health.EndpointKey]health.Override{},
		External:     map[string]health.External{},
	}
}
