package node

import (
	"context"
	"maps"
	"runtime/debug"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
)

// largeZones is the number of stored RRsets from which the store's state
// counts as large: reading it, building a snapshot of it and keeping a
// copy of it leave hundreds of megabytes of garbage behind.
const largeZones = 100_000

// memoryReleaser gives the operating system back the memory a large
// change used for a moment. Go returns freed heap slowly: after a put of
// a million records a node held 4.8 GiB resident for a live heap of
// 1.3 GiB, and operators size hosts by what they see resident. A release
// collects the whole heap (about a second of CPU at a million records),
// so it comes once a change has settled (the copy kept after a new
// document is its last garbage) and at most once an interval.
type memoryReleaser struct {
	requests chan struct{}
	settle   time.Duration
	interval time.Duration
	// release is debug.FreeOSMemory; tests count the calls.
	release func()
	// zones are the zones' records last seen: states share a zone's
	// records until they change.
	zones map[string]*cluster.ZoneRecords
}

func newMemoryReleaser() *memoryReleaser {
	return &memoryReleaser{
		requests: make(chan struct{}, 1),
		settle:   5 * time.Second,
		interval: 30 * time.Second,
		release:  debug.FreeOSMemory,
	}
}

// changed is told of every state of the store the node takes in. When
// the zones' records in it are new (the first read, a put, an update)
// and large, it asks for a release; it never blocks. A nil releaser (a
// node assembled by hand in a test) does nothing. Only the node's run
// loop calls it.
func (m *memoryReleaser) changed(st *cluster.State) {
	if m == nil || maps.Equal(m.zones, st.Zones) {
		return
	}
	m.zones = st.Zones
	n := 0
	for _, z := range st.Zones {
		if z != nil {
			n += len(z.Sets)
		}
	}
	if n < largeZones {
		return
	}
	select {
	case m.requests <- struct{}{}:
	default:
	}
}

// run releases memory settle after a request, and then no sooner than
// interval after the last release; requests in between make one. It
// returns when ctx ends (at once for a nil releaser).
func (m *memoryReleaser) run(ctx context.Context) {
	if m == nil {
		return
	}
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.requests:
		}
		wait := m.settle
		if !last.IsZero() {
			wait = max(wait, m.interval-time.Since(last))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		// Requests that came while waiting are served by this release.
		select {
		case <-m.requests:
		default:
		}
		m.release()
		last = time.Now()
	}
}
