package health_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestProbeSlots(t *testing.T) {
	check := func(typ string, iv, timeout time.Duration) config.Check {
		return config.Check{Name: "c", Type: typ, Interval: config.Duration(iv), Timeout: config.Duration(timeout)}
	}
	many := func(n int, c config.Check) []config.Check {
		out := make([]config.Check, n)
		for i := range out {
			out[i] = c
		}
		return out
	}
	tests := []struct {
		name      string
		checks    []config.Check
		ceiling   int
		wantSlots int
		wantBusy  float64
	}{
		{"no checks get the floor", nil, 0, health.MinProbeSlots, 0},
		{"a floor above the ceiling gives the ceiling", many(3, check(config.CheckTCP, time.Second, time.Second)), 2, 2, 3},
		{"twice the probes in flight if all hang", many(100, check(config.CheckHTTP, time.Second, 500*time.Millisecond)), 0, 100, 50},
		{"2,000 checks at 1s fit the default ceiling", many(2000, check(config.CheckHTTP, time.Second, time.Second)), 0, health.DefaultMaxConcurrent, 2000},
		{"over the ceiling", many(300, check(config.CheckTCP, 10*time.Second, 10*time.Second)), 100, 100, 300},
		{"a timeout above the interval counts as the interval", many(10, check(config.CheckDNS, time.Second, 5*time.Second)), 0, 20, 10},
		{"no timeout counts as the interval", many(10, check(config.CheckDNS, time.Second, 0)), 0, 20, 10},
		{"no interval is the default", many(100, check(config.CheckTCP, 0, 2*time.Second)), 0, 40, 20},
		{"evaluated checks are not probed", append(many(50, check(config.CheckExternal, time.Second, time.Second)),
			many(50, check(config.CheckCalculated, time.Second, time.Second))...), 0, health.MinProbeSlots, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slots, busy := health.ProbeSlots(tt.checks, tt.ceiling)
			if slots != tt.wantSlots || fmt.Sprintf("%.3f", busy) != fmt.Sprintf("%.3f", tt.wantBusy) {
				t.Errorf("ProbeSlots = %d, %.3f, want %d, %.3f", slots, busy, tt.wantSlots, tt.wantBusy)
			}
		})
	}
}

// TestHangingTargetsGetTheirOwnSlots: with the bound sized from the
// checks, 100 targets that hang each hold a slot (the old fixed bound
// was 32) and a fast check is probed on time beside them.
func TestHangingTargetsGetTheirOwnSlots(t *testing.T) {
	const hanging = 100
	reg := prometheus.NewRegistry()
	h := newHarness(t, func(o *health.Options) { o.Registerer = reg })
	g := &gate{entered: make(chan struct{}, hanging), release: make(chan struct{})}
	var cs []config.Check
	for i := range hanging {
		name := fmt.Sprintf("hang%d", i)
		h.fleet.add(name, g)
		cs = append(cs, probed(name, 1, 1))
	}
	fast := h.fleet.target("fast")
	h.s.Apply(append(cs, probed("fast", 1, 1)))
	for range hanging {
		select {
		case <-g.entered:
		case <-time.After(waitLimit):
			t.Fatalf("%d of %d hanging probes started, the rest wait for a slot", g.inflight.Load(), hanging)
		}
	}
	fast.send(t, nil)
	h.block(t, 1)
	h.clk.Advance(ival)
	fast.send(t, nil)
	h.block(t, 1)
	if st := h.state(t, "fast"); !st.LastAt.Equal(epoch.Add(ival)) {
		t.Errorf("fast probed at %v, want one interval in", st.LastAt.Sub(epoch))
	}
	if got := gaugeValue(t, reg, "gtmd_health_probe_slots"); got != 2*(hanging+1) {
		t.Errorf("gtmd_health_probe_slots = %v, want %d", got, 2*(hanging+1))
	}
	if got := gaugeValue(t, reg, "gtmd_health_probes_in_flight"); got != hanging {
		t.Errorf("gtmd_health_probes_in_flight = %v, want %d", got, hanging)
	}
	if got := g.max.Load(); got != hanging {
		t.Errorf("%d probes in flight at most, want %d", got, hanging)
	}
}

// gaugeValue returns the value of the unlabelled gauge name on reg.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s on the registry", name)
	return 0
}

