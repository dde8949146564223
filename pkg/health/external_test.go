package health_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

func TestExternal(t *testing.T) {
	h := newHarness(t, nil)
	ext := config.Check{Name: "ext", Type: config.CheckExternal, Interval: config.Duration(ival), Rise: 2, Fall: 2}
	parent := config.Check{Name: "p", Type: config.CheckCalculated, Children: []string{"ext"}, MinHealthy: 1}
	h.s.Apply([]config.Check{ext, parent})
	if st := h.state(t, "ext"); st.Status != health.Unknown {
		t.Fatalf("before any push: %v", st.Status)
	}
	if err := h.s.SetExternal("ext", true, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, "ext"); st.Status != health.Up || st.Reason != "reported healthy (ttl 30s)" {
		t.Errorf("after a push: %+v", st)
	}
	if c := h.next(t); c.To != health.Up || c.Check != "ext" {
		t.Errorf("change %+v", c)
	}
	if c := h.next(t); c.To != health.Up || c.Check != "p" {
		t.Errorf("calculated parent: change %+v", c)
	}
	if n := h.clk.Pending(); n != 1 {
		t.Fatalf("%d timers pending, want the expiry", n)
	}
	// A push before the expiry extends it.
	h.clk.Advance(29 * time.Second)
	if err := h.s.SetExternal("ext", true, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(29 * time.Second)
	if st := h.state(t, "ext"); st.Status != health.Up || st.Successes != 2 {
		t.Errorf("extended push: %+v", st)
	}
	h.clk.Advance(time.Second)
	c := h.next(t)
	if c.To != health.Down || c.Reason != "no status pushed within the ttl (30s)" || !c.At.Equal(epoch.Add(59*time.Second)) {
		t.Errorf("expiry: change %+v", c)
	}
	if c := h.next(t); c.Check != "p" || c.To != health.Down {
		t.Errorf("calculated parent after expiry: %+v", c)
	}
	// Pushed unhealthy: down at once, no fall.
	if err := h.s.SetExternal("ext", true, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := h.s.SetExternal("ext", false, time.Minute); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, "ext"); st.Status != health.Down || st.LastError != "reported unhealthy" {
		t.Errorf("pushed unhealthy: %+v", st)
	}
	if rest := h.drain(); len(rest) != 4 {
		t.Errorf("changes after the expiry: %v, want ext and p up, then down", rest)
	}
}

func TestSetExternalErrors(t *testing.T) {
	h := newHarness(t, nil)
	h.fleet.target("web")
	h.s.Apply([]config.Check{probed("web", 1, 1), {Name: "ext", Type: config.CheckExternal}})
	if err := h.s.SetExternal("nope", true, time.Second); !errors.Is(err, health.ErrUnknownCheck) {
		t.Errorf("unknown check: %v", err)
	}
	if err := h.s.SetExternal("web", true, time.Second); !errors.Is(err, health.ErrNotExternal) {
		t.Errorf("probed check: %v", err)
	}
	if err := h.s.SetExternal("ext", true, 0); err == nil {
		t.Error("zero ttl accepted")
	}
	h.s.Close()
	if err := h.s.SetExternal("ext", true, time.Second); !errors.Is(err, health.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestExternalRemovedStopsExpiry(t *testing.T) {
	h := newHarness(t, nil)
	h.s.Apply([]config.Check{{Name: "ext", Type: config.CheckExternal}})
	if err := h.s.SetExternal("ext", true, time.Second); err != nil {
		t.Fatal(err)
	}
	h.s.Apply(nil)
	if n := h.clk.Pending(); n != 0 {
		t.Errorf("%d timers pending after removal", n)
	}
}
