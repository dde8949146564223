// Package healthtest holds test doubles for package health: a fake Clock
// that tests drive by hand, so intervals, jitter, rise/fall and external
// expiry are deterministic; and Upstream, a recursive resolver whose
// answers a test sets, for endpoint targets.
package healthtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/health"
)

// FakeClock is a health.Clock whose time moves only with Advance. Its
// timers fire during Advance, in deadline order. A goroutine that reacts
// to a timer does so asynchronously: wait for it with BlockUntil (it makes
// its next timer when done) before advancing again.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever timers changes
}

var _ health.Clock = (*FakeClock)(nil)

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer firing once the fake time has moved d; a d of
// zero or less fires at once and is never pending.
func (c *FakeClock) NewTimer(d time.Duration) health.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.notifyLocked()
	return t
}

// Advance moves the fake time by d and fires every timer due by then.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	slices.SortStableFunc(c.timers, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	fired := 0
	for _, t := range c.timers {
		if t.at.After(c.now) {
			break
		}
		t.ch <- t.at
		fired++
	}
	if fired > 0 {
		c.timers = slices.Delete(c.timers, 0, fired)
		c.notifyLocked()
	}
}

// Pending returns how many timers wait to fire.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// BlockUntil waits until exactly n timers are pending.
func (c *FakeClock) BlockUntil(n int) {
	_ = c.BlockUntilContext(context.Background(), n)
}

// BlockUntilContext waits until exactly n timers are pending, or returns
// ctx's error.
func (c *FakeClock) BlockUntilContext(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		pending, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if pending == n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *FakeClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type fakeTimer struct {
	clock *FakeClock
	at    time.Time
	ch    chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	c.notifyLocked()
	return true
}

// ZeroRand is a health.Rand that always returns 0: no jitter, so a check's
// first probe runs at once and the next ones every interval.
type ZeroRand struct{}

// Int64N returns 0.
func (ZeroRand) Int64N(int64) int64 { return 0 }