// TestFirstProbesWithinOneInterval: checks applied together, with real
// random jitter, each have a first result within one interval: within
// MaxFirstDelay, or, when so many start that their first probes would
// come faster than MinStartRate and twice the checks' steady rate,
// spread over as long as that takes.
func TestFirstProbesWithinOneInterval(t *testing.T) {
	mixedRate := 250 * (2 + 1 + 0.1 + 1.0/60) // probes a second
	tests := []struct {
		name      string
		intervals []time.Duration
		each      int
		window    time.Duration // what the first probes spread over
		step      time.Duration
	}{
		// 1,000 checks probing 779 times a second: their first probes
		// at twice that take 0.64s.
		{"mixed intervals", []time.Duration{500 * time.Millisecond, time.Second, 10 * time.Second, time.Minute}, 250,
			time.Duration(1000 / (2 * mixedRate) * float64(time.Second)), 10 * time.Millisecond},
		{"few slow checks start within half a second", []time.Duration{time.Minute}, 100, health.MaxFirstDelay, 10 * time.Millisecond},
		// 2,000 checks at 10s probe 200 times a second: their start
		// takes half their interval, at twice the steady state's rate.
		{"many slow checks spread over half their interval", []time.Duration{10 * time.Second}, 2000, 5 * time.Second, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *health.Options) { o.Rand = rand.New(rand.NewPCG(1, 2)) })
			var cs []config.Check
			want := map[string]time.Duration{}
			for _, iv := range tt.intervals {
				for i := range tt.each {
					name := fmt.Sprintf("c%v-%d", iv, i)
					h.fleet.add(name, okChecker{})
					c := probed(name, 1, 1)
					c.Interval, c.Timeout = config.Duration(iv), config.Duration(iv)
					cs = append(cs, c)
					want[name] = min(iv, tt.window)
				}
			}
			h.s.Apply(cs)
			// Each check arms one timer at a time; step through the
			// window.
			h.block(t, len(cs))
			for elapsed := time.Duration(0); elapsed < tt.window; elapsed += tt.step {
				h.clk.Advance(tt.step)
				h.block(t, len(cs))
			}
			first := map[string]time.Duration{}
			for len(first) < len(cs) {
				c := h.next(t)
				if c.From != health.Unknown || c.To != health.Up {
					t.Fatalf("change %+v, want unknown → up", c)
				}
				first[c.Check] = c.At.Sub(epoch)
			}
			// A probe shows at the end of the step it fell in.
			var late []string
			for name, at := range first {
				if at >= want[name]+tt.step {
					late = append(late, fmt.Sprintf("%s at %v", name, at))
				}
			}
			if len(late) > 0 {
				t.Errorf("%d first probes late: %s", len(late), strings.Join(late[:min(5, len(late))], ", "))
			}
			// Spread, not bunched: every tenth of the window has some.
			var tenths [10]int
			for name, at := range first {
				if want[name] == tt.window {
					tenths[min(9, at*10/tt.window)]++
				}
			}
			for i, n := range tenths {
				if n == 0 {
					t.Errorf("no first probe in tenth %d of the first %v: %v", i, tt.window, tenths)
				}
			}
		})
	}
}

// okChecker is a target that is always healthy at once.
type okChecker struct{}

func (okChecker) Check(context.Context) error { return nil }

