package health

import (
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// Inputs are everything endpoint health is decided from. A single node
// passes its own results; a clustered node the results Trust.Counted
// keeps, which is also what it passes while cut off from the store.
type Inputs struct {
	// Traffic is the served document; its checks, endpoints and
	// Settings.HealthQuorum are the rules. Nil decides nothing.
	Traffic *config.Traffic
	// Observations are the results that count, by node then check. Every
	// node given counts: leave out those that do not (see Trust).
	Observations map[string]map[string]Observation
	// Overrides are the operators' decisions, by endpoint.
	Overrides map[EndpointKey]Override
	// External are the pushed statuses of external checks, by check.
	External map[string]External
	// Vantages holds, for each sharded check, the nodes chosen to probe
	// it (see Vantages): only their results count toward its quorum, so
	// a node that stopped probing it, or has yet to, does not vote. A
	// check not in the map counts every node given.
	Vantages map[string][]string
	// Unresolved holds, by host name, why each endpoint target that this
	// node could not resolve did not (TargetState.Failure). Like a
	// failed check, it takes out the endpoints named by it.
	Unresolved map[string]string
	// Now decides whether a pushed status has expired.
	Now time.Time
}

// Evaluation is the health of every check and endpoint of a document.
type Evaluation struct {
	// Checks holds a verdict for every check of the document, and an
	// Unknown one for each name that an endpoint or a calculated check
	// refers to but the document lacks.
	Checks map[string]Verdict
	// Endpoints holds every endpoint of every service.
	Endpoints map[EndpointKey]EndpointVerdict
}

// EndpointVerdict is whether an endpoint is served, and why.
type EndpointVerdict struct {
	Healthy bool
	Reason  string
}

// Healthy returns the endpoints' health bits alone, the form snapshots
// and the endpoint gauge take.
func (e Evaluation) Healthy() map[EndpointKey]bool {
	out := make(map[EndpointKey]bool, len(e.Endpoints))
	for k, v := range e.Endpoints {
		out[k] = v.Healthy
	}
	return out
}

// Evaluate is gtmd's one health rule, the same on every node and whether
// or not the store is reachable. A check's verdict: an external check is
// its pushed status, Down once expired, Unknown before any push; a
// calculated check follows its children's verdicts (CalculatedStatus),
// Unknown for a missing child or a cycle; any other check is Up when at
// least the quorum of the nodes with a result see it up (ties healthy),
// Unknown when none has one. An endpoint: an override decides first (down
// or up); else an endpoint whose target is unresolved is down; else an
// endpoint with no check is healthy; else it is healthy unless its
// check's verdict is Down (Unknown counts healthy). Evaluate
// is pure: it keeps nothing and changes none of its inputs.
func Evaluate(in Inputs) Evaluation {
	ev := Evaluation{Checks: map[string]Verdict{}, Endpoints: map[EndpointKey]EndpointVerdict{}}
	if in.Traffic == nil {
		return ev
	}
	v := newVerdicts(&in)
	for _, c := range in.Traffic.Checks {
		v.of(c.Name)
	}
	for _, svc := range in.Traffic.Services {
		for _, ep := range svc.Endpoints {
			k := EndpointKey{Service: svc.Name, Endpoint: ep.ID}
			ev.Endpoints[k] = endpointVerdict(ep, in.Overrides[k], unresolvedOf(ep, in.Unresolved), v.of)
		}
	}
	ev.Checks = v.out
	return ev
}

// unresolvedOf is why ep's target cannot be served, from unresolved (by
// target name); "" for an endpoint without a target or whose target
// resolves.
func unresolvedOf(ep config.Endpoint, unresolved map[string]string) string {
	if ep.Target == "" {
		return ""
	}
	return unresolved[ep.Target]
}

// endpointVerdict decides one endpoint; the reasons are those the API and
// the events show. unresolved is why the endpoint's target did not
// resolve, "" when it did or the endpoint has none.
func endpointVerdict(ep config.Endpoint, o Override, unresolved string, check func(name string) Verdict) EndpointVerdict {
	switch {
	case o.decides():
		reason := "override " + o.State
		if o.Reason != "" {
			reason += ": " + o.Reason
		}
		return EndpointVerdict{Healthy: o.State == OverrideUp, Reason: reason}
	case unresolved != "":
		return EndpointVerdict{Healthy: false, Reason: unresolved}
	case ep.Check == "":
		return EndpointVerdict{Healthy: true, Reason: "no check: always healthy"}
	default:
		cv := check(ep.Check)
		return EndpointVerdict{Healthy: cv.Status.Healthy(), Reason: "check " + ep.Check + ": " + cv.Reason}
	}
}
