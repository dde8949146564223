package resolver

import (
	"slices"

	"github.com/miekg/dns"
)

// HealthChange is one endpoint's new health, a change to a snapshot.
type HealthChange struct {
	// Service and Endpoint are spelt as in the traffic document.
	Service, Endpoint string
	Healthy           bool
}

// healthChunk is how many services share one chunk of a healthTable.
const healthChunk = 64

// healthTable holds each service's endpoints' health, by service index,
// in chunks: a snapshot that changes a few services copies their chunks
// and the list of chunks, and shares every other chunk. Nothing in it is
// written once a snapshot holds it.
type healthTable struct {
	chunks [][]serviceHealth
}

// serviceHealth is one service's endpoints' health, and the key its
// policy's decisions are remembered under in the decision table: a
// change to the service's health gives it a new key, so that snapshots
// sharing the table never share a decision made under other health.
type serviceHealth struct {
	up  []bool
	key int
}

// of returns the health of service i's endpoints.
func (t healthTable) of(i int) []bool { return t.chunks[i/healthChunk][i%healthChunk].up }

// key returns the decision table key of service i under this health.
func (t healthTable) key(i int) int { return t.chunks[i/healthChunk][i%healthChunk].key }

// newHealthTable takes each endpoint's health from healthy; each service's
// key is its index.
func newHealthTable(services []*serviceNode, healthy func(service, endpoint string) bool) healthTable {
	t := healthTable{chunks: make([][]serviceHealth, (len(services)+healthChunk-1)/healthChunk)}
	for i, sn := range services {
		if i%healthChunk == 0 {
			t.chunks[i/healthChunk] = make([]serviceHealth, min(healthChunk, len(services)-i))
		}
		h := make([]bool, len(sn.endpoints))
		for j := range sn.endpoints {
			h[j] = healthy(sn.name, sn.endpoints[j].id)
		}
		t.chunks[i/healthChunk][i%healthChunk] = serviceHealth{up: h, key: i}
	}
	return t
}

// WithHealthChanges returns a snapshot like s but for the endpoints
// listed, which take the health given; an endpoint s lacks is passed
// over. It copies only the health of the services changed (and a list of
// one entry per 64 services), sharing the rest with s, so a change costs
// what it touches rather than the number of services. The new snapshot
// shares s's remembered decisions too, but for the services changed,
// whose policies choose again.
func (s *Snapshot) WithHealthChanges(changes []HealthChange) *Snapshot {
	next := *s
	// A key no snapshot sharing the decision table has used: the number
	// of changes made so far, times the number of services, plus the
	// service's index.
	var gen int
	if s.decisionGen != nil {
		gen = int(s.decisionGen.Add(1))
	}
	next.health = healthTable{chunks: slices.Clone(s.health.chunks)}
	chunks := map[int]bool{}
	services := map[int]bool{}
	for _, c := range changes {
		for _, i := range s.byName[dns.CanonicalName(c.Service)] {
			for j := range s.services[i].endpoints {
				if s.services[i].endpoints[j].id != c.Endpoint {
					continue
				}
				ci := i / healthChunk
				if !chunks[ci] {
					next.health.chunks[ci] = slices.Clone(next.health.chunks[ci])
					chunks[ci] = true
				}
				sh := &next.health.chunks[ci][i%healthChunk]
				if !services[i] {
					sh.up, sh.key = slices.Clone(sh.up), gen*len(s.services)+i
					services[i] = true
				}
				sh.up[j] = c.Healthy
			}
		}
	}
	return &next
}