// TestProbeLagMeasured: a probe that waits for a slot starts late, the
// metrics show by how much, and the wait does not move the check's
// schedule: its next probe is due an interval after the late one was.
func TestProbeLagMeasured(t *testing.T) {
	reg := prometheus.NewRegistry()
	// a's first probe at once, b's 1ms later; the second an interval on.
	rnd := &seqRand{values: []time.Duration{0, 0, time.Millisecond, 0}}
	h := newHarness(t, func(o *health.Options) {
		o.Registerer, o.MaxConcurrent, o.Rand = reg, 1, rnd
	})
	a := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	h.fleet.add("a", a)
	b := h.fleet.target("b")
	h.s.Apply([]config.Check{probed("a", 1, 1), probed("b", 1, 1)})
	<-a.entered                    // a is probing, holding the only slot
	h.block(t, 1)                  // b's timer
	h.clk.Advance(5 * time.Second) // b comes due and waits for the slot
	a.release <- struct{}{}
	b.send(t, nil)
	h.block(t, 2)
	want := `
# HELP gtmd_health_check_lag_seconds How late the last probe of a check started after its due time (rounded up to the probe step), by check.
# TYPE gtmd_health_check_lag_seconds gauge
gtmd_health_check_lag_seconds{check="a"} 0
gtmd_health_check_lag_seconds{check="b"} 4.999
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_health_check_lag_seconds"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gtmd_health_probe_lag_seconds" {
			hist := mf.GetMetric()[0].GetHistogram()
			if hist.GetSampleCount() != 2 || hist.GetSampleSum() != 4.999 {
				t.Errorf("lag histogram: %d samples summing to %v, want 2 summing to 4.999", hist.GetSampleCount(), hist.GetSampleSum())
			}
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}

	// a is due at one interval, b 1ms later, not 5s later.
	h.clk.Advance(ival - 5*time.Second)
	<-a.entered
	a.release <- struct{}{}
	h.block(t, 2)
	h.clk.Advance(time.Millisecond - 1)
	if n := b.callsOf(1); n != 1 {
		t.Fatalf("b probed %d times before its second due time, want 1", n)
	}
	h.clk.Advance(1)
	b.send(t, nil)
	h.block(t, 2)
	if st := h.state(t, "b"); !st.LastAt.Equal(epoch.Add(ival + time.Millisecond)) {
		t.Errorf("b's second probe at %v, want %v", st.LastAt.Sub(epoch), ival+time.Millisecond)
	}

	h.s.Apply(nil)
	if n := testutil.CollectAndCount(reg, "gtmd_health_check_lag_seconds"); n != 0 {
		t.Errorf("%d lag series left after removal", n)
	}
}

// TestProbesCoalesce: probes due within one coalescing step start
// together at its end, one on a step's edge starts on time, and the
// rounding does not move a check's schedule: its next probe is due an
// interval after the unrounded due time.
func TestProbesCoalesce(t *testing.T) {
	const step = 10 * time.Millisecond
	firsts := map[string]time.Duration{"a": time.Millisecond, "b": 4 * time.Millisecond, "c": step, "d": 13 * time.Millisecond}
	names := []string{"a", "b", "c", "d"}
	rnd := &seqRand{}
	var cs []config.Check
	for _, name := range names {
		rnd.values = append(rnd.values, firsts[name], 0)
		cs = append(cs, probed(name, 1, 1))
	}
	h := newHarness(t, func(o *health.Options) { o.Rand, o.Coalesce = rnd, step })
	for _, name := range names {
		h.fleet.add(name, okChecker{})
	}
	h.s.Apply(cs)
	h.block(t, len(names))
	// The first steps' ends, then the ends a minute on.
	want := map[string]time.Duration{"a": step, "b": step, "c": step, "d": 2 * step}
	for _, base := range []time.Duration{0, ival} {
		got := map[string]time.Duration{}
		for _, at := range []time.Duration{base + step - 1, base + step, base + 2*step} {
			h.clk.Advance(at - h.clk.Now().Sub(epoch))
			h.block(t, len(names))
			for _, name := range names {
				last := h.state(t, name).LastAt.Sub(epoch)
				if _, seen := got[name]; !seen && last > base {
					got[name] = last - base
				}
			}
		}
		for _, name := range names {
			if got[name] != want[name] {
				t.Errorf("%s probed at %v after %v, want %v (due %v)", name, got[name], base, want[name], firsts[name])
			}
		}
	}
}

// TestCoalescingKeepsTheSchedule: a check whose interval is not a whole
// number of steps probes at the ends of the steps its own due times fall
// in (first due at 1ms, then every 1.005s): the rounding never becomes
// its schedule.
func TestCoalescingKeepsTheSchedule(t *testing.T) {
	const step = 10 * time.Millisecond
	iv := 1005 * time.Millisecond
	rnd := &seqRand{values: []time.Duration{time.Millisecond, 0}}
	h := newHarness(t, func(o *health.Options) { o.Rand, o.Coalesce = rnd, step })
	h.fleet.add("a", okChecker{})
	c := probed("a", 1, 1)
	c.Interval, c.Timeout = config.Duration(iv), config.Duration(iv)
	h.s.Apply([]config.Check{c})
	h.block(t, 1)
	var got []time.Duration
	for range 4 {
		last := h.state(t, "a").LastAt
		for h.state(t, "a").LastAt.Equal(last) {
			h.clk.Advance(time.Millisecond)
			h.block(t, 1)
		}
		got = append(got, h.state(t, "a").LastAt.Sub(epoch))
	}
	// Due at 1ms, 1.006s, 2.011s, 3.016s.
	want := []time.Duration{10 * time.Millisecond, 1010 * time.Millisecond, 2020 * time.Millisecond, 3020 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Errorf("probes at %v, want %v", got, want)
	}
}
