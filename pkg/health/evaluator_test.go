package health_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// randomDoc is a document of every shape Evaluate treats differently:
// probed, external and calculated checks (over earlier checks, or in a
// cycle when cyclic), endpoints with no check, with a missing check and
// repeated keys.
func randomDoc(r *rand.Rand, checks, services int, cyclic bool) *config.Traffic {
	t := &config.Traffic{Settings: config.Settings{HealthQuorum: []float64{0, 0.5, 0.75, 1}[r.IntN(4)]}}
	for i := range checks {
		c := config.Check{Name: fmt.Sprintf("c%d", i), Type: config.CheckHTTP}
		switch r.IntN(4) {
		case 0:
			c.Type = config.CheckExternal
		case 1:
			if i > 0 {
				c.Type = config.CheckCalculated
				for range 1 + r.IntN(3) {
					c.Children = append(c.Children, fmt.Sprintf("c%d", r.IntN(i)))
				}
				if r.IntN(8) == 0 {
					c.Children = append(c.Children, "missing-child")
				}
				c.MinHealthy = r.IntN(len(c.Children) + 1)
			}
		}
		t.Checks = append(t.Checks, c)
	}
	if cyclic {
		t.Checks = append(t.Checks,
			config.Check{Name: "x", Type: config.CheckCalculated, Children: []string{"y", "c0"}, MinHealthy: 1},
			config.Check{Name: "y", Type: config.CheckCalculated, Children: []string{"x"}, MinHealthy: 1})
	}
	for i := range services {
		svc := config.Service{Name: fmt.Sprintf("s%d.example.", i%(services-1+1))}
		for j := range 1 + r.IntN(3) {
			ep := config.Endpoint{ID: fmt.Sprintf("e%d", j)}
			if r.IntN(3) == 0 {
				ep.Target = targetNames[r.IntN(len(targetNames))]
			}
			switch n := r.IntN(10); {
			case n == 0:
			case n == 1:
				ep.Check = "missing"
			case n == 2 && cyclic:
				ep.Check = "x"
			default:
				ep.Check = t.Checks[r.IntN(len(t.Checks))].Name
			}
			svc.Endpoints = append(svc.Endpoints, ep)
		}
		t.Services = append(t.Services, svc)
	}
	// A repeated service: the last one's endpoints hold.
	t.Services = append(t.Services, t.Services[0])
	t.Services[len(t.Services)-1].Endpoints = []config.Endpoint{{ID: "e0", Check: t.Checks[0].Name}}
	return t
}

// targetNames are the host names randomDoc names endpoints by.
var targetNames = []string{"lb-0.example.net.", "lb-1.example.net.", "lb-2.example.net."}

// model is the evaluator's inputs kept whole, for Evaluate.
type model struct {
	in health.Inputs
}

func TestEvaluatorMatchesEvaluate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		seed             uint64
		checks, services int
		cyclic           bool
		steps            int
	}{
		{"small document, many changes", 1, 6, 4, false, 3000},
		{"larger document", 2, 40, 30, false, 3000},
		{"another seed", 3, 25, 25, false, 3000},
		{"calculated checks in a cycle, decided whole", 4, 10, 8, true, 1500},
		{"no services", 5, 5, 1, false, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(tc.seed, 0))
			doc := randomDoc(r, tc.checks, tc.services, tc.cyclic)
			m := &model{in: health.Inputs{
				Traffic:      doc,
				Observations: map[string]map[string]health.Observation{},
				Overrides:    map[health.EndpointKey]health.Override{},
				External:     map[string]health.External{},
				Now:          evalNow,
			}}
			for range 20 {
				m.step(r, doc, nil)
			}
			e := health.NewEvaluator(m.in)
			prev := health.Evaluate(m.in)
			if got := e.Evaluation(); !reflect.DeepEqual(got, prev) {
				t.Fatalf("built: got %+v, want %+v", got, prev)
			}
			for i := range tc.steps {
				what := m.step(r, doc, e)
				want := health.Evaluate(m.in)
				if got := e.Evaluation(); !reflect.DeepEqual(got, want) {
					t.Fatalf("step %d (%s): evaluator and Evaluate differ\ngot  %+v\nwant %+v", i, what, got, want)
				}
				changes := e.Changes()
				for k, v := range want.Endpoints {
					c, reported := changes[k]
					if v != prev.Endpoints[k] && !reported {
						t.Fatalf("step %d (%s): %v changed from %+v to %+v but was not reported", i, what, k, prev.Endpoints[k], v)
					}
					if reported && c != v {
						t.Fatalf("step %d (%s): %v reported as %+v, is %+v", i, what, k, c, v)
					}
				}
				prev = want
			}
		})
	}
}

