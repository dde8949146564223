package health

import (
	"log/slog"
	"sync"
)

// notifier delivers status changes, in order, to the log and to OnChange
// from its own goroutine, so no lock of the Scheduler is held meanwhile and
// a slow OnChange delays no probe.
type notifier struct {
	log      *slog.Logger
	onChange func(Change)
	wake     chan struct{}
	done     chan struct{}
	exited   chan struct{}

	mu    sync.Mutex
	queue []Change
}

func newNotifier(log *slog.Logger, onChange func(Change)) *notifier {
	return &notifier{
		log:      log,
		onChange: onChange,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
	}
}

// push queues a change; it never blocks.
func (n *notifier) push(c Change) {
	n.mu.Lock()
	n.queue = append(n.queue, c)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) run() {
	defer close(n.exited)
	for {
		select {
		case <-n.wake:
			n.drain()
		case <-n.done:
			n.drain()
			return
		}
	}
}

func (n *notifier) drain() {
	for {
		n.mu.Lock()
		batch := n.queue
		n.queue = nil
		n.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		for _, c := range batch {
			n.log.Info("health check status changed",
				"check", c.Check, "from", c.From.String(), "to", c.To.String(), "reason", c.Reason)
			if n.onChange != nil {
				n.onChange(c)
			}
		}
	}
}

// close delivers what is queued and stops the goroutine.
func (n *notifier) close() {
	close(n.done)
	<-n.exited
}
