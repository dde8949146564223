package health

import (
	"context"
	"testing"
	"time"
)

// acquireAsync starts an acquire and returns where its outcome lands.
// Waiters queue in the order their acquire takes the lock, so it waits
// until this one is queued (or has its slot) before returning.
func acquireAsync(s *slots, ctx context.Context) <-chan bool {
	s.mu.Lock()
	queued := len(s.queue)
	s.mu.Unlock()
	out := make(chan bool, 1)
	go func() { out <- s.acquire(ctx) }()
	for {
		s.mu.Lock()
		n := len(s.queue)
		s.mu.Unlock()
		if n > queued {
			return out
		}
		select {
		case ok := <-out:
			out <- ok
			return out
		case <-time.After(time.Millisecond):
		}
	}
}

// outcome waits for the acquire behind ch and returns what it reported.
func outcome(t *testing.T, ch <-chan bool) bool {
	t.Helper()
	select {
	case ok := <-ch:
		return ok
	case <-time.After(10 * time.Second):
		t.Fatal("acquire never returned")
		return false
	}
}

// pending reports whether the acquire behind ch is still waiting.
func pending(ch <-chan bool) bool {
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

func TestSlotsFirstComeFirstServed(t *testing.T) {
	s := newSlots(1)
	ctx := context.Background()
	if !s.acquire(ctx) {
		t.Fatal("first acquire failed")
	}
	first, second := acquireAsync(s, ctx), acquireAsync(s, ctx)
	s.release()
	if !outcome(t, first) {
		t.Fatal("the oldest waiter did not get the slot")
	}
	if !pending(second) {
		t.Fatal("the second waiter got a slot that was not free")
	}
	s.release()
	if !outcome(t, second) {
		t.Fatal("the second waiter never got the slot")
	}
	if used, size := s.inUse(); used != 1 || size != 1 {
		t.Errorf("used, size = %d, %d, want 1, 1", used, size)
	}
}

func TestSlotsResize(t *testing.T) {
	s := newSlots(1)
	ctx := context.Background()
	s.acquire(ctx)
	a, b := acquireAsync(s, ctx), acquireAsync(s, ctx)
	s.resize(3) // both waiters fit now
	if !outcome(t, a) || !outcome(t, b) {
		t.Fatal("growing did not wake the waiters")
	}
	s.resize(1) // three held, one allowed: new acquires wait for two releases
	c := acquireAsync(s, ctx)
	s.release()
	s.release()
	if !pending(c) {
		t.Fatal("an acquire got a slot while the shrunk bound was exceeded")
	}
	s.release()
	if !outcome(t, c) {
		t.Fatal("the waiter never got the slot freed under the new bound")
	}
	s.resize(0)
	if _, size := s.inUse(); size != 1 {
		t.Errorf("size %d after resize(0), want at least 1", size)
	}
}

func TestSlotsCancelledWaiter(t *testing.T) {
	s := newSlots(1)
	s.acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	gone := acquireAsync(s, ctx)
	next := acquireAsync(s, context.Background())
	cancel()
	if outcome(t, gone) {
		t.Fatal("a cancelled acquire reports a slot")
	}
	s.release()
	if !outcome(t, next) {
		t.Fatal("the slot went to the cancelled waiter")
	}
	if used, _ := s.inUse(); used != 1 {
		t.Errorf("used %d, want 1", used)
	}
}
