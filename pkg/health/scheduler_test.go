package health_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// results turns "o" (ok) and "f" (fail) into probe results.
func results(seq string) []error {
	out := make([]error, len(seq))
	for i, r := range seq {
		if r == 'f' {
			out[i] = errBoom
		}
	}
	return out
}

func TestRiseFall(t *testing.T) {
	tests := []struct {
		name       string
		rise, fall int
		seq        string
		want       health.Status
		changes    int
	}{
		{"no result yet", 2, 2, "", health.Unknown, 0},
		{"first success is up at once", 2, 2, "o", health.Up, 1},
		{"first failure stays unknown", 2, 2, "f", health.Unknown, 0},
		{"fall failures from unknown", 2, 2, "ff", health.Down, 1},
		{"success after a failure from unknown", 2, 2, "fo", health.Up, 1},
		{"one failure keeps up", 2, 2, "of", health.Up, 1},
		{"fall failures turn down", 2, 2, "off", health.Down, 2},
		{"a success resets the failures", 2, 2, "ofofo", health.Up, 1},
		{"down needs rise successes", 2, 2, "offo", health.Down, 2},
		{"rise successes turn up", 2, 2, "offoo", health.Up, 3},
		{"a failure resets the successes", 2, 2, "offofo", health.Down, 2},
		{"fall 3", 2, 3, "offf", health.Down, 2},
		{"fall 3 not reached", 2, 3, "off", health.Up, 1},
		{"rise 3", 3, 1, "ofoo", health.Down, 2},
		{"rise 3 reached", 3, 1, "ofooo", health.Up, 3},
		{"rise 1 fall 1 flaps", 1, 1, "ofof", health.Down, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			tg := h.fleet.target("web")
			h.s.Apply([]config.Check{probed("web", tt.rise, tt.fall)})
			for i, err := range results(tt.seq) {
				if i > 0 {
					h.block(t, 1)
					h.clk.Advance(ival)
				}
				tg.send(t, err)
			}
			if tt.seq != "" {
				h.block(t, 1)
			}
			st := h.state(t, "web")
			if st.Status != tt.want {
				t.Errorf("status after %q = %v, want %v (%s)", tt.seq, st.Status, tt.want, st.Reason)
			}
			// Consecutive counters: the run at the end of the sequence.
			trimmed := strings.TrimRight(tt.seq, "o")
			wantOK := len(tt.seq) - len(trimmed)
			wantFail := len(trimmed) - len(strings.TrimRight(trimmed, "f"))
			if wantOK > 0 {
				wantFail = 0
			}
			if st.Successes != wantOK || st.Failures != wantFail {
				t.Errorf("successes, failures = %d, %d, want %d, %d", st.Successes, st.Failures, wantOK, wantFail)
			}
			if got := len(h.drain()); got != tt.changes {
				t.Errorf("%d changes, want %d", got, tt.changes)
			}
		})
	}
}

func TestObservationRecorded(t *testing.T) {
	h := newHarness(t, nil)
	tg := h.fleet.target("web")
	h.s.Apply([]config.Check{probed("web", 2, 2)})
	tg.send(t, errBoom)
	h.block(t, 1)
	st := h.state(t, "web")
	if st.LastError != "boom" || !st.LastAt.Equal(epoch) || st.Check != "web" || st.Reason != "1 failure (down at 2): boom" {
		t.Errorf("state after a failure = %+v", st)
	}
	h.clk.Advance(ival)
	tg.send(t, nil)
	h.block(t, 1)
	st = h.state(t, "web")
	if st.LastError != "" || !st.LastAt.Equal(epoch.Add(ival)) || !st.Since.Equal(epoch.Add(ival)) {
		t.Errorf("state after a success = %+v", st)
	}
	if _, ok := h.s.State("nope"); ok {
		t.Error("State of a missing check reports ok")
	}
	if got := h.s.Status("nope"); got != health.Unknown {
		t.Errorf("Status of a missing check = %v", got)
	}
}

