package health_test

import (
	"reflect"
	"testing"

	"github.com/gtmd/gtmd/pkg/health"
)

// TestEvaluatorVantages: a sharded check counts its vantage points only,
// and moving them decides again the check and its endpoint, nothing else.
func TestEvaluatorVantages(t *testing.T) {
	t.Parallel()
	usEast := health.EndpointKey{Service: "www.example.com.", Endpoint: "us-east"}
	obs := byNode{"a": {"us-web": up, "eu-web": up}, "b": {"us-web": down, "eu-web": up}, "c": {"us-web": down, "eu-web": up}}
	type want = map[health.EndpointKey]health.EndpointVerdict
	steps := []struct {
		name   string
		change func(e *health.Evaluator)
		want   want
	}{
		{"only a probes it: a's up decides", func(e *health.Evaluator) { e.SetVantages("us-web", []string{"a"}) },
			want{usEast: {Healthy: true, Reason: "check us-web: 1 of 1 vantage points see it healthy (quorum 0.5)"}}},
		{"a node that is no vantage point does not vote", func(e *health.Evaluator) { e.SetObservation("b", "us-web", up) }, nil},
		{"the same vantage points again change nothing", func(e *health.Evaluator) { e.SetVantages("us-web", []string{"a"}) }, nil},
		{"a vantage point's result counts", func(e *health.Evaluator) { e.SetObservation("a", "us-web", down) },
			want{usEast: {Healthy: false, Reason: "check us-web: 0 of 1 vantage points see it healthy (quorum 0.5)"}}},
		{"the choice moves to b and c", func(e *health.Evaluator) { e.SetVantages("us-web", []string{"b", "c"}) },
			want{usEast: {Healthy: true, Reason: "check us-web: 1 of 2 vantage points see it healthy (quorum 0.5)"}}},
		{"a vantage point without a result yet is no vote", func(e *health.Evaluator) { e.SetVantages("us-web", []string{"d"}) },
			want{usEast: {Healthy: true, Reason: "check us-web: no vantage point has a result yet"}}},
		{"unsharded again: every node counts", func(e *health.Evaluator) { e.SetVantages("us-web", nil) },
			want{usEast: {Healthy: false, Reason: "check us-web: 1 of 3 nodes see it healthy (quorum 0.5)"}}},
	}
	in := health.Inputs{Traffic: evalDoc(0.5), Observations: observations(obs), Now: evalNow}
	e := health.NewEvaluator(in)
	for _, s := range steps {
		s.change(e)
		if got := e.Changes(); !reflect.DeepEqual(got, s.want) {
			t.Fatalf("%s: changes %v, want %v", s.name, got, s.want)
		}
	}
}

// TestEvaluateVantages: Evaluate counts a sharded check's vantage points
// once each, and leaves other checks to every node.
func TestEvaluateVantages(t *testing.T) {
	t.Parallel()
	obs := observations(byNode{"a": {"us-web": up, "eu-web": down}, "b": {"us-web": down, "eu-web": down}, "c": {"us-web": down, "eu-web": up}})
	cases := []struct {
		name     string
		vantages map[string][]string
		want     health.Verdict
	}{
		{"not sharded", nil, health.Verdict{Status: down, Up: 1, Down: 2, Reason: "1 of 3 nodes see it healthy (quorum 0.5)"}},
		{"one vantage point", map[string][]string{"us-web": {"a"}}, health.Verdict{Status: up, Up: 1, Reason: "1 of 1 vantage points see it healthy (quorum 0.5)"}},
		{"listed twice, votes once", map[string][]string{"us-web": {"a", "b", "a"}}, health.Verdict{Status: up, Up: 1, Down: 1, Reason: "1 of 2 vantage points see it healthy (quorum 0.5)"}},
		{"a vantage point with no result", map[string][]string{"us-web": {"z"}}, health.Verdict{Status: unknown, Reason: "no vantage point has a result yet"}},
		{"another check sharded", map[string][]string{"eu-web": {"c"}}, health.Verdict{Status: down, Up: 1, Down: 2, Reason: "1 of 3 nodes see it healthy (quorum 0.5)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := health.Inputs{Traffic: evalDoc(0.5), Observations: obs, Vantages: c.vantages, Now: evalNow}
			ev := health.Evaluate(in)
			if v := ev.Checks["us-web"]; v != c.want {
				t.Errorf("us-web: got %+v, want %+v", v, c.want)
			}
			if got := health.NewEvaluator(in).Evaluation(); !reflect.DeepEqual(got, ev) {
				t.Errorf("a new evaluator decides %+v, Evaluate %+v", got, ev)
			}
		})
	}
}
