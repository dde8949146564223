package health

import "time"

// EndpointKey names one endpoint of one service, spelt as in the traffic
// document.
type EndpointKey struct {
	Service  string
	Endpoint string
}

// Override states.
const (
	// OverrideDown forces an endpoint down (drain).
	OverrideDown = "down"
	// OverrideUp forces an endpoint up.
	OverrideUp = "up"
)

// Override is an operator's decision about one endpoint, which beats any
// check. The same value is stored in etcd, carried by the admin API and
// read by Evaluate, so its JSON is both the stored and the API format.
type Override struct {
	// State is OverrideDown or OverrideUp; anything else is ignored.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// At is when the operator decided; zero when not known.
	At time.Time `json:"at,omitzero"`
}

// decides reports whether the override rules the endpoint: a stored
// state of another kind (written by hand, or by a later version) must not
// take an endpoint down.
func (o Override) decides() bool { return o.State == OverrideDown || o.State == OverrideUp }
