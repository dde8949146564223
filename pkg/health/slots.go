package health

import (
	"context"
	"sync"
)

// slots is the semaphore of probes in flight. Unlike a buffered channel
// its size changes with the checks Apply is given, while probes hold
// slots, and waiters are served first come first served, so the probe
// that has waited longest (the one most behind its schedule) goes first.
type slots struct {
	mu    sync.Mutex
	size  int
	used  int
	queue []chan struct{} // waiters, oldest first; a send hands over a slot
}

func newSlots(size int) *slots { return &slots{size: max(size, 1)} }

// acquire takes a slot, waiting for one, and reports false when ctx ends
// first (holding none).
func (s *slots) acquire(ctx context.Context) bool {
	s.mu.Lock()
	if s.used < s.size && len(s.queue) == 0 {
		s.used++
		s.mu.Unlock()
		return true
	}
	ch := make(chan struct{}, 1)
	s.queue = append(s.queue, ch)
	s.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, w := range s.queue {
		if w == ch {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return false
		}
	}
	// The slot was handed over as ctx ended: pass it on.
	s.releaseLocked()
	return false
}

// release gives a slot back, to the oldest waiter if there is room.
func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
}

func (s *slots) releaseLocked() {
	s.used--
	s.wakeLocked()
}

// wakeLocked hands free slots to waiters, oldest first.
func (s *slots) wakeLocked() {
	for s.used < s.size && len(s.queue) > 0 {
		ch := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.used++
		ch <- struct{}{}
	}
}

// resize sets the number of slots (at least 1). Shrinking takes effect as
// probes in flight end; growing wakes waiters at once.
func (s *slots) resize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.size = max(n, 1)
	s.wakeLocked()
}

// inUse returns the slots held and the size.
func (s *slots) inUse() (used, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.size
}
