package health_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/health/healthtest"
)

// waitLimit bounds every wait of the tests, so a bug fails instead of
// hanging.
const waitLimit = 10 * time.Second

var errBoom = errors.New("boom")

// target is a flip-able fake Checker: each probe takes its result from
// results, so a test decides every outcome and knows when it was taken.
type target struct {
	results chan error
	mu      sync.Mutex
	calls   map[int]int // checker instance -> probes
}

func newTarget() *target {
	return &target{results: make(chan error), calls: map[int]int{}}
}

// probe is one Checker instance built for a target.
type probe struct {
	t  *target
	id int
}

func (p probe) Check(ctx context.Context) error {
	p.t.mu.Lock()
	p.t.calls[p.id]++
	p.t.mu.Unlock()
	select {
	case err := <-p.t.results:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send hands the next probe of the target its result.
func (tg *target) send(t *testing.T, err error) {
	t.Helper()
	select {
	case tg.results <- err:
	case <-time.After(waitLimit):
		t.Fatal("no probe came to take the result")
	}
}

func (tg *target) callsOf(id int) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.calls[id]
}

// fleet builds Checkers for checks by name and counts the builds.
type fleet struct {
	mu      sync.Mutex
	targets map[string]health.Checker
	builds  map[string]int
}

func newFleet() *fleet {
	return &fleet{targets: map[string]health.Checker{}, builds: map[string]int{}}
}

func (f *fleet) add(name string, c health.Checker) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets[name] = c
}

func (f *fleet) target(name string) *target {
	tg := newTarget()
	f.add(name, tg)
	return tg
}

func (f *fleet) newChecker(c config.Check) (health.Checker, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.builds[c.Name]++
	switch tg := f.targets[c.Name].(type) {
	case *target:
		return probe{t: tg, id: f.builds[c.Name]}, nil
	case nil:
		return nil, errors.New("no target")
	default:
		return tg, nil
	}
}

func (f *fleet) buildsOf(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.builds[name]
}

// Check implements health.Checker for plain targets added with add.
func (tg *target) Check(ctx context.Context) error { return probe{t: tg}.Check(ctx) }

// harness is a Scheduler on a fake clock with no jitter, whose changes
// arrive on a channel.
type harness struct {
	s       *health.Scheduler
	clk     *healthtest.FakeClock
	fleet   *fleet
	changes chan health.Change
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, mod func(*health.Options)) *harness {
	t.Helper()
	h := &harness{
		clk:     healthtest.NewFakeClock(epoch),
		fleet:   newFleet(),
		changes: make(chan health.Change, 1000),
	}
	opts := health.Options{
		Clock:      h.clk,
		Rand:       healthtest.ZeroRand{},
		NewChecker: h.fleet.newChecker,
		OnChange:   func(c health.Change) { h.changes <- c },
	}
	if mod != nil {
		mod(&opts)
	}
	h.s = health.NewScheduler(opts)
	t.Cleanup(h.s.Close)
	return h
}

// block waits until exactly n timers are pending: every idle check has
// recorded its last probe and armed its next one.
func (h *harness) block(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := h.clk.BlockUntilContext(ctx, n); err != nil {
		t.Fatalf("waiting for %d pending timers (have %d): %v", n, h.clk.Pending(), err)
	}
}

// next returns the next change.
func (h *harness) next(t *testing.T) health.Change {
	t.Helper()
	select {
	case c := <-h.changes:
		return c
	case <-time.After(waitLimit):
		t.Fatal("no change came")
		return health.Change{}
	}
}

// drain closes the scheduler and returns every change not yet taken.
func (h *harness) drain() []health.Change {
	h.s.Close()
	var out []health.Change
	for {
		select {
		case c := <-h.changes:
			out = append(out, c)
		default:
			return out
		}
	}
}

func (h *harness) state(t *testing.T, name string) health.State {
	t.Helper()
	st, ok := h.s.State(name)
	if !ok {
		t.Fatalf("no state for %q", name)
	}
	return st
}

// ival is the interval of the scheduler tests' checks; it passes on the
// fake clock only, and doubles as a timeout no test reaches.
const ival = time.Minute

// probed is a probed check as the scheduler tests use it.
func probed(name string, rise, fall int) config.Check {
	return config.Check{
		Name: name, Type: config.CheckTCP, Address: "127.0.0.1:1",
		Interval: config.Duration(ival), Timeout: config.Duration(ival),
		Rise: rise, Fall: fall,
	}
}
