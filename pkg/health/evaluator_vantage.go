package health

import "slices"

// SetVantages takes the nodes chosen to probe a sharded check now (see
// Vantages); nil makes it count every node again. A member joining or
// leaving moves the vantage points of some checks: only those are
// recounted and decided again, each at the cost of the nodes counted.
func (e *Evaluator) SetVantages(check string, nodes []string) {
	cn := e.node(check)
	if nodes == nil {
		if cn.vantage == nil {
			return
		}
		cn.vantage = nil
	} else {
		vs := vantageList(nodes)
		if cn.vantage != nil && slices.Equal(vs, cn.vantage) {
			return
		}
		cn.vantage = vs
	}
	cn.up, cn.down = 0, 0
	if cn.vantage == nil {
		for _, byCheck := range e.obs {
			cn.count(byCheck[check], 1)
		}
	} else {
		// Only the vantage points vote: a few lookups, not one a node.
		for _, node := range cn.vantage {
			cn.count(e.obs[node][check], 1)
		}
	}
	e.refresh(cn)
}

// vantageList is nodes sorted, each once, in a list of its own; never
// nil, so an empty choice counts nobody.
func vantageList(nodes []string) []string {
	vs := make([]string, len(nodes))
	copy(vs, nodes)
	slices.Sort(vs)
	return slices.Compact(vs)
}

// Check returns a check's verdict, and false for a check the document
// lacks.
func (e *Evaluator) Check(name string) (Verdict, bool) {
	cn := e.checks[name]
	if cn == nil || cn.cfg == nil {
		return Verdict{}, false
	}
	return cn.verdict, true
}
