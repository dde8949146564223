package admin

import (
	"time"

	"github.com/gtmd/gtmd/pkg/health"
)

// TargetStatus is what an endpoint named by hostname resolves to on the
// node that answers, in GET /v1/health and /v1/explain. Each node looks
// its targets up itself, so two nodes may show different addresses for
// a while.
type TargetStatus struct {
	Name string `json:"name"`
	// State is pending, resolved, stale (the lookup failed and the last
	// addresses are served while their grace lasts) or failed.
	State string `json:"state"`
	// Addresses are those answered for the endpoint.
	Addresses []string `json:"addresses"`
	// Failure says why the latest lookup failed.
	Failure    string    `json:"failure,omitempty"`
	TTLSeconds int       `json:"ttl_seconds"`
	LookedUp   time.Time `json:"looked_up,omitzero"`
	NextLookup time.Time `json:"next_lookup,omitzero"`
	StaleUntil time.Time `json:"stale_until,omitzero"`
}

// NewTargetStatus is st as the API shows it.
func NewTargetStatus(st health.TargetState) *TargetStatus {
	out := &TargetStatus{Name: st.Name, State: st.State, Addresses: make([]string, len(st.Addresses)), Failure: st.Failure,
		TTLSeconds: int(st.TTL / time.Second), LookedUp: st.LookedUp, NextLookup: st.Next, StaleUntil: st.StaleUntil}
	for i, a := range st.Addresses {
		out.Addresses[i] = a.String()
	}
	return out
}
