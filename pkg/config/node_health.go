package config

// The node file's health section: how this node runs its probes. The
// checks themselves are in the traffic document, shared by every node;
// what one machine can afford in probes at once is its own.

// DefaultMaxConcurrentProbes is the ceiling on probes in flight when the
// node file does not set health.max_concurrent_probes: room for 2,000
// checks whose targets all hang until a timeout as long as their interval.
const DefaultMaxConcurrentProbes = 2048

// maxConcurrentProbesLimit bounds the setting: each probe in flight holds
// a socket, and a node beyond this would run out of ports to one target.
const maxConcurrentProbesLimit = 65536

// NodeHealth is how this node runs health probes.
type NodeHealth struct {
	// MaxConcurrentProbes is the ceiling on probes in flight. Within it
	// the node sizes the bound from the checks' timeouts and intervals,
	// so a target that hangs never delays another check's probe.
	MaxConcurrentProbes int `yaml:"max_concurrent_probes" json:"max_concurrent_probes"`
}

func defaultNodeHealth() NodeHealth {
	return NodeHealth{MaxConcurrentProbes: DefaultMaxConcurrentProbes}
}

func (n *Node) validateHealth(l *faultList) {
	if p := n.Health.MaxConcurrentProbes; p < 1 || p > maxConcurrentProbesLimit {
		l.addf("health.max_concurrent_probes", "%d must be between 1 and %d", p, maxConcurrentProbesLimit)
	}
}
