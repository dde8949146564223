package config

// The node file's health section: how this node runs its probes. The
// checks themselves are in the traffic document, shared by every node;
// what one machine can afford in probes at once is its own.

// DefaultMaxConcurrentProbes is the ceiling on probes in flight when the
// node file does not set health.max_concurrent_probes: five times what
// 2,000 checks at 1s of 50 ms targets keep in flight, and low enough that
// a start on a host short of CPU does not run thousands of probes at once
// so slowly that they all pass their timeout (bench/RESULTS.md).
const DefaultMaxConcurrentProbes = 512

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
