package embedded

import (
	"sync"
	"time"
)

// repeatWindow is how often one etcd warning or error may be logged: a
// local process can make etcd warn once per request it sends (every write
// without credentials is "failed to apply request"), and the log must not
// be its to fill.
const repeatWindow = 10 * time.Second

// repeatGate lets each message through once per window and counts what
// it held back, so the next line says how many were dropped.
type repeatGate struct {
	now func() time.Time
	mu  sync.Mutex
	// seen is keyed by etcd's message text, a fixed set of strings in its
	// code; max bounds it anyway.
	seen map[string]*repeatState
	max  int
}

type repeatState struct {
	last    time.Time
	dropped int
}

func newRepeatGate(now func() time.Time) *repeatGate {
	return &repeatGate{now: now, seen: map[string]*repeatState{}, max: 256}
}

// pass reports whether msg may be logged now, and how many of it were
// held back since it last was.
func (g *repeatGate) pass(msg string) (ok bool, dropped int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	st := g.seen[msg]
	if st == nil {
		if len(g.seen) >= g.max {
			clear(g.seen)
		}
		g.seen[msg] = &repeatState{last: now}
		return true, 0
	}
	if now.Sub(st.last) < repeatWindow {
		st.dropped++
		return false, 0
	}
	dropped, st.dropped, st.last = st.dropped, 0, now
	return true, dropped
}