// step makes one random change to the model, and to e when given, and
// says what it was.
func (m *model) step(r *rand.Rand, doc *config.Traffic, e *health.Evaluator) string {
	nodes := []string{"a", "b", "c", "d", "e"}
	node := nodes[r.IntN(len(nodes))]
	check := "not-in-doc"
	if r.IntN(10) > 0 {
		check = doc.Checks[r.IntN(len(doc.Checks))].Name
	}
	statuses := []health.Status{health.Unknown, health.Up, health.Down}
	svc := doc.Services[r.IntN(len(doc.Services))]
	key := health.EndpointKey{Service: svc.Name, Endpoint: fmt.Sprintf("e%d", r.IntN(4))}
	switch n := r.IntN(25); {
	case n < 10:
		st := statuses[r.IntN(3)]
		if m.in.Observations[node] == nil {
			m.in.Observations[node] = map[string]health.Observation{}
		}
		m.in.Observations[node][check] = health.Observation{Status: st, At: evalNow}
		if e != nil {
			e.SetObservation(node, check, st)
		}
		return fmt.Sprintf("observation %s %s %v", node, check, st)
	case n < 12:
		var obs map[string]health.Observation
		if r.IntN(3) > 0 {
			obs = map[string]health.Observation{}
			for range r.IntN(len(doc.Checks) + 1) {
				obs[doc.Checks[r.IntN(len(doc.Checks))].Name] = health.Observation{Status: statuses[r.IntN(3)]}
			}
		}
		if obs == nil {
			delete(m.in.Observations, node)
		} else {
			m.in.Observations[node] = obs
		}
		if e != nil {
			e.SetNode(node, maps.Clone(obs))
		}
		return fmt.Sprintf("node %s with %d results", node, len(obs))
	case n < 15:
		o := health.Override{State: []string{health.OverrideDown, health.OverrideUp, "drain", ""}[r.IntN(4)], Reason: []string{"", "maintenance"}[r.IntN(2)]}
		setOrDelete(m.in.Overrides, key, o, o == (health.Override{}))
		if e != nil {
			e.SetOverride(key, o)
		}
		return fmt.Sprintf("override %v %+v", key, o)
	case n < 18:
		var x health.External
		if r.IntN(4) > 0 {
			x = health.External{Healthy: r.IntN(2) == 0, At: m.in.Now, Expires: m.in.Now.Add(time.Duration(r.IntN(5)) * time.Second)}
		}
		setOrDelete(m.in.External, check, x, x == (health.External{}))
		if e != nil {
			e.SetExternal(check, x)
		}
		return fmt.Sprintf("external %s %+v", check, x)
	case n < 20:
		// Mostly forward, sometimes back.
		m.in.Now = m.in.Now.Add(time.Duration(r.IntN(4000)-500) * time.Millisecond)
		if e != nil {
			e.Advance(m.in.Now)
		}
		return fmt.Sprintf("time %s", m.in.Now)
	case n >= 22:
		target := targetNames[r.IntN(len(targetNames))]
		reason := []string{"", "target " + target + " did not resolve: NXDOMAIN", "target " + target + " did not resolve: timeout"}[r.IntN(3)]
		if m.in.Unresolved == nil {
			m.in.Unresolved = map[string]string{}
		}
		setOrDelete(m.in.Unresolved, target, reason, reason == "")
		if e != nil {
			e.SetUnresolved(target, reason)
		}
		return fmt.Sprintf("target %s unresolved %q", target, reason)
	default:
		// A member joined or left: the check's vantage points moved, or
		// it is no longer sharded (nil), or nobody of those given counts.
		var vs []string
		if r.IntN(4) > 0 {
			vs = []string{}
			for _, n := range nodes {
				if r.IntN(2) == 0 {
					vs = append(vs, n)
				}
			}
		}
		if m.in.Vantages == nil {
			m.in.Vantages = map[string][]string{}
		}
		setOrDelete(m.in.Vantages, check, vs, vs == nil)
		if e != nil {
			e.SetVantages(check, vs)
		}
		return fmt.Sprintf("vantages of %s: %v", check, vs)
	}
}

// setOrDelete sets m[k] to v, or deletes k when del: how the model
// keeps an input that a zero value clears.
func setOrDelete[K comparable, V any](m map[K]V, k K, v V, del bool) {
	if del {
		delete(m, k)
	} else {
		m[k] = v
	}
}

func TestEvaluatorChangesOnlyWhatDepends(t *testing.T) {
	t.Parallel()
	doc := evalDoc(0.5)
	in := health.Inputs{Traffic: doc, Observations: observations(byNode{"a": {"us-web": up, "eu-web": up}}), Now: evalNow}
	cases := []struct {
		name   string
		change func(e *health.Evaluator)
		want   map[health.EndpointKey]health.EndpointVerdict
	}{
		{"one check down changes its endpoint only", func(e *health.Evaluator) { e.SetObservation("a", "us-web", down) },
			map[health.EndpointKey]health.EndpointVerdict{{Service: "www.example.com.", Endpoint: "us-east"}: {Healthy: false, Reason: "check us-web: 0 of 1 nodes see it healthy (quorum 0.5)"}}},
		{"the same status again changes nothing", func(e *health.Evaluator) { e.SetObservation("a", "us-web", up) }, nil},
		{"a second node agreeing changes the reason", func(e *health.Evaluator) { e.SetObservation("b", "eu-web", up) },
			map[health.EndpointKey]health.EndpointVerdict{{Service: "www.example.com.", Endpoint: "eu-west"}: {Healthy: true, Reason: "check eu-web: 2 of 2 nodes see it healthy (quorum 0.5)"}}},
		{"an override on an endpoint the document lacks changes nothing", func(e *health.Evaluator) {
			e.SetOverride(health.EndpointKey{Service: "www.example.com.", Endpoint: "nowhere"}, health.Override{State: health.OverrideDown})
		}, nil},
		{"a node leaving", func(e *health.Evaluator) { e.SetNode("a", nil) },
			map[health.EndpointKey]health.EndpointVerdict{
				{Service: "www.example.com.", Endpoint: "us-east"}: {Healthy: true, Reason: "check us-web: no node has a result yet"},
				{Service: "www.example.com.", Endpoint: "eu-west"}: {Healthy: true, Reason: "check eu-web: no node has a result yet"},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := health.NewEvaluator(in)
			if got := e.Changes(); got != nil {
				t.Fatalf("a new evaluator reports %v", got)
			}
			tc.change(e)
			if got := e.Changes(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("changes: got %v, want %v", got, tc.want)
			}
			if got := e.Changes(); got != nil {
				t.Errorf("changes are not forgotten: %v", got)
			}
		})
	}
}
