package health

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
		delete(e.vantages, check)
		cn.vantage = nil
	} else {
		set := setOf(nodes)
		if sameSet(set, cn.vantage) {
			return
		}
		e.vantages[check] = append([]string(nil), nodes...)
		cn.vantage = set
	}
	cn.up, cn.down = 0, 0
	for node, byCheck := range e.obs {
		if st, ok := byCheck[check]; ok && cn.counts(node) {
			cn.count(st, 1)
		}
	}
	e.refresh(cn)
}

// setOf is nodes as a set; never nil, so an empty list counts nobody.
func setOf(nodes []string) map[string]bool {
	set := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		set[n] = true
	}
	return set
}

// sameSet reports whether a vantage set is b; nil (every node) is no set.
func sameSet(a, b map[string]bool) bool {
	if b == nil || len(a) != len(b) {
		return false
	}
	for n := range a {
		if !b[n] {
			return false
		}
	}
	return true
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
