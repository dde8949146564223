package admin

import (
	"net/netip"
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
	// good addresses are served while their grace lasts) or failed.
	State string `json:"state"`
	// Addresses are those the node answers for the endpoint now: none
	// while the target is pending or failed, so that a failed lookup's
	// old addresses are never shown as if current (LastGood has them).
	Addresses []string `json:"addresses"`
	// Failure says why the latest lookup failed; FailingSince is when
	// the lookups began to fail.
	Failure      string    `json:"failure,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	// LastGood, while the lookups fail, are the addresses the last good
	// lookup answered and when.
	LastGood   *TargetLastGood `json:"last_good,omitempty"`
	TTLSeconds int             `json:"ttl_seconds"`
	LookedUp   time.Time       `json:"looked_up,omitzero"`
	NextLookup time.Time       `json:"next_lookup,omitzero"`
	StaleUntil time.Time       `json:"stale_until,omitzero"`
}

// TargetLastGood are a failing target's last good addresses: still
// answered while the target is stale; when it has failed, answered only
// as the service's last resort (when_all_down: all).
type TargetLastGood struct {
	Addresses []string  `json:"addresses"`
	Resolved  time.Time `json:"resolved"`
}

// NewTargetStatus is st as the API shows it.
func NewTargetStatus(st health.TargetState) *TargetStatus {
	out := &TargetStatus{Name: st.Name, State: st.State, Addresses: []string{}, Failure: st.Failure, FailingSince: st.FailingSince,
		TTLSeconds: int(st.TTL / time.Second), LookedUp: st.LookedUp, NextLookup: st.Next, StaleUntil: st.StaleUntil}
	switch st.State {
	case health.TargetResolved, health.TargetStale:
		out.Addresses = addrStrings(st.Addresses)
	}
	if st.Failure != "" && len(st.Addresses) > 0 {
		out.LastGood = &TargetLastGood{Addresses: addrStrings(st.Addresses), Resolved: st.Resolved}
	}
	return out
}

// addrStrings is addrs as text.
func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
