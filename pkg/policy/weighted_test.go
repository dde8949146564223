package policy

import (
	"math"
	"testing"

	"github.com/gtmd/gtmd/geo"
)

// counts runs n selections and counts how often each endpoint is answered
// and how often each is answered first.
func counts(t *testing.T, s *Service, healthy []bool, n int) (answered, first map[string]int) {
	t.Helper()
	answered, first = map[string]int{}, map[string]int{}
	r := newRand()
	c := client("198.51.100.7", 32, locVirginia, "198.51.100.0/24")
	out := make([]int, 0, 8)
	for range n {
		got, scope := s.Select(healthy, c, r, out, nil)
		if scope != 0 {
			t.Fatalf("scope %d, want 0", scope)
		}
		seen := map[int]bool{}
		for k, i := range got {
			if seen[i] {
				t.Fatalf("endpoint %s answered twice in %v", s.ID(i), ids(s, got))
			}
			if !healthy[i] {
				t.Fatalf("unhealthy endpoint %s answered", s.ID(i))
			}
			seen[i] = true
			answered[s.ID(i)]++
			if k == 0 {
				first[s.ID(i)]++
			}
		}
	}
	return answered, first
}

// near reports whether got/n is within tol of want.
func near(got, n int, want, tol float64) bool {
	return math.Abs(float64(got)/float64(n)-want) <= tol
}

