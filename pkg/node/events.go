package node

import (
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
)

// broadcaster fans events out to the API's subscribers. A subscriber that
// does not keep up loses events rather than slowing the node.
type broadcaster struct {
	now    func() time.Time
	mu     sync.Mutex
	subs   map[chan admin.Event]struct{}
	closed bool
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
// subscription. The channel is closed when the broadcaster is.
func (b *broadcaster) subscribe() (<-chan admin.Event, func()) {
	ch := make(chan admin.Event, 64)
	b.mu.Lock()
	if b.closed {
		close(ch)
	} else {
		b.subs[ch] = struct{}{}
	}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

// close ends every subscription, so that the API's event streams finish
// and a stopping node's admin server can shut down without waiting them
// out.
func (b *broadcaster) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		close(ch)
		delete(b.subs, ch)
	}
}
