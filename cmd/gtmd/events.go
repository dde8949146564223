package main

import (
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
)

// broadcaster fans events out to the API's subscribers. A subscriber that
// does not keep up loses events rather than slowing the node.
type broadcaster struct {
	now  func() time.Time
	mu   sync.Mutex
	subs map[chan admin.Event]struct{}
}

func newBroadcaster(now func() time.Time) *broadcaster {
	return &broadcaster{now: now, subs: map[chan admin.Event]struct{}{}}
}

func (b *broadcaster) send(typ string, data any) {
	if b == nil {
		return
	}
	ev := admin.Event{Type: typ, At: b.now(), Data: data}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// subscribe returns a channel of events and a function that ends the
// subscription.
func (b *broadcaster) subscribe() (<-chan admin.Event, func()) {
	ch := make(chan admin.Event, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}
