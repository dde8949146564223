package health

import (
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// SetObservation takes a counted node's new status for a check; Unknown
// is no result. Giving a node not yet counted counts it.
func (e *Evaluator) SetObservation(node, check string, st Status) {
	if cn := e.store(node, check, st); cn != nil {
		e.refresh(cn)
	}
}

// SetNode replaces all of a node's results: a node that becomes counted
// (joined, or trusted again), or nil for one that no longer is. It costs
// the number of results the node had and has.
func (e *Evaluator) SetNode(node string, obs map[string]Observation) {
	var touched []*checkNode
	for check := range e.obs[node] {
		if _, ok := obs[check]; !ok {
			if cn := e.store(node, check, Unknown); cn != nil {
				touched = append(touched, cn)
			}
		}
	}
	for check, o := range obs {
		if cn := e.store(node, check, o.Status); cn != nil {
			touched = append(touched, cn)
		}
	}
	if e.whole && len(touched) > 0 {
		e.decideAll()
		return
	}
	for _, cn := range touched {
		e.refresh(cn)
	}
}

// store records a status and recounts the check; it returns the check
// when the document has it and the status changed.
func (e *Evaluator) store(node, check string, st Status) *checkNode {
	if st != Up && st != Down {
		st = Unknown
	}
	byCheck := e.obs[node]
	old := byCheck[check]
	if old == st {
		return nil
	}
	if st == Unknown {
		delete(byCheck, check)
		if len(byCheck) == 0 {
			delete(e.obs, node)
		}
	} else {
		if byCheck == nil {
			byCheck = map[string]Status{}
			e.obs[node] = byCheck
		}
		byCheck[check] = st
	}
	cn := e.checks[check]
	if cn == nil || !cn.counts(node) {
		return nil
	}
	cn.count(old, -1)
	cn.count(st, 1)
	return cn
}

// SetOverride takes an operator's decision about an endpoint; the zero
// Override clears it.
func (e *Evaluator) SetOverride(k EndpointKey, o Override) {
	if o == (Override{}) {
		delete(e.overrides, k)
	} else {
		e.overrides[k] = o
	}
	en := e.endpoints[k]
	switch {
	case en == nil:
	case e.whole:
		e.decideAll()
	default:
		e.refreshEndpoint(en)
	}
}

// SetUnresolved takes why an endpoint target did not resolve, or ""
// once it does; it decides again the endpoints named by it.
func (e *Evaluator) SetUnresolved(target, reason string) {
	if e.unresolved[target] == reason {
		return
	}
	if reason == "" {
		delete(e.unresolved, target)
	} else {
		e.unresolved[target] = reason
	}
	if e.whole {
		e.decideAll()
		return
	}
	for _, en := range e.targets[target] {
		e.refreshEndpoint(en)
	}
}

// SetExternal takes a pushed status of an external check; the zero
// External is none.
func (e *Evaluator) SetExternal(check string, x External) {
	if x == (External{}) {
		delete(e.external, check)
	} else {
		e.external[check] = x
	}
	cn := e.checks[check]
	if cn == nil || cn.cfg == nil || cn.cfg.Type != config.CheckExternal {
		return
	}
	e.schedule(check, x)
	e.refresh(cn)
}

// Advance moves the evaluator's clock to now, which takes out the
// pushed statuses that expire by then. A clock that goes back decides
// every external check again.
func (e *Evaluator) Advance(now time.Time) {
	if now.Before(e.now) {
		e.now = now
		e.expiries = e.expiries[:0]
		e.scheduleExpiries()
		for _, cn := range e.checks {
			if cn.cfg != nil && cn.cfg.Type == config.CheckExternal {
				e.refresh(cn)
			}
		}
		return
	}
	e.now = now
	for len(e.expiries) > 0 && !now.Before(e.expiries[0].at) {
		x := e.expiries.pop()
		// A status pushed again since has its own entry.
		if e.external[x.check].Expires.Equal(x.at) {
			e.refresh(e.checks[x.check])
		}
	}
}

// scheduleExpiries queues the expiry of every external check's status.
func (e *Evaluator) scheduleExpiries() {
	for name, cn := range e.checks {
		if cn.cfg != nil && cn.cfg.Type == config.CheckExternal {
			e.schedule(name, e.external[name])
		}
	}
}

// schedule queues the expiry of a status that has not expired yet.
func (e *Evaluator) schedule(check string, x External) {
	if !x.At.IsZero() && e.now.Before(x.Expires) {
		e.expiries.push(expiry{at: x.Expires, check: check})
	}
}

// refresh decides a check again and, when its verdict changed, the
// endpoints that use it and, when its status changed, the calculated
// checks above it.
func (e *Evaluator) refresh(cn *checkNode) {
	if e.whole {
		e.decideAll()
		return
	}
	v := e.decideCheck(cn)
	if v == cn.verdict {
		return
	}
	moved := v.Status != cn.verdict.Status
	cn.verdict = v
	for _, en := range cn.endpoints {
		e.refreshEndpoint(en)
	}
	if moved {
		for _, p := range cn.parents {
			e.refresh(p)
		}
	}
}

// decideCheck is Evaluate's rule for one check, from its children's verdicts
// and the counts kept.
func (e *Evaluator) decideCheck(cn *checkNode) Verdict {
	switch {
	case cn.cfg == nil:
		return Verdict{Status: Unknown, Reason: "no such check"}
	case cn.cfg.Type == config.CheckExternal:
		return externalVerdict(e.external[cn.cfg.Name], e.now)
	case cn.cfg.Type == config.CheckCalculated:
		st, reason := CalculatedStatus(cn.cfg.Children, cn.cfg.MinHealthy, func(child string) Status { return e.checks[child].verdict.Status })
		return Verdict{Status: st, Reason: reason}
	default:
		return quorumVerdict(cn.up, cn.down, e.quorum, cn.vantage != nil)
	}
}

// refreshEndpoint decides an endpoint again and notes a change.
func (e *Evaluator) refreshEndpoint(en *endpointNode) {
	e.setEndpoint(en, endpointVerdict(en.ep, e.overrides[en.key], unresolvedOf(en.ep, e.unresolved), func(name string) Verdict { return e.checks[name].verdict }))
}

// setEndpoint gives an endpoint its verdict and notes a change.
func (e *Evaluator) setEndpoint(en *endpointNode, v EndpointVerdict) {
	if v != en.verdict {
		en.verdict = v
		e.changed[en.key] = v
	}
}
