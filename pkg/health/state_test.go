package health_test

import (
	"encoding/json"
	"testing"

	"github.com/gtmd/gtmd/pkg/health"
)

func TestStatusText(t *testing.T) {
	for s, want := range map[health.Status]string{health.Unknown: "unknown", health.Up: "up", health.Down: "down"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
		b, err := json.Marshal(s)
		if err != nil || string(b) != `"`+want+`"` {
			t.Errorf("json %s, %v", b, err)
		}
		var back health.Status
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("round trip of %s: %v, %v", b, back, err)
		}
		if s.Healthy() != (s != health.Down) {
			t.Errorf("%v.Healthy() = %v", s, s.Healthy())
		}
	}
	var s health.Status
	if err := json.Unmarshal([]byte(`"sideways"`), &s); err == nil {
		t.Error("bad status accepted")
	}
	b, _ := json.Marshal(health.State{Check: "web", Status: health.Down})
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["status"] != "down" || m["check"] != "web" {
		t.Errorf("State JSON %s", b)
	}
}
