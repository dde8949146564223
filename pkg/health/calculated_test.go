package health_test

import (
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

func TestCalculatedStatus(t *testing.T) {
	const U, D, X = health.Up, health.Down, health.Unknown
	tests := []struct {
		name     string
		children []health.Status
		min      int
		want     health.Status
		reason   string
	}{
		{"all unknown", []health.Status{X, X, X}, 2, X, "3 of 3 children healthy, need 2 (3 unknown)"},
		{"enough up", []health.Status{U, U, D}, 2, U, "2 of 3 children healthy, need 2; down: c2"},
		{"all up", []health.Status{U, U, U}, 3, U, "3 of 3 children healthy, need 3"},
		{"too few", []health.Status{U, D, D}, 2, D, "1 of 3 children healthy, need 2; down: c1, c2"},
		{"unknown makes up the count", []health.Status{U, X, D}, 2, X, "2 of 3 children healthy, need 2 (1 unknown); down: c2"},
		{"down even with unknown", []health.Status{X, D, D}, 2, D, "1 of 3 children healthy, need 2 (1 unknown); down: c1, c2"},
		{"one of one", []health.Status{U}, 1, U, "1 of 1 children healthy, need 1"},
		{"none of one", []health.Status{D}, 1, D, "0 of 1 children healthy, need 1; down: c0"},
	}
	for _, tt := range tests {
		names := make([]string, len(tt.children))
		byName := map[string]health.Status{}
		for i, s := range tt.children {
			names[i] = "c" + string(rune('0'+i))
			byName[names[i]] = s
		}
		got, reason := health.CalculatedStatus(names, tt.min, func(c string) health.Status { return byName[c] })
		if got != tt.want || reason != tt.reason {
			t.Errorf("%s: %v %q, want %v %q", tt.name, got, reason, tt.want, tt.reason)
		}
	}
}

func TestCalculatedInScheduler(t *testing.T) {
	h := newHarness(t, nil)
	a, b, c := h.fleet.target("a"), h.fleet.target("b"), h.fleet.target("c")
	two := config.Check{Name: "two", Type: config.CheckCalculated, Children: []string{"a", "b", "c"}, MinHealthy: 2}
	top := config.Check{Name: "top", Type: config.CheckCalculated, Children: []string{"two"}, MinHealthy: 1}
	// Parents first: the order of the document must not matter.
	h.s.Apply([]config.Check{top, two, probed("a", 1, 1), probed("b", 1, 1), probed("c", 1, 1)})
	if st := h.state(t, "two"); st.Status != health.Unknown {
		t.Errorf("two before any result = %v", st.Status)
	}
	round := func(ra, rb, rc error) {
		// One at a time, so the changes come in a known order.
		a.send(t, ra)
		h.block(t, 1)
		b.send(t, rb)
		h.block(t, 2)
		c.send(t, rc)
		h.block(t, 3)
		h.clk.Advance(ival)
	}
	expect := func(want ...health.Change) {
		t.Helper()
		for _, w := range want {
			got := h.next(t)
			if got.Check != w.Check || got.From != w.From || got.To != w.To {
				t.Errorf("change %s %v->%v, want %s %v->%v (%s)", got.Check, got.From, got.To, w.Check, w.From, w.To, got.Reason)
			}
		}
	}
	round(nil, nil, errBoom)
	expect(
		health.Change{Check: "a", From: health.Unknown, To: health.Up},
		health.Change{Check: "b", From: health.Unknown, To: health.Up},
		health.Change{Check: "two", From: health.Unknown, To: health.Up},
		health.Change{Check: "top", From: health.Unknown, To: health.Up},
		health.Change{Check: "c", From: health.Unknown, To: health.Down},
	)
	round(errBoom, nil, errBoom)
	expect(
		health.Change{Check: "a", From: health.Up, To: health.Down},
		health.Change{Check: "two", From: health.Up, To: health.Down},
		health.Change{Check: "top", From: health.Up, To: health.Down},
	)
	if st := h.state(t, "two"); st.Reason != "1 of 3 children healthy, need 2; down: a, c" {
		t.Errorf("two's reason %q", st.Reason)
	}
	// Lowering min_healthy restarts "two" but reports only the real change.
	two.MinHealthy = 1
	h.s.Apply([]config.Check{top, two, probed("a", 1, 1), probed("b", 1, 1), probed("c", 1, 1)})
	expect(
		health.Change{Check: "two", From: health.Down, To: health.Up},
		health.Change{Check: "top", From: health.Down, To: health.Up},
	)
	if rest := h.drain(); len(rest) != 0 {
		t.Errorf("more changes: %v", rest)
	}
}
