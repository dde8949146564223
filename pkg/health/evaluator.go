package health

import (
	"maps"
	"slices"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// Evaluator is Evaluate kept current. Built once per document from whole
// inputs, it then takes one change at a time (a node's result for a
// check, a node's results as a whole, an override, a pushed status, the
// time) and decides again only what depends on it: the check, the
// endpoints that use it and the calculated checks above it. So a change
// costs the same whatever the number of checks, and after any sequence
// of changes Evaluation equals Evaluate over the same inputs.
//
// A document whose calculated checks form a cycle (validation rejects
// them, so only one never validated) is decided whole at every change,
// as Evaluate decides cycles by the order it meets them.
//
// An Evaluator is not safe for concurrent use; the node changes it under
// its own lock.
type Evaluator struct {
	traffic *config.Traffic
	quorum  float64
	checks  map[string]*checkNode
	// endpoints holds every endpoint of every service; where a document
	// repeats a key the last one holds, as in Evaluate.
	endpoints map[EndpointKey]*endpointNode
	// obs holds the counted nodes' results, by node then check; only Up
	// and Down, the statuses that count.
	obs       map[string]map[string]Status
	overrides map[EndpointKey]Override
	external  map[string]External
	// unresolved is Inputs.Unresolved as it stands; targets indexes the
	// endpoints by the host name they are named by.
	unresolved map[string]string
	targets    map[string][]*endpointNode
	now        time.Time
	// expiries holds when pushed statuses expire, soonest first.
	expiries expiryHeap
	// changed holds the endpoints decided differently since the last
	// Changes.
	changed map[EndpointKey]EndpointVerdict
	whole   bool
}

// checkNode is one check and what depends on it.
type checkNode struct {
	// cfg is nil for a name the document refers to but lacks.
	cfg *config.Check
	// up and down count the counted nodes that see the check so; of a
	// sharded check, only those in vantage.
	up, down int
	// vantage lists, sorted, the nodes whose results count for a
	// sharded check; nil counts every node. A few per region: a list is
	// quicker to search than a map is to build.
	vantage []string
	verdict Verdict
	// parents are the calculated checks that list this one as a child.
	parents   []*checkNode
	endpoints []*endpointNode
	// child is set when a calculated check lists the name, which puts a
	// missing name into Evaluation.Checks whatever the overrides.
	child bool
}

// endpointNode is one endpoint and its current verdict.
type endpointNode struct {
	key     EndpointKey
	ep      config.Endpoint
	verdict EndpointVerdict
}

// NewEvaluator decides in whole, as Evaluate does, and keeps what it
// needs to follow changes. It copies what it keeps of in: the caller may
// change in's maps afterwards.
func NewEvaluator(in Inputs) *Evaluator {
	e := &Evaluator{
		traffic:    in.Traffic,
		quorum:     config.DefaultHealthQuorum,
		checks:     map[string]*checkNode{},
		endpoints:  map[EndpointKey]*endpointNode{},
		obs:        make(map[string]map[string]Status, len(in.Observations)),
		overrides:  maps.Clone(in.Overrides),
		external:   maps.Clone(in.External),
		unresolved: maps.Clone(in.Unresolved),
		targets:    map[string][]*endpointNode{},
		now:        in.Now,
		changed:    map[EndpointKey]EndpointVerdict{},
	}
	if e.overrides == nil {
		e.overrides = map[EndpointKey]Override{}
	}
	if e.external == nil {
		e.external = map[string]External{}
	}
	if e.unresolved == nil {
		e.unresolved = map[string]string{}
	}
	for node, byCheck := range in.Observations {
		m := make(map[string]Status, len(byCheck))
		for check, o := range byCheck {
			if o.Status == Up || o.Status == Down {
				m[check] = o.Status
			}
		}
		if len(m) > 0 {
			e.obs[node] = m
		}
	}
	if in.Traffic == nil {
		return e
	}
	e.quorum = quorumOf(in.Traffic)
	e.index()
	for check, nodes := range in.Vantages {
		e.node(check).vantage = vantageList(nodes)
	}
	for node, byCheck := range e.obs {
		for check, st := range byCheck {
			if cn := e.checks[check]; cn != nil && cn.counts(node) {
				cn.count(st, 1)
			}
		}
	}
	e.whole = e.hasCycle()
	e.decide(in.Observations)
	clear(e.changed)
	e.scheduleExpiries()
	return e
}

// index builds the graph check → endpoints and child → parents.
func (e *Evaluator) index() {
	t := e.traffic
	for i := range t.Checks {
		e.checks[t.Checks[i].Name] = &checkNode{cfg: &t.Checks[i]}
	}
	for _, svc := range t.Services {
		for _, ep := range svc.Endpoints {
			k := EndpointKey{Service: svc.Name, Endpoint: ep.ID}
			e.endpoints[k] = &endpointNode{key: k, ep: ep}
		}
	}
	for _, en := range e.endpoints {
		if en.ep.Target != "" {
			e.targets[en.ep.Target] = append(e.targets[en.ep.Target], en)
		}
		if en.ep.Check != "" {
			cn := e.node(en.ep.Check)
			cn.endpoints = append(cn.endpoints, en)
		}
	}
	for _, cn := range e.checks {
		if cn.cfg == nil || cn.cfg.Type != config.CheckCalculated {
			continue
		}
		for _, child := range cn.cfg.Children {
			c := e.node(child)
			c.child = true
			c.parents = append(c.parents, cn)
		}
	}
}

// node returns the check of that name, adding a missing one.
func (e *Evaluator) node(name string) *checkNode {
	cn := e.checks[name]
	if cn == nil {
		cn = &checkNode{verdict: Verdict{Status: Unknown, Reason: "no such check"}}
		e.checks[name] = cn
	}
	return cn
}

// hasCycle reports whether calculated checks form a cycle.
func (e *Evaluator) hasCycle() bool {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(name string) bool
	visit = func(name string) bool {
		switch state[name] {
		case visiting:
			return true
		case done:
			return false
		}
		state[name] = visiting
		if cn := e.checks[name]; cn != nil && cn.cfg != nil && cn.cfg.Type == config.CheckCalculated {
			for _, child := range cn.cfg.Children {
				if visit(child) {
					return true
				}
			}
		}
		state[name] = done
		return false
	}
	for name := range e.checks {
		if visit(name) {
			return true
		}
	}
	return false
}

// vantages is Inputs.Vantages as it stands: the vantage points of each
// sharded check, for deciding whole.
func (e *Evaluator) vantages() map[string][]string {
	out := map[string][]string{}
	for check, cn := range e.checks {
		if cn.vantage != nil {
			out[check] = cn.vantage
		}
	}
	return out
}

// decideAll decides every check and endpoint with Evaluate itself, and
// notes the endpoints that changed.
func (e *Evaluator) decideAll() { e.decide(e.observations()) }

// decide is decideAll over observations that hold what obs does.
func (e *Evaluator) decide(obs map[string]map[string]Observation) {
	ev := Evaluate(Inputs{Traffic: e.traffic, Observations: obs, Overrides: e.overrides, External: e.external, Unresolved: e.unresolved, Vantages: e.vantages(), Now: e.now})
	for k, v := range ev.Endpoints {
		e.setEndpoint(e.endpoints[k], v)
	}
	// A name Evaluate did not meet is one the document lacks and nothing
	// decides: it keeps the "no such check" verdict node gave it.
	for name, cn := range e.checks {
		if v, ok := ev.Checks[name]; ok {
			cn.verdict = v
		}
	}
}

// observations is obs in the form Inputs takes.
func (e *Evaluator) observations() map[string]map[string]Observation {
	out := make(map[string]map[string]Observation, len(e.obs))
	for node, byCheck := range e.obs {
		m := make(map[string]Observation, len(byCheck))
		for check, st := range byCheck {
			m[check] = Observation{Status: st}
		}
		out[node] = m
	}
	return out
}

// counts reports whether node's results count toward the check.
func (cn *checkNode) counts(node string) bool {
	if cn.vantage == nil {
		return true
	}
	_, ok := slices.BinarySearch(cn.vantage, node)
	return ok
}

// count adds n observations of status st.
func (cn *checkNode) count(st Status, n int) {
	switch st {
	case Up:
		cn.up += n
	case Down:
		cn.down += n
	}
}

// Changes returns the endpoints decided differently since the evaluator
// was built or Changes last returned, with their verdicts now, and
// forgets them.
func (e *Evaluator) Changes() map[EndpointKey]EndpointVerdict {
	if len(e.changed) == 0 {
		return nil
	}
	out := e.changed
	e.changed = map[EndpointKey]EndpointVerdict{}
	return out
}

// Endpoint returns an endpoint's verdict, and false for an endpoint the
// document lacks.
func (e *Evaluator) Endpoint(k EndpointKey) (EndpointVerdict, bool) {
	en, ok := e.endpoints[k]
	if !ok {
		return EndpointVerdict{}, false
	}
	return en.verdict, true
}

// Evaluation returns every verdict, the value Evaluate gives for the
// same inputs. It copies them all: it is for the API and tests, not for
// each change.
func (e *Evaluator) Evaluation() Evaluation {
	ev := Evaluation{Checks: make(map[string]Verdict, len(e.checks)), Endpoints: make(map[EndpointKey]EndpointVerdict, len(e.endpoints))}
	for name, cn := range e.checks {
		if cn.cfg != nil || cn.child {
			ev.Checks[name] = cn.verdict
		}
	}
	for k, en := range e.endpoints {
		ev.Endpoints[k] = en.verdict
	}
	if e.traffic == nil {
		return ev
	}
	// Evaluate meets a missing check only through an endpoint that
	// neither an override nor an unresolved target decides, repeated
	// keys included.
	for _, svc := range e.traffic.Services {
		for _, ep := range svc.Endpoints {
			if ep.Check != "" && unresolvedOf(ep, e.unresolved) == "" && !e.overrides[EndpointKey{Service: svc.Name, Endpoint: ep.ID}].decides() {
				ev.Checks[ep.Check] = e.node(ep.Check).verdict
			}
		}
	}
	return ev
}
