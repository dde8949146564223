package node

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
)

// largeZones is the number of RRsets from which a change of zones'
// records counts as large: the zones that changed, before or after,
// hold that many. Reading them, copying a zone's records to change one,
// building a snapshot and keeping a copy leave hundreds of megabytes of
// garbage behind.
const largeZones = 100_000

// memoryReleaser gives the operating system back the memory a large
// change used for a moment. Go returns freed heap slowly: after a put of
// a million records a node held 4.8 GiB resident for a live heap of
// 1.3 GiB, and operators size hosts by what they see resident. A release
// collects the whole heap (about a second of CPU at a million records),
// so it comes once a change has settled (settle after the last sign of
// it: the state, then the copy kept of it, whose encoding is its last
// garbage) and at most once an interval.
type memoryReleaser struct {
	// requests start a release; pokes (a copy kept) put off one that
	// is settling.
	requests, pokes chan struct{}
	settle          time.Duration
	interval        time.Duration
	// release is debug.FreeOSMemory; tests count the calls.
	release func()
	// zones are the zones' records last seen: states share a zone's
	// records until they change. Only the node's run loop touches it.
	zones map[string]*cluster.ZoneRecords
	// answers, when set, counts the answers the DNS handler made and
	// kept (resolver.Handler.AnswersMade); every poll, largeZones more
	// of them since the last request ask for a release: asking every
	// name of a million-record zone left about a gigabyte resident for
	// a live heap of 0.7 GB.
	answers func() uint64
	poll    time.Duration
	// slack is how much of the heap does not hold live objects (garbage
	// and free pages not given back; heapSlack): answers made again
	// after every UPDATE to a busy zone leave little, and a release
	// then would cost a full collection for nothing.
	slack func() (slack, live uint64)
}

func newMemoryReleaser() *memoryReleaser {
	return &memoryReleaser{
		requests: make(chan struct{}, 1),
		pokes:    make(chan struct{}, 1),
		settle:   5 * time.Second,
		interval: 30 * time.Second,
		poll:     5 * time.Second,
		release:  debug.FreeOSMemory,
		slack:    heapSlack,
	}
}

// minSlack is the least slack an answers release is worth.
const minSlack = 64 << 20

// heapSlack reads, from the runtime's metrics, the heap memory not
// holding live objects (garbage not yet collected, free and unused
// pages not returned) and the live heap at the last collection.
func heapSlack() (slack, live uint64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(samples)
	var held uint64
	for _, s := range samples[:3] {
		if s.Value.Kind() == metrics.KindUint64 {
			held += s.Value.Uint64()
		}
	}
	if samples[3].Value.Kind() == metrics.KindUint64 {
		live = samples[3].Value.Uint64()
	}
	if held < live {
		return 0, live
	}
	return held - live, live
}

// changed is told of every state of the store the node takes in. When
// the zones whose records changed since the last state (a put, an
// update, a deletion, the first read) hold, before or after, largeZones
// RRsets or more, it asks for a release. It never blocks. A nil releaser
// (a node assembled by hand in a test) does nothing.
func (m *memoryReleaser) changed(st *cluster.State) {
	if m == nil {
		return
	}
	n := 0
	for name, z := range st.Zones {
		if old := m.zones[name]; old != z {
			n += max(old.Len(), z.Len())
		}
	}
	for name, old := range m.zones {
		if _, ok := st.Zones[name]; !ok {
			n += old.Len()
		}
	}
	m.zones = st.Zones
	if n >= largeZones {
		signal(m.requests)
	}
}

// kept is told of each copy of the served document written; it never
// blocks.
func (m *memoryReleaser) kept() {
	if m != nil {
		signal(m.pokes)
	}
}

// run releases memory once a request has settled (no request or poke
// for settle, or interval at the longest) and no sooner than interval
// after the last release. It returns when ctx ends (at once for a nil
// releaser).
func (m *memoryReleaser) run(ctx context.Context) {
	if m == nil {
		return
	}
	if m.answers != nil {
		var poller sync.WaitGroup
		poller.Go(func() { m.pollAnswers(ctx) })
		defer poller.Wait()
	}
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.pokes:
			// A copy with no large change before it.
			continue
		case <-m.requests:
		}
		if !m.settled(ctx) || !sleepCtx(ctx, m.interval-time.Since(last)) {
			return
		}
		m.release()
		last = time.Now()
	}
}

// pollAnswers asks for a release every poll that finds largeZones more
// answers made than when it last asked (or since the handler was made),
// and slack worth giving back (minSlack, and a quarter of the live
// heap), until ctx ends.
func (m *memoryReleaser) pollAnswers(ctx context.Context) {
	t := time.NewTicker(m.poll)
	defer t.Stop()
	var asked uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if made := m.answers(); made-asked >= largeZones {
			asked = made
			if slack, live := m.slack(); slack >= max(minSlack, live/4) {
				signal(m.requests)
			}
		}
	}
}

// settled waits until neither a request nor a poke has come for settle,
// or interval has passed; false when ctx ended first.
func (m *memoryReleaser) settled(ctx context.Context) bool {
	longest := time.NewTimer(m.interval)
	defer longest.Stop()
	quiet := time.NewTimer(m.settle)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-longest.C:
			return true
		case <-quiet.C:
			return true
		case <-m.requests:
		case <-m.pokes:
		}
		quiet.Reset(m.settle)
	}
}

// sleepCtx waits d (nothing when d ≤ 0); false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// signal sends on c, a channel of one, unless a signal waits there: one
// wake-up covers a burst.
func signal(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
