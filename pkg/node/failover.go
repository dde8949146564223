package node

import (
	"slices"
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
	// tipped is when the node whose result tipped the quorum turned the
	// check down: from then on the cluster's verdict is down, and what
	// remains is propagation.
	tipped time.Time
	// firstProbe estimates the first failed probe: fall − 1 intervals
	// before the earliest down of this failure.
	firstProbe time.Time
}

// endpointDownLocked measures a failover: this node has just stopped
// serving k, an endpoint with check. It records the time from the
// check's first failed probe on any counted node to now, and the
// propagation part from the cluster's verdict turning down, unless no
// probe decided it (an override, an external or missing check), or the
// failure tipped before the node started: a node restarted while a
// region is down learns of it from the others and drops the endpoint at
// once, which is no failover.
func (n *Node) endpointDownLocked(k health.EndpointKey, check string) {
	if check == "" || n.traffic == nil {
		return
	}
	if n.state != nil {
		if _, ok := n.state.Overrides[k]; ok {
			return
		}
	}
	f, ok := n.failureLocked(check, map[string]bool{})
	if !ok {
		return
	}
	now := n.now()
	propagation := max(now.Sub(f.tipped), 0)
	if propagation > staleFailure || f.tipped.Before(n.watchingSince) {
		return
	}
	n.failover.record(k.Service, max(now.Sub(f.firstProbe), propagation), propagation)
}

// failureLocked says when check's failure began (episodeStart for a
// probed check); a calculated check's is its latest failed child's, the
// one that tipped it. External checks are not probed: their failures
// have no start here.
func (n *Node) failureLocked(name string, seen map[string]bool) (failure, bool) {
	c := n.checks[name]
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
			if f, ok := n.failureLocked(child, seen); ok && (!found || f.firstProbe.After(last.firstProbe)) {
				last, found = f, true
			}
		}
		return last, found
	}
	var downs []time.Time
	up := 0
	count := func(o health.Observation) {
		switch {
		case o.Status == health.Up:
			up++
		case o.Status == health.Down && !o.Since.IsZero():
			downs = append(downs, o.Since)
		}
	}
	if st, ok := n.sched.State(name); ok {
		count(st.Observation())
	}
	// The other nodes whose results count, as the evaluator counts them
	// (followLocked keeps n.counted; a node without results reads Unknown).
	if st := n.state; st != nil {
		for id := range n.counted {
			count(st.Observations[id][name])
		}
	}
	// The document was validated, its defaults filled in.
	interval := c.Interval.Std()
	first, tipped, ok := episodeStart(downs, up, n.traffic.Settings.HealthQuorum, interval+c.Timeout.Std())
	if !ok {
		return failure{}, false
	}
	return failure{tipped: tipped, firstProbe: first.Add(-time.Duration(c.Fall-1) * interval)}, true
}

// episodeStart picks, among the times the nodes that see a check down
// turned it so, the failure that took it down: the down that tipped the
// quorum (with up nodes seeing it up), and the earliest down within window
// (an interval and a timeout: how far apart the nodes' probes of one
// failure land) before it. A node that has seen the check down for long,
// outvoted until now, started no part of this failure.
func episodeStart(downs []time.Time, up int, quorum float64, window time.Duration) (first, tipped time.Time, ok bool) {
	if len(downs) == 0 {
		return time.Time{}, time.Time{}, false
	}
	slices.SortFunc(downs, func(a, b time.Time) int { return a.Compare(b) })
	total := up + len(downs)
	tip := len(downs) - 1
	for k := 1; k <= len(downs); k++ {
		// Down once the k earliest downs leave too few up.
		if !health.QuorumUp(total-k, total, quorum) {
			tip = k - 1
			break
		}
	}
	from := downs[tip].Add(-window)
	i, _ := slices.BinarySearchFunc(downs, from, func(a, b time.Time) int { return a.Compare(b) })
	return downs[i], downs[tip], true
}
