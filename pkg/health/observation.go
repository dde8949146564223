package health

import "time"

// Observation is one node's latest result for one probed check, as nodes
// share it through the cluster store. Its JSON is the stored format.
type Observation struct {
	Status  Status        `json:"status"`
	Latency time.Duration `json:"latency_ns,omitempty"`
	Error   string        `json:"error,omitempty"`
	At      time.Time     `json:"at"`
}

// Observation is the state's latest result as other nodes see it.
func (s State) Observation() Observation {
	return Observation{Status: s.Status, Latency: s.LastLatency, Error: s.LastError, At: s.LastAt}
}

// External is the status an outside system pushed for an external check.
// It holds until Expires; its JSON is the stored format.
type External struct {
	Healthy bool      `json:"healthy"`
	Expires time.Time `json:"expires"`
	At      time.Time `json:"at"`
}
