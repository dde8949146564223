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

// WithHealthChanges returns a snapshot like s but for the endpoints
// listed, which take the health given; an endpoint s lacks is passed
// over. It copies the health of the services changed only, and shares
// the rest with s, so a change costs what it touches rather than the
// number of services. Like WithHealth, the new snapshot remembers no
// earlier decision.
func (s *Snapshot) WithHealthChanges(changes []HealthChange) *Snapshot {
	next := *s
	if len(s.services) > 0 {
		next.decisions = new(decisionTable)
	}
	next.health = slices.Clone(s.health)
	copied := map[int]bool{}
	for _, c := range changes {
		for _, i := range s.byName[dns.CanonicalName(c.Service)] {
			for j := range s.services[i].endpoints {
				if s.services[i].endpoints[j].id != c.Endpoint {
					continue
				}
				if !copied[i] {
					next.health[i] = slices.Clone(next.health[i])
					copied[i] = true
				}
				next.health[i][j] = c.Healthy
			}
		}
	}
	return &next
}
