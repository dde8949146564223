package client_test

import (
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
)

// TestFailover: the bound of a service named without its dot, assumed
// and then measured; an unknown service is a 404 APIError.
func TestFailover(t *testing.T) {
	b, c := node(t, admin.Options{}, "")
	for _, tc := range []struct {
		name     string
		prop     admin.Propagation
		measured bool
		worst    float64
	}{
		{"assumed", admin.Propagation{}, false, 22 + 1 + 30},
		{"measured", admin.Propagation{P99: 500 * time.Millisecond, Samples: 3}, true, 22 + 0.5 + 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.SetPropagation(tc.prop)
			fb, err := c.Failover(t.Context(), "www.example.com")
			if err != nil {
				t.Fatal(err)
			}
			e := fb.Endpoints[0]
			if fb.Service != "www.example.com." || fb.Samples != tc.prop.Samples || e.PropagationMeasured != tc.measured || e.WorstCaseSeconds == nil || *e.WorstCaseSeconds != tc.worst {
				t.Errorf("bound %+v, us-east %+v", fb, e)
			}
		})
	}
	fb, err := c.FailoverAll(t.Context(), "www.example.com.")
	if err != nil || len(fb.Nodes) != 1 || fb.Nodes[0].Node != "n1" || fb.Samples != 3 {
		t.Errorf("all nodes: %+v, %v", fb, err)
	}
	_, err = c.Failover(t.Context(), "nope.example.com")
	if ae := apiError(t, err); ae.Status != 404 {
		t.Errorf("unknown service: %v", err)
	}
}
