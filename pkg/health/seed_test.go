package health_test

import (
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestSeed: a seeded status stands until the check's own results decide
// by rise and fall, and only a check its results have not decided takes
// a seed.
func TestSeed(t *testing.T) {
	tests := []struct {
		name   string
		seed   health.Status
		before string // results before the seed
		seeded bool
		after  string // results after it
		want   health.Status
	}{
		{"down stands through fewer than rise successes", health.Down, "", true, "o", health.Down},
		{"down comes up after rise successes", health.Down, "", true, "oo", health.Up},
		{"up stands through fewer than fall failures", health.Up, "", true, "f", health.Up},
		{"up goes down after fall failures", health.Up, "", true, "ff", health.Down},
		{"a check with a result keeps its own", health.Down, "o", false, "", health.Up},
		{"a failure short of fall is no decision: seeded down", health.Down, "f", true, "o", health.Down},
		{"a seeded up counts the failure before it", health.Up, "f", true, "f", health.Down},
		{"unknown is no seed", health.Unknown, "", false, "f", health.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			tg := h.fleet.target("web")
			h.s.Apply([]config.Check{probed("web", 2, 2)})
			probes := 0
			send := func(seq string) {
				if seq == "" {
					return
				}
				for _, err := range results(seq) {
					if probes > 0 {
						h.block(t, 1)
						h.clk.Advance(ival)
					}
					tg.send(t, err)
					probes++
				}
				h.block(t, 1)
			}
			send(tt.before)
			if got := h.s.Seed("web", tt.seed, "taken over"); got != tt.seeded {
				t.Fatalf("Seed = %v, want %v", got, tt.seeded)
			}
			if tt.seeded {
				if c := h.next(t); c.From != health.Unknown || c.To != tt.seed || c.Reason != "taken over" {
					t.Errorf("seed reported as %+v", c)
				}
			}
			send(tt.after)
			if st := h.state(t, "web"); st.Status != tt.want {
				t.Errorf("status %v, want %v (%s)", st.Status, tt.want, st.Reason)
			}
		})
	}
	h := newHarness(t, nil)
	if h.s.Seed("nope", health.Down, "x") {
		t.Error("a check not running took a seed")
	}
}
