package node

import (
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// evaluation is the one health rule kept current (health.Evaluator) and
// what it has taken in, under Node.mu.
type evaluation struct {
	eval *health.Evaluator
	// evalTraffic, evalState and evalTrust are the document, the store's
	// state and the trust eval follows.
	evalTraffic *config.Traffic
	evalState   *cluster.State
	evalTrust   health.Trust
	// counted names the other nodes whose results eval counts.
	counted map[string]bool
	// evalVantages and evalVantagesGen are the vantage points eval
	// follows (sharding).
	evalVantages    map[string][]string
	evalVantagesGen uint64
}

// followLocked brings eval up to date with the node's document, the
// store's state and whose results count, by what changed when it can
// tell. It reports whether it decided everything again: for a new
// document, or a state it cannot tell the changes of (the store read
// whole after an outage).
func (n *Node) followLocked() bool {
	if n.eval == nil || n.evalTraffic != n.traffic {
		n.rebuildLocked()
		return true
	}
	if st := n.state; st != n.evalState {
		if st == nil {
			n.rebuildLocked()
			return true
		}
		changes, ok := st.ChangesSince(n.evalState)
		if !ok {
			n.rebuildLocked()
			return true
		}
		n.evalState = st
		for _, c := range changes {
			n.applyLocked(c)
		}
	}
	n.followVantagesLocked()
	if n.trust != n.evalTrust {
		n.evalTrust = n.trust
		for node := range n.counted {
			n.recountLocked(node)
		}
		if n.state != nil {
			for node := range n.state.Observations {
				n.recountLocked(node)
			}
		}
	}
	return false
}

// rebuildLocked decides everything from the node's document, the
// store's state and its own results.
func (n *Node) rebuildLocked() {
	counted := n.countedLocked()
	in := health.Inputs{Traffic: n.traffic, Observations: counted, Vantages: n.vantages, Now: n.now()}
	if st := n.state; st != nil {
		in.Overrides, in.External = effectiveOverrides(n.traffic, st), st.External
	}
	in.Unresolved = n.unresolvedLocked()
	n.eval = health.NewEvaluator(in)
	n.evalTraffic, n.evalState, n.evalTrust = n.traffic, n.state, n.trust
	n.evalVantages, n.evalVantagesGen = n.vantages, n.vantagesGen
	n.counted = make(map[string]bool, len(counted))
	for node := range counted {
		if node != n.id {
			n.counted[node] = true
		}
	}
}

// applyLocked takes in one change of the store's state.
func (n *Node) applyLocked(c cluster.Change) {
	st := n.state
	switch c.Kind {
	case cluster.ChangeMember:
		n.recountLocked(c.Node)
	case cluster.ChangeObservation:
		// This node's own results come from its checks, not the store.
		if c.Node == n.id {
			return
		}
		was := n.counted[c.Node]
		n.recountLocked(c.Node)
		if was && n.counted[c.Node] {
			n.eval.SetObservation(c.Node, c.Check, st.Observations[c.Node][c.Check].Status)
		}
	case cluster.ChangeOverride:
		n.eval.SetOverride(c.Endpoint, effectiveOverride(n.traffic, st, c.Endpoint))
	case cluster.ChangeRegionOverride:
		for _, k := range regionEndpoints(n.traffic, c.Region) {
			n.eval.SetOverride(k, effectiveOverrideIn(st, k, c.Region))
		}
	case cluster.ChangeExternal:
		n.eval.SetExternal(c.Check, st.External[c.Check])
	}
}

// recountLocked decides again whether another node's results count
// (health.Trust.Counted's rule), and gives or takes them from eval when
// that changed.
func (n *Node) recountLocked(node string) {
	counts := false
	if st := n.state; st != nil && node != n.id {
		_, live := st.Members[node]
		counts = live && n.trust.Counts(st.Written[node])
	}
	switch {
	case counts == n.counted[node]:
	case counts:
		n.counted[node] = true
		n.eval.SetNode(node, n.state.Observations[node])
	default:
		delete(n.counted, node)
		n.eval.SetNode(node, nil)
	}
}

// ownChangedLocked takes in this node's new results for checks whose
// status moved.
func (n *Node) ownChangedLocked(checks map[string]bool) {
	if n.eval == nil || n.evalTraffic != n.traffic {
		// The next publication decides everything, own results included.
		return
	}
	for c := range checks {
		n.eval.SetObservation(n.id, c, n.sched.Status(c))
	}
}
