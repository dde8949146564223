package admin

import (
	"sync"
	"time"
)

// Broadcaster fans events out to the subscribers of GET /v1/events. A
// subscriber that does not keep up loses events rather than slowing the
// node that sends them.
type Broadcaster struct {
	now  func() time.Time
	mu   sync.Mutex
	subs map[chan Event]struct{}
	// closed is closed by Close, which ends every subscription.
	closed chan struct{}
}

// subscriberBuffer is how many events a subscriber may fall behind by
// before it loses some.
const subscriberBuffer = 64

// NewBroadcaster returns a Broadcaster that stamps events with now.
func NewBroadcaster(now func() time.Time) *Broadcaster {
	return &Broadcaster{now: now, subs: map[chan Event]struct{}{}, closed: make(chan struct{})}
}

// Send hands an event saying data to every subscriber.
func (b *Broadcaster) Send(data EventData) {
	ev := NewEvent(b.now(), data)
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Subscribe delivers events until done is closed or the Broadcaster
// is; then the channel is closed.
func (b *Broadcaster) Subscribe(done <-chan struct{}) <-chan Event {
	ch := make(chan Event, subscriberBuffer)
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.closed:
		close(ch)
		return ch
	default:
	}
	b.subs[ch] = struct{}{}
	go func() {
		select {
		case <-done:
		case <-b.closed:
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
	}()
	return ch
}

// Subscribers is the number of open subscriptions.
func (b *Broadcaster) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every subscription, so that event streams finish and a
// stopping node's API can shut down without waiting them out.
func (b *Broadcaster) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.closed:
		return
	default:
		close(b.closed)
	}
	for ch := range b.subs {
		close(ch)
		delete(b.subs, ch)
	}
}
