package node

import (
	"cmp"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// staleFailure is how old a check's failure may be and still be a
// failover this node measures. An endpoint that stops being served long
// after its check failed does so for another reason (an override lifted,
// a node back from an outage counting the others' results again): its
// time says nothing of how fast the cluster fails over.
const staleFailure = 10 * time.Minute

// failure is when a check's failure began, as the counted results tell.
type failure struct {
	// firstDown is the earliest a counted node turned the check down.
	firstDown time.Time
	// firstProbe estimates the first failed probe: fall − 1 intervals
	// before firstDown.
	firstProbe time.Time
}

// endpointDownLocked measures a failover: this node has just stopped
// serving k, an endpoint with check. It records the time from the
// check's first failed probe on any counted node to now, and the
// propagation part from that node's verdict of down, unless no probe
// decided it (an override, an external or missing check).
func (n *Node) endpointDownLocked(k health.EndpointKey, check string) {
	if check == "" || n.traffic == nil {
		return
	}
	if n.state != nil {
		if _, ok := n.state.Overrides[k]; ok {
			return
		}
	}
	f, ok := n.failureLocked(n.failover.checksOf(n.traffic), check, n.countedOthersLocked(), map[string]bool{})
	if !ok {
		return
	}
	now := n.now()
	propagation := max(now.Sub(f.firstDown), 0)
	if propagation > staleFailure {
		return
	}
	n.failover.record(k.Service, max(now.Sub(f.firstProbe), propagation), propagation)
}

// countedOthersLocked returns the other nodes' results that count, by
// node then check (health.Trust), without copying this node's own.
func (n *Node) countedOthersLocked() map[string]map[string]health.Observation {
	counted := map[string]map[string]health.Observation{}
	if st := n.state; st != nil {
		live := func(id string) bool { _, ok := st.Members[id]; return ok }
		counted = n.trust.Counted(n.id, nil, st.Observations, st.Written, live)
	}
	delete(counted, n.id)
	return counted
}

// failureLocked says when check's failure began. A probed check's began
// with the earliest down among this node's result and others; a
// calculated check's with its latest failed child's, the one that tipped
// it. External checks are not probed: their failures have no start here.
func (n *Node) failureLocked(checks map[string]*config.Check, name string, others map[string]map[string]health.Observation, seen map[string]bool) (failure, bool) {
	c := checks[name]
	if c == nil || seen[name] {
		return failure{}, false
	}
	seen[name] = true
	defer delete(seen, name)
	switch c.Type {
	case config.CheckExternal:
		return failure{}, false
	case config.CheckCalculated:
		var last failure
		found := false
		for _, child := range c.Children {
			if f, ok := n.failureLocked(checks, child, others, seen); ok && (!found || f.firstProbe.After(last.firstProbe)) {
				last, found = f, true
			}
		}
		return last, found
	}
	var first time.Time
	down := func(o health.Observation) {
		if o.Status == health.Down && !o.Since.IsZero() && (first.IsZero() || o.Since.Before(first)) {
			first = o.Since
		}
	}
	if st, ok := n.sched.State(name); ok {
		down(st.Observation())
	}
	for _, obs := range others {
		down(obs[name])
	}
	if first.IsZero() {
		return failure{}, false
	}
	interval := cmp.Or(c.Interval.Std(), config.DefaultInterval.Std())
	fall := cmp.Or(c.Fall, config.DefaultFall)
	return failure{firstDown: first, firstProbe: first.Add(-time.Duration(fall-1) * interval)}, true
}
