package health

import "time"

// Observation is one node's latest result for one probed check. Nodes
// share Status and Since through the cluster store, written only when the
// status changes; Latency, Error and At describe the latest probe and
// travel apart (the store's batched detail), since they change with every
// probe and no verdict depends on them. Its JSON reads what nodes store:
// {"status","since"} today, and the {"status","latency_ns","error","at"}
// of nodes that rewrote every result.
type Observation struct {
	Status Status `json:"status"`
	// Since is when Status last changed on the observing node.
	Since   time.Time     `json:"since,omitzero"`
	Latency time.Duration `json:"latency_ns,omitempty"`
	Error   string        `json:"error,omitempty"`
	// At is when the latest probe was made.
	At time.Time `json:"at,omitzero"`
}

// Observation is the state's latest result as other nodes see it.
func (s State) Observation() Observation {
	return Observation{Status: s.Status, Since: s.Since, Latency: s.LastLatency, Error: s.LastError, At: s.LastAt}
}

// External is the status an outside system pushed for an external check.
// It holds until Expires; its JSON is the stored format.
type External struct {
	Healthy bool      `json:"healthy"`
	Expires time.Time `json:"expires"`
	At      time.Time `json:"at"`
}