func TestOnChangeOncePerChangeAndLogged(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, func(o *health.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	tg := h.fleet.target("web")
	h.s.Apply([]config.Check{probed("web", 2, 2)})
	for i, err := range results("ooffffoooo") {
		if i > 0 {
			h.block(t, 1)
			h.clk.Advance(ival)
		}
		tg.send(t, err)
	}
	h.block(t, 1)
	got := h.drain()
	want := []health.Change{
		{Check: "web", From: health.Unknown, To: health.Up, Reason: "first check succeeded", At: epoch},
		{Check: "web", From: health.Up, To: health.Down, Reason: "2 consecutive failures: boom", At: epoch.Add(3 * ival)},
		{Check: "web", From: health.Down, To: health.Up, Reason: "2 consecutive successes", At: epoch.Add(7 * ival)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes:\n got %v\nwant %v", got, want)
	}
	if n := strings.Count(logs.String(), "health check status changed"); n != len(want) {
		t.Errorf("%d status change log lines, want %d:\n%s", n, len(want), logs.String())
	}
	if !strings.Contains(logs.String(), `reason="2 consecutive failures: boom"`) {
		t.Errorf("log lacks the reason:\n%s", logs.String())
	}
}

func TestApplyKeepsUnchangedRestartsChanged(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.fleet.target("a"), h.fleet.target("b")
	checks := []config.Check{probed("a", 2, 2), probed("b", 2, 2)}
	h.s.Apply(checks)
	a.send(t, nil)
	b.send(t, nil)
	h.block(t, 2)
	h.clk.Advance(ival)
	a.send(t, nil)
	b.send(t, errBoom)
	h.block(t, 2)
	before := h.state(t, "a")
	if before.Successes != 2 || before.Status != health.Up {
		t.Fatalf("a before Apply = %+v", before)
	}
	for range 2 {
		h.next(t) // a and b up
	}

	// The same a (a fresh copy), b with a new address.
	changed := []config.Check{probed("a", 2, 2), probed("b", 2, 2)}
	changed[1].Address = "127.0.0.1:2"
	h.s.Apply(changed)
	if after := h.state(t, "a"); after != before {
		t.Errorf("unchanged a lost its state:\n got %+v\nwant %+v", after, before)
	}
	// A changed check keeps its status, with its counters started afresh.
	if st := h.state(t, "b"); st.Status != health.Up || st.Failures != 0 || st.Successes != 0 {
		t.Errorf("changed b = %+v, want up with fresh counters", st)
	}
	// The old b stops its timer; the new one probes at once (no jitter)
	// and waits for its result, so only a's timer is pending.
	h.block(t, 1)
	b.send(t, errBoom)
	h.block(t, 2)
	if got := h.fleet.buildsOf("a"); got != 1 {
		t.Errorf("a built %d times, want 1", got)
	}
	if got := h.fleet.buildsOf("b"); got != 2 {
		t.Errorf("b built %d times, want 2", got)
	}
	h.clk.Advance(ival)
	a.send(t, nil)
	b.send(t, nil)
	h.block(t, 2)
	if got := h.state(t, "a").Successes; got != 3 {
		t.Errorf("a kept counting to %d successes, want 3", got)
	}
	if old, cur := b.callsOf(1), b.callsOf(2); old != 2 || cur != 2 {
		t.Errorf("b probes by old, new checker = %d, %d, want 2, 2", old, cur)
	}

	// Removing b stops it: its timer goes, it is never probed again.
	h.s.Apply(changed[:1])
	if _, ok := h.s.State("b"); ok {
		t.Error("removed b still has a state")
	}
	h.block(t, 1)
	h.clk.Advance(ival)
	a.send(t, nil)
	h.block(t, 1)
	if cur := b.callsOf(2); cur != 2 {
		t.Errorf("removed b probed again (%d)", cur)
	}
	if _, ok := h.s.States()["b"]; ok || len(h.s.States()) != 1 {
		t.Errorf("States after removal = %v", h.s.States())
	}
}

func TestHangingCheckDoesNotDelayOthers(t *testing.T) {
	h := newHarness(t, nil)
	hang := &hanger{entered: make(chan struct{}, 10)}
	h.fleet.add("hang", hang)
	fast := h.fleet.target("fast")
	h.s.Apply([]config.Check{probed("hang", 2, 2), probed("fast", 2, 2)})
	<-hang.entered
	for i, err := range results("off") {
		if i > 0 {
			h.block(t, 1) // only fast's: hang is still in its probe
			h.clk.Advance(ival)
		}
		fast.send(t, err)
	}
	h.block(t, 1)
	if st := h.state(t, "fast"); st.Status != health.Down {
		t.Errorf("fast = %v, want down", st.Status)
	}
	if st := h.state(t, "hang"); !st.LastAt.IsZero() || hang.calls.Load() != 1 {
		t.Errorf("hang state %+v after %d calls, want one call in flight", st, hang.calls.Load())
	}
	// Close cancels the hanging probe and returns.
	h.s.Close()
}

// hanger is a Checker that blocks until its context ends.
type hanger struct {
	calls   atomic.Int32
	entered chan struct{}
}

func (g *hanger) Check(ctx context.Context) error {
	g.calls.Add(1)
	g.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func TestTimeoutEnforced(t *testing.T) {
	h := newHarness(t, nil)
	h.fleet.add("hang", &hanger{entered: make(chan struct{}, 10)})
	c := probed("hang", 1, 1)
	c.Timeout = config.Duration(50 * time.Millisecond)
	h.s.Apply([]config.Check{c})
	got := h.next(t)
	if got.To != health.Down || got.Reason != "1 failure: timed out after 50ms" {
		t.Errorf("change = %+v", got)
	}
}

func TestPanickingCheckerFails(t *testing.T) {
	h := newHarness(t, nil)
	h.fleet.add("p", panicker{})
	h.s.Apply([]config.Check{probed("p", 1, 1)})
	if got := h.next(t); got.To != health.Down || !strings.Contains(got.Reason, "checker panicked: oops") {
		t.Errorf("change = %+v", got)
	}
}

type panicker struct{}

func (panicker) Check(context.Context) error { panic("oops") }

func TestUnbuildableCheckFails(t *testing.T) {
	h := newHarness(t, nil) // the fleet has no target for "x"
	h.s.Apply([]config.Check{probed("x", 1, 1)})
	if got := h.next(t); got.To != health.Down || got.Reason != "1 failure: no target" {
		t.Errorf("change = %+v", got)
	}
}

func TestConcurrencyBound(t *testing.T) {
	const limit, checks = 2, 5
	h := newHarness(t, func(o *health.Options) { o.MaxConcurrent = limit })
	g := &gate{entered: make(chan struct{}, checks), release: make(chan struct{})}
	var cs []config.Check
	for i := range checks {
		name := fmt.Sprintf("c%d", i)
		h.fleet.add(name, g)
		cs = append(cs, probed(name, 1, 1))
	}
	h.s.Apply(cs)
	for range limit {
		<-g.entered
	}
	for range checks - limit {
		g.release <- struct{}{}
		<-g.entered
	}
	for range limit {
		g.release <- struct{}{}
	}
	h.block(t, checks)
	if got := g.max.Load(); got != limit {
		t.Errorf("at most %d probes in flight, want %d", got, limit)
	}
	for name, st := range h.s.States() {
		if st.Status != health.Up {
			t.Errorf("%s = %v", name, st.Status)
		}
	}
}

// gate is a Checker that counts probes in flight and holds each one until
// released.
type gate struct {
	inflight, max atomic.Int32
	entered       chan struct{}
	release       chan struct{}
}

func (g *gate) Check(ctx context.Context) error {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for {
		m := g.max.Load()
		if n <= m || g.max.CompareAndSwap(m, n) {
			break
		}
	}
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// seqRand returns its values in turn and records what it was asked.
type seqRand struct {
	mu     sync.Mutex
	values []time.Duration
	asked  []time.Duration
}

func (r *seqRand) Int64N(n int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, time.Duration(n))
	v := r.values[0]
	r.values = r.values[1:]
	return int64(v)
}

func TestJitter(t *testing.T) {
	rnd := &seqRand{values: []time.Duration{300 * time.Millisecond, 20 * time.Second}}
	h := newHarness(t, func(o *health.Options) { o.Rand = rnd })
	tg := h.fleet.target("web")
	h.s.Apply([]config.Check{probed("web", 1, 1)})
	if want := []time.Duration{health.MaxFirstDelay, ival}; fmt.Sprint(rnd.asked) != fmt.Sprint(want) {
		t.Errorf("jitter asked for %v, want %v", rnd.asked, want)
	}
	// First probe after 300ms.
	h.block(t, 1)
	h.clk.Advance(300*time.Millisecond - 1)
	if h.clk.Pending() != 1 {
		t.Fatal("first probe before its delay")
	}
	h.clk.Advance(1)
	tg.send(t, nil)
	// Second one interval+20s later (never sooner than an interval),
	// then every interval.
	h.block(t, 1)
	h.clk.Advance(ival + 20*time.Second - 1)
	if h.clk.Pending() != 1 {
		t.Fatal("second probe before its delay")
	}
	h.clk.Advance(1)
	tg.send(t, nil)
	h.block(t, 1)
	h.clk.Advance(ival - 1)
	if h.clk.Pending() != 1 {
		t.Fatal("third probe before its interval")
	}
	h.clk.Advance(1)
	tg.send(t, nil)
	h.block(t, 1)
	if st := h.state(t, "web"); !st.LastAt.Equal(epoch.Add(300*time.Millisecond + 2*ival + 20*time.Second)) {
		t.Errorf("last probe at %v", st.LastAt.Sub(epoch))
	}
}

func TestApplyAfterCloseAndCloseTwice(t *testing.T) {
	h := newHarness(t, nil)
	h.s.Close()
	h.s.Close()
	h.s.Apply([]config.Check{probed("web", 1, 1)})
	if len(h.s.States()) != 0 {
		t.Error("Apply after Close started a check")
	}
}

// TestApplyKeepsDownThroughAChange: editing the settings of a check that
// is down keeps it down until rise successes under the new settings, so
// the region does not come back into the answers for the edit's sake.
func TestApplyKeepsDownThroughAChange(t *testing.T) {
	h := newHarness(t, nil)
	b := h.fleet.target("b")
	h.s.Apply([]config.Check{probed("b", 2, 1)})
	b.send(t, errBoom) // Unknown → Down after one failure (fall 1)
	if c := h.next(t); c.To != health.Down {
		t.Fatalf("first change = %+v, want down", c)
	}
	h.block(t, 1)

	changed := probed("b", 2, 1)
	changed.Address = "127.0.0.1:2"
	h.s.Apply([]config.Check{changed})
	if st := h.state(t, "b"); st.Status != health.Down || st.Successes != 0 {
		t.Fatalf("after the change b = %+v, want down with fresh counters", st)
	}
	b.send(t, nil) // one success of two
	h.block(t, 1)
	if st := h.state(t, "b"); st.Status != health.Down || st.Successes != 1 {
		t.Fatalf("after one success b = %+v, want still down", st)
	}
	h.clk.Advance(ival)
	b.send(t, nil)
	if c := h.next(t); c.From != health.Down || c.To != health.Up {
		t.Errorf("change = %+v, want down → up after rise successes", c)
	}
}

// TestSchedulerLeavesEvaluatedChecks: external and calculated checks are
// decided by Evaluate; the Scheduler neither runs, reports nor keeps them,
// and a probed check whose type becomes one of theirs stops.
func TestSchedulerLeavesEvaluatedChecks(t *testing.T) {
	h := newHarness(t, nil)
	web := h.fleet.target("web")
	other := h.fleet.target("other")
	ext := config.Check{Name: "ext", Type: config.CheckExternal}
	calc := config.Check{Name: "calc", Type: config.CheckCalculated, Children: []string{"web"}, MinHealthy: 1}
	h.s.Apply([]config.Check{ext, probed("web", 1, 1), calc, probed("other", 1, 1)})
	web.send(t, nil)
	other.send(t, errBoom)
	h.block(t, 2)
	got := map[string]health.Status{}
	for i := 0; i < 2; i++ {
		c := h.next(t)
		got[c.Check] = c.To
	}
	if want := map[string]health.Status{"web": health.Up, "other": health.Down}; !maps.Equal(got, want) {
		t.Errorf("changes %v, want %v: a calculated parent is not the scheduler's", got, want)
	}
	states := h.s.States()
	if _, ok := states["ext"]; ok || len(states) != 2 {
		t.Errorf("states %v, want web and other only", states)
	}
	obs := h.s.Observations()
	if o := obs["other"]; len(obs) != 2 || o.Status != health.Down || o.Error != "boom" || !o.At.Equal(epoch) {
		t.Errorf("observations %+v", obs)
	}
	if o, st := obs["web"], h.state(t, "web"); o != st.Observation() {
		t.Errorf("observation %+v is not the state's %+v", o, st.Observation())
	}

	// "other" becomes an external check: its probes stop.
	h.s.Apply([]config.Check{ext, probed("web", 1, 1), calc, {Name: "other", Type: config.CheckExternal}})
	h.block(t, 1)
	if _, ok := h.s.State("other"); ok {
		t.Error("a check turned external is still probed")
	}
	if rest := h.drain(); len(rest) != 0 {
		t.Errorf("more changes: %v", rest)
	}
}
