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
	chunks [][][]bool
}

// of returns the health of service i's endpoints.
func (t healthTable) of(i int) []bool { return t.chunks[i/healthChunk][i%healthChunk] }

// newHealthTable takes each endpoint's health from healthy.
func newHealthTable(services []*serviceNode, healthy func(service, endpoint string) bool) healthTable {
	t := healthTable{chunks: make([][][]bool, (len(services)+healthChunk-1)/healthChunk)}
	for i, sn := range services {
		if i%healthChunk == 0 {
			t.chunks[i/healthChunk] = make([][]bool, min(healthChunk, len(services)-i))
		}
		h := make([]bool, len(sn.endpoints))
		for j := range sn.endpoints {
			h[j] = healthy(sn.name, sn.endpoints[j].id)
		}
		t.chunks[i/healthChunk][i%healthChunk] = h
	}
	return t
}

// WithHealthChanges returns a snapshot like s but for the endpoints
// listed, which take the health given; an endpoint s lacks is passed
// over. It copies only the health of the services changed (and a list of
// one entry per 64 services), sharing the rest with s, so a change costs
// what it touches rather than the number of services. Like WithHealth,
// the new snapshot remembers no earlier decision.
func (s *Snapshot) WithHealthChanges(changes []HealthChange) *Snapshot {
	next := *s
	if len(s.services) > 0 {
		next.decisions = new(decisionTable)
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
				if !services[i] {
					next.health.chunks[ci][i%healthChunk] = slices.Clone(next.health.of(i))
					services[i] = true
				}
				next.health.of(i)[j] = c.Healthy
			}
		}
	}
	return &next
}
