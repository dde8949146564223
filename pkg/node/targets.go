package node

import (
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// Endpoints named by hostname: health.Targets looks the names up off
// the query path; each change of a target's addresses is swapped into
// the served snapshot for the services that use it alone
// (resolver.Snapshot.WithTargets), and each change of whether it
// resolves goes to the health rule (Evaluator.SetUnresolved), as a
// check's result does.

// targeting is what the node has taken in from its targets, under
// Node.mu.
type targeting struct {
	targets *health.Targets
	// targetAddrs are the addresses of each target in the served
	// snapshot, which a snapshot published whole takes again.
	targetAddrs map[string][]netip.Addr
}

// newTargets makes the node's target lookups from the node file.
func (n *Node) newTargets(c *config.Node) (err error) {
	r := c.Resolver
	n.targets, err = health.NewTargets(health.TargetOptions{
		Servers: r.Servers, MinTTL: time.Duration(r.MinTTL), MaxTTL: time.Duration(r.MaxTTL), Timeout: time.Duration(r.Timeout),
		Logger: n.log, Registerer: n.reg, OnChange: n.targetChanged,
	})
	n.targetAddrs = map[string][]netip.Addr{}
	return err
}

// targetChanged is Targets' OnChange: as checkChanged, it notes the
// target and wakes the run loop.
func (n *Node) targetChanged(name string) {
	n.noteChanged(&n.targetsChanged, n.targetsWake, name)
}

// targetsOf lists the host names t's endpoints are named by.
func targetsOf(t *config.Traffic) []string {
	var out []string
	for _, svc := range t.Services {
		for _, e := range svc.Endpoints {
			if e.Target != "" && !slices.Contains(out, e.Target) {
				out = append(out, e.Target)
			}
		}
	}
	return out
}

// applyTargetsLocked has the served document's targets looked up, and
// forgets the addresses of those it no longer has.
func (n *Node) applyTargetsLocked(names []string) {
	n.targets.Apply(names)
	maps.DeleteFunc(n.targetAddrs, func(name string, _ []netip.Addr) bool { return !slices.Contains(names, name) })
}

// publishTargets takes in the targets that changed: their addresses
// into the served snapshot, whether they resolve into health.
func (n *Node) publishTargets() {
	changed := n.takeChanged(&n.targetsChanged)
	n.mu.Lock()
	defer n.mu.Unlock()
	moved := map[string][]netip.Addr{}
	for name := range changed {
		st, ok := n.targets.State(name)
		if !ok {
			// Left out of the served document meanwhile.
			continue
		}
		if !slices.Equal(st.Addresses, n.targetAddrs[name]) {
			n.targetAddrs[name] = st.Addresses
			moved[name] = st.Addresses
		}
		if n.eval != nil && n.evalTraffic == n.traffic {
			n.eval.SetUnresolved(name, st.Unresolved())
		}
	}
	if len(moved) > 0 && n.published != nil && n.publishedBase == n.base {
		n.published = n.published.WithTargets(moved)
		n.handler.Swap(n.published)
	}
	n.publishLocked()
}

// targetStatus is a target as the API shows it; nil for "", an
// endpoint with addresses of its own.
func (n *Node) targetStatus(name string) *admin.TargetStatus {
	if name == "" {
		return nil
	}
	return admin.NewTargetStatus(n.targetState(name))
}

// targetState is the lookups' state of target name: pending until they
// have one.
func (n *Node) targetState(name string) health.TargetState {
	if st, ok := n.targets.State(name); ok {
		return st
	}
	return health.TargetState{Name: name, State: health.TargetPending}
}

// unresolvedLocked is why each target of the served document that
// cannot be served is not: Inputs.Unresolved.
func (n *Node) unresolvedLocked() map[string]string {
	out := map[string]string{}
	if n.traffic == nil {
		return out
	}
	for _, svc := range n.traffic.Services {
		for _, e := range svc.Endpoints {
			if e.Target == "" {
				continue
			}
			if reason := n.targetState(e.Target).Unresolved(); reason != "" {
				out[e.Target] = reason
			}
		}
	}
	return out
}