func TestWeighted(t *testing.T) {
	const n = 100_000
	const tol = 0.01
	s := compile(t, "weighted", svcOpts{},
		ep("a", weight(10)), ep("b", weight(30)), ep("c", weight(60)), ep("spare", weight(0)), ep("spare2", weight(0)))

	t.Run("in proportion to weight", func(t *testing.T) {
		got, _ := counts(t, s, up(5), n)
		for id, want := range map[string]float64{"a": 0.1, "b": 0.3, "c": 0.6, "spare": 0, "spare2": 0} {
			if !near(got[id], n, want, tol) {
				t.Errorf("%s answered %d of %d, want %.2f", id, got[id], n, want)
			}
		}
	})
	t.Run("unhealthy excluded, rest renormalised", func(t *testing.T) {
		got, _ := counts(t, s, up(5, 2), n) // c down: a 1/4, b 3/4
		if got["c"] != 0 || got["spare"] != 0 || !near(got["a"], n, 0.25, tol) || !near(got["b"], n, 0.75, tol) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("weight 0 only when every positive weight is down", func(t *testing.T) {
		got, _ := counts(t, s, up(5, 0, 1, 2), n)
		if got["a"]+got["b"]+got["c"] != 0 || !near(got["spare"], n, 0.5, tol) || !near(got["spare2"], n, 0.5, tol) {
			t.Errorf("got %v", got)
		}
		got, _ = counts(t, s, up(5, 0, 1, 2, 3), 1000)
		if got["spare2"] != 1000 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("all weights 0 are equal", func(t *testing.T) {
		zero := compile(t, "weighted", svcOpts{}, ep("a", weight(0)), ep("b", weight(0)), ep("c", weight(0)), ep("d", weight(0)))
		got, _ := counts(t, zero, up(4), n)
		for _, id := range []string{"a", "b", "c", "d"} {
			if !near(got[id], n, 0.25, tol) {
				t.Errorf("%s answered %d of %d, want 1/4", id, got[id], n)
			}
		}
		got, _ = counts(t, zero, up(4, 3), n)
		if got["d"] != 0 || !near(got["a"], n, 1.0/3, tol) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("default weight is 1", func(t *testing.T) {
		def := compile(t, "weighted", svcOpts{}, ep("a"), ep("b", weight(3)))
		got, _ := counts(t, def, up(2), n)
		if !near(got["a"], n, 0.25, tol) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("several answers drawn without replacement", func(t *testing.T) {
		two := compile(t, "weighted", svcOpts{maxAnswers: 2},
			ep("a", weight(10)), ep("b", weight(30)), ep("c", weight(60)), ep("spare", weight(0)))
		answered, first := counts(t, two, up(4), n)
		if answered["spare"] != 0 || answered["a"]+answered["b"]+answered["c"] != 2*n {
			t.Errorf("answered %v", answered)
		}
		for id, want := range map[string]float64{"a": 0.1, "b": 0.3, "c": 0.6} {
			if !near(first[id], n, want, tol) {
				t.Errorf("%s first %d of %d, want %.2f", id, first[id], n, want)
			}
		}
		// P(a answered) = 0.1 + 0.3*(10/70) + 0.6*(10/40).
		if want := 0.1 + 0.3*10/70 + 0.6*10/40; !near(answered["a"], n, want, tol) {
			t.Errorf("a answered %d of %d, want %.3f", answered["a"], n, want)
		}
		// One positive weight healthy: one answer, weight 0 not added.
		answered, _ = counts(t, two, up(4, 0, 1), 1000)
		if answered["c"] != 1000 || answered["spare"] != 0 {
			t.Errorf("answered %v", answered)
		}
	})
	t.Run("trace", func(t *testing.T) {
		var tr Trace
		s.Select(up(5, 0, 1, 2), anyone(), newRand(), make([]int, 0, 8), &tr)
		if tr.Rule != "weighted: equal (no healthy positive weight)" || !hasStep(&tr, StepFallback, "no healthy endpoint has a positive weight") {
			t.Errorf("trace:\n%s", dumpTrace(&tr))
		}
		tr = Trace{}
		s.Select(up(5), anyone(), newRand(), make([]int, 0, 8), &tr)
		if tr.Rule != "weighted: random by weight" || !hasStep(&tr, StepCandidate, "healthy, weight 30 of 100") ||
			!hasStep(&tr, StepCandidate, "weight 0: used only when every endpoint of positive weight is unhealthy") {
			t.Errorf("trace:\n%s", dumpTrace(&tr))
		}
	})
}

// anyone is a client with nothing known.
func anyone() *Client { return &Client{} }

func TestMultivalue(t *testing.T) {
	const n = 120_000
	s := compile(t, "multivalue", svcOpts{maxAnswers: 2}, ep("a"), ep("b"), ep("c"), ep("d"))

	t.Run("uniform ordered pairs", func(t *testing.T) {
		pairs := map[[2]int]int{}
		r := newRand()
		out := make([]int, 0, 8)
		for range n {
			got, scope := s.Select(nil, anyone(), r, out, nil)
			if len(got) != 2 || got[0] == got[1] || scope != 0 {
				t.Fatalf("Select = %v scope %d", got, scope)
			}
			pairs[[2]int{got[0], got[1]}]++
		}
		if len(pairs) != 12 {
			t.Fatalf("%d distinct ordered pairs, want 12", len(pairs))
		}
		for p, k := range pairs {
			if !near(k, n, 1.0/12, 0.01) {
				t.Errorf("pair %v drawn %d of %d, want 1/12", p, k, n)
			}
		}
	})
	t.Run("unhealthy excluded", func(t *testing.T) {
		answered, first := counts(t, s, up(4, 1), n)
		if answered["b"] != 0 || !near(first["a"], n, 1.0/3, 0.01) || !near(answered["d"], n, 2.0/3, 0.01) {
			t.Errorf("answered %v first %v", answered, first)
		}
	})
	t.Run("fewer healthy than max_answers", func(t *testing.T) {
		got, _ := s.Select(up(4, 0, 1, 2), anyone(), newRand(), make([]int, 0, 8), nil)
		if len(got) != 1 || got[0] != 3 {
			t.Errorf("Select = %v", got)
		}
	})
	t.Run("default max_answers is 8, all shuffled", func(t *testing.T) {
		all := compile(t, "multivalue", svcOpts{}, ep("1"), ep("2"), ep("3"), ep("4"), ep("5"), ep("6"), ep("7"), ep("8"), ep("9"), ep("10"))
		if all.MaxAnswers() != 8 {
			t.Fatalf("MaxAnswers = %d", all.MaxAnswers())
		}
		answered, first := counts(t, all, up(10), n)
		for i := range 10 {
			id := all.ID(i)
			if !near(answered[id], n, 0.8, 0.01) || !near(first[id], n, 0.1, 0.01) {
				t.Errorf("%s answered %d first %d of %d", id, answered[id], first[id], n)
			}
		}
	})
	t.Run("trace", func(t *testing.T) {
		var tr Trace
		s.Select(up(4, 1), anyone(), newRand(), make([]int, 0, 8), &tr)
		if tr.Rule != "multivalue: random 2 of 3 healthy" || !hasStep(&tr, StepCandidate, "unhealthy") {
			t.Errorf("trace:\n%s", dumpTrace(&tr))
		}
	})
}

// TestTraceRandom: the trace says when the choice was a random draw, so
// explain across nodes compares such answers by rule and health.
func TestTraceRandom(t *testing.T) {
	cases := []struct {
		policy string
		random bool
	}{
		{"weighted", true},
		{"multivalue", true},
		{"failover", false},
		{"latency", false},
	}
	for _, c := range cases {
		s := compile(t, c.policy, svcOpts{}, regions()...)
		d := s.Explain(up(len(regions())), client("198.51.100.7", 24, geo.Location{}, ""), newRand())
		if d.Trace.Random != c.random {
			t.Errorf("%s: Random %v, want %v", c.policy, d.Trace.Random, c.random)
		}
	}
}
