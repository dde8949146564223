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
	// member entry, an observation or its probe detail: a reader that was
	// cut off can tell which nodes have spoken since it came back.
	Written   map[string]int64
	Overrides map[health.EndpointKey]health.Override
	// RegionOverrides are the region-wide overrides, by region name: each
	// holds for every endpoint of that region that has no override of
	// its own.
	RegionOverrides map[string]health.Override
	External        map[string]health.External
	// KeySets are the zones' DNSSEC key sets, by zone name (lower case,
	// fully qualified). They outlive their zones in the document, so a
	// zone added again signs with the keys it had.
	KeySets map[string]StoredKeySet
	// Zones are the zones' static records as stored (zones.go), by zone
	// name (lower case, fully qualified), the document's and those
	// written by the zones API and UPDATE alike. A zone the document
	// no longer has keeps its records here, unserved.
	Zones map[string]*ZoneRecords
	// details holds each node's detail key as stored (see Details).
	details map[string][]byte

	// changes, changesBase (the place of changes[0] in the log) and
	// log are what ChangesSince reads (changes.go).
	changes     []Change
	changesBase int
	log         *changeLog
	// owned says which maps this state copied while a batch is applied
	// to it; nil once published, and in a state read whole, which owns
	// every map.
	owned *owned
}

// clone copies the state for the next batch of changes. Each node's
// observations, the overrides and the pushed statuses stay shared until
// the batch writes them (observationsOf, overridesForWrite,
// externalForWrite), so a batch costs what it changes, not what the
// store holds.
func (s *State) clone() *State {
	c := *s
	c.Members = maps.Clone(s.Members)
	c.Written = maps.Clone(s.Written)
	c.Observations = maps.Clone(s.Observations)
	// One entry per node, the bytes shared: cheap to copy whole.
	c.details = maps.Clone(s.details)
	c.owned = &owned{observations: map[string]bool{}, zones: map[string]bool{}}
	c.trimChanges()
	return &c
}

// observationsOf returns node's observations for writing, copying them
// first when the state shares them with the one before.
func (s *State) observationsOf(node string) map[string]health.Observation {
	obs := s.Observations[node]
	if s.owned != nil && !s.owned.observations[node] {
		obs = maps.Clone(obs)
		s.owned.observations[node] = true
	}
	if obs == nil {
		obs = map[string]health.Observation{}
	}
	s.Observations[node] = obs
	return obs
}

// owned is what a state being built has copied from the one before.
type owned struct {
	observations                          map[string]bool
	overrides, regions, external, keySets bool
	// zones are the zones copied, zoneMap whether Zones itself is.
	zones   map[string]bool
	zoneMap bool
}

// overridesForWrite returns the overrides for writing, copying them
// first when the state shares them with the one before.
func (s *State) overridesForWrite() map[health.EndpointKey]health.Override {
	if s.owned != nil && !s.owned.overrides {
		s.Overrides = maps.Clone(s.Overrides)
		s.owned.overrides = true
	}
	return s.Overrides
}

// regionsForWrite returns the region-wide overrides for writing, copying
// them first when the state shares them with the one before.
func (s *State) regionsForWrite() map[string]health.Override {
	if s.owned != nil && !s.owned.regions {
		s.RegionOverrides = maps.Clone(s.RegionOverrides)
		s.owned.regions = true
	}
	return s.RegionOverrides
}

// externalForWrite returns the pushed statuses for writing, copying them
// first when the state shares them with the one before.
func (s *State) externalForWrite() map[string]health.External {
	if s.owned != nil && !s.owned.external {
		s.External = maps.Clone(s.External)
		s.owned.external = true
	}
	return s.External
}

// keySetsForWrite returns the key sets for writing, copying them first
// when the state shares them with the one before.
func (s *State) keySetsForWrite() map[string]StoredKeySet {
	if s.owned != nil && !s.owned.keySets {
		s.KeySets = maps.Clone(s.KeySets)
		s.owned.keySets = true
	}
	return s.KeySets
}

func newState() *State {
	return &State{
		Members:         map[string]Member{},
		Written:         map[string]int64{},
		Observations:    map[string]map[string]health.Observation{},
		Overrides:       map[health.EndpointKey]health.Override{},
		RegionOverrides: map[string]health.Override{},
		External:        map[string]health.External{},
		KeySets:         map[string]StoredKeySet{},
		Zones:           map[string]*ZoneRecords{},
		details:         map[string][]byte{},
		log:             &changeLog{},
	}
}
