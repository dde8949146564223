package node

import (
	"slices"
	"strings"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// sharding is which checks this node probes, and whose results count
// for the sharded ones (a check with a vantage), under Node.mu.
type sharding struct {
	// vantages holds, for each sharded check, the live nodes chosen to
	// probe it (health.Vantages); nil while the node has no member view
	// to choose from, when it probes every check itself.
	vantages map[string][]string
	// vantagesGen counts the times vantages changed, so the evaluator
	// can tell it has followed the latest.
	vantagesGen uint64
	// shardTraffic and shardView are the document and the member view
	// (memberView's key) vantages and probing were made from.
	shardTraffic *config.Traffic
	shardView    string
	// hasSharded says whether the served document has a sharded check
	// (serveLocked sets it).
	hasSharded bool
	// probing names the checks handed to the scheduler.
	probing map[string]bool
}

// probeLocked hands the scheduler the checks this node probes: every
// probed check of the served document, but of a sharded one only when
// this node is among its vantage points. The vantage points are chosen
// again when the document or the live members change; a node that
// cannot see the members (the store unreachable, or its own lease lost
// and its entry gone) chooses none and probes everything, as the
// fail-static rule counts its own results alone.
func (n *Node) probeLocked() {
	if n.traffic == nil {
		return
	}
	// A document with no sharded check needs no view: members come and
	// go without touching the scheduler.
	var members []health.VantageNode
	var view string
	if n.hasSharded {
		members, view = n.memberViewLocked()
	}
	if n.traffic == n.shardTraffic && view == n.shardView {
		return
	}
	n.shardTraffic, n.shardView = n.traffic, view
	var vantages map[string][]string
	if members != nil {
		vantages = map[string][]string{}
		fleet := health.NewFleet(members)
		for _, c := range n.traffic.Checks {
			if c.Vantage != nil && health.Probed(c.Type) {
				vantages[c.Name] = fleet.Vantages(c.Name, c.Vantage.PerRegion)
			}
		}
	}
	if !sameVantages(vantages, n.vantages) {
		n.vantages = vantages
		n.vantagesGen++
	}
	probe := make([]config.Check, 0, len(n.traffic.Checks))
	probing := make(map[string]bool, len(n.traffic.Checks))
	for _, c := range n.traffic.Checks {
		if vs, sharded := vantages[c.Name]; sharded && !slices.Contains(vs, n.id) {
			continue
		}
		// The vantage is left out, so moving it restarts no probe.
		c.Vantage = nil
		probe = append(probe, c)
		probing[c.Name] = true
	}
	n.sched.Apply(probe)
	for name := range n.probing {
		if !probing[name] && n.checks[name] != nil {
			n.stoppedProbingLocked(name)
		}
	}
	for name := range probing {
		// A check newly probed here, or a sharded one this node has not
		// decided yet (it just joined and won it): either way the
		// results that counted until now came from elsewhere.
		_, sharded := vantages[name]
		if (n.probing != nil && !n.probing[name]) || sharded {
			n.takenOverLocked(name)
		}
	}
	n.probing = probing
}

// takenOverLocked starts a check this node now probes and did not
// before (its vantage points moved here, or it lost sight of the
// others), or has yet to decide, from the verdict it served until now,
// so the check does not count as healthy while this node's first
// results come in. A check its own results decided keeps them.
func (n *Node) takenOverLocked(check string) {
	if n.eval == nil {
		return
	}
	if v, ok := n.eval.Check(check); ok {
		if n.sched.Seed(check, v.Status, "taken over as "+v.Status.String()+" ("+v.Reason+"); this node's own results decide from here") {
			// Counted at once, not when the scheduler's change comes
			// round: cut off from the store, the node recounts by its
			// own results right after this, and a check it has no
			// result for would count healthy in between.
			n.ownChangedLocked(map[string]bool{check: true})
		}
	}
}

// stoppedProbingLocked withdraws this node's result for a check it still
// serves but no longer probes, from the store and from its own count: a
// result nobody renews must not vote, however the check is counted later.
func (n *Node) stoppedProbingLocked(check string) {
	if n.store != nil {
		n.store.Forget(check)
	}
	if n.eval != nil && n.evalTraffic == n.traffic {
		n.eval.SetObservation(n.id, check, health.Unknown)
	}
}

// memberViewLocked returns the live members to choose vantage points
// from, and a key that changes when they do (a heartbeat does not
// change it). It returns nil when the node cannot trust its view: no
// state read from the store yet, the store unreachable, this node not
// among the members (its lease lost), or, back from an outage, a member
// whose results do not count yet (health.Trust; each member writes its
// entry every few seconds): until then the node's own results for every
// check are what it can count on.
func (n *Node) memberViewLocked() ([]health.VantageNode, string) {
	st := n.state
	if st == nil || st.Revision == 0 || !n.trust.Reachable() {
		return nil, ""
	}
	if _, self := st.Members[n.id]; !self {
		return nil, ""
	}
	for id := range st.Members {
		if id != n.id && !n.trust.Counts(st.Written[id]) {
			return nil, ""
		}
	}
	members := make([]health.VantageNode, 0, len(st.Members))
	for id, m := range st.Members {
		members = append(members, health.VantageNode{ID: id, Region: m.Region})
	}
	slices.SortFunc(members, func(a, b health.VantageNode) int { return strings.Compare(a.ID, b.ID) })
	var key strings.Builder
	for _, m := range members {
		key.WriteString(m.ID)
		key.WriteByte(0)
		key.WriteString(m.Region)
		key.WriteByte(0)
	}
	return members, key.String()
}

// followVantagesLocked gives eval the vantage points of the checks whose
// choice moved since it last followed, and only those.
func (n *Node) followVantagesLocked() {
	if n.evalVantagesGen == n.vantagesGen {
		return
	}
	for check, vs := range n.vantages {
		if !slices.Equal(vs, n.evalVantages[check]) {
			n.eval.SetVantages(check, vs)
		}
	}
	for check := range n.evalVantages {
		if _, ok := n.vantages[check]; !ok {
			n.eval.SetVantages(check, nil)
		}
	}
	n.evalVantages, n.evalVantagesGen = n.vantages, n.vantagesGen
}

// votingLocked keeps, of a sharded check's results, those of its vantage
// points: a node that probed it before the choice moved has no vote, so
// the API does not show it as one.
func (n *Node) votingLocked(check string, obs []admin.Observation) []admin.Observation {
	vs, sharded := n.vantages[check]
	if !sharded {
		return obs
	}
	return slices.DeleteFunc(obs, func(o admin.Observation) bool { return !slices.Contains(vs, o.Node) })
}

// sameVantages reports whether two choices are the same; nil (no view)
// differs from an empty choice (a view, no sharded check).
func sameVantages(a, b map[string][]string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for check, vs := range a {
		if ws, ok := b[check]; !ok || !slices.Equal(vs, ws) {
			return false
		}
	}
	return true
}
