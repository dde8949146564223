package node

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
)

// zonesOf is a store state whose one zone holds n RRsets.
func zonesOf(n int) *cluster.State {
	sets := make(map[string]cluster.RRset, n)
	for i := range n {
		sets[fmt.Sprintf("h%d.big.test. A", i)] = cluster.RRset{}
	}
	z := cluster.NewZoneRecords(sets)
	z.Revision = int64(n)
	return &cluster.State{Zones: map[string]*cluster.ZoneRecords{"big.test.": z}}
}

// releases runs a memoryReleaser with short settle and interval and
// records when it releases.
type releases struct {
	m  *memoryReleaser
	mu sync.Mutex
	at []time.Time
}

func startReleaser(t *testing.T, edit ...func(*memoryReleaser)) *releases {
	r := &releases{m: newMemoryReleaser()}
	r.m.settle, r.m.interval = 20*time.Millisecond, 300*time.Millisecond
	for _, e := range edit {
		e(r.m)
	}
	r.m.release = func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.at = append(r.at, time.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.m.run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return r
}

func (r *releases) times() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.at...)
}

// wait waits for the n-th release and returns its time.
func (r *releases) wait(t *testing.T, n int) time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if at := r.times(); len(at) >= n {
			return at[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d releases, want %d", len(r.times()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMemoryReleasedAfterLargeChanges: a large new set of zone records
// asks for one release, however many states carry it; a small change
// and a state with the same records ask for none; removing a large zone
// is large too; releases keep their interval apart.
func TestMemoryReleasedAfterLargeChanges(t *testing.T) {
	r := startReleaser(t)
	m := r.m
	m.changed(zonesOf(10))
	time.Sleep(10 * m.settle)
	if n := len(r.times()); n != 0 {
		t.Fatalf("%d releases after a small change, want none", n)
	}
	large := zonesOf(largeZones)
	for range 3 {
		m.changed(large)
		// A state that shares the zones (a member's heartbeat) is no
		// new change.
		m.changed(&cluster.State{Zones: large.Zones, Revision: 9})
	}
	first := r.wait(t, 1)
	m.changed(&cluster.State{Zones: large.Zones, Revision: 10})
	time.Sleep(2 * m.interval)
	if n := len(r.times()); n != 1 {
		t.Fatalf("%d releases after one large change, want 1", n)
	}

	// The large zone replaced by a small one frees a large one.
	m.changed(zonesOf(10))
	if gap := r.wait(t, 2).Sub(first); gap < m.interval {
		t.Errorf("releases %v apart, want at least %v", gap, m.interval)
	}
}

// TestMemoryReleaseWaitsForTheCopy: a release waits until the change
// has settled: copies kept after it put it off.
func TestMemoryReleaseWaitsForTheCopy(t *testing.T) {
	r := startReleaser(t)
	m := r.m
	m.changed(zonesOf(largeZones))
	var lastPoke time.Time
	for range 6 {
		time.Sleep(m.settle / 2)
		lastPoke = time.Now()
		m.kept()
	}
	if at := r.wait(t, 1); at.Before(lastPoke) {
		t.Errorf("released %v before the last copy was kept", lastPoke.Sub(at))
	}
	// A copy with no large change before it releases nothing.
	m.kept()
	time.Sleep(10 * m.settle)
	if n := len(r.times()); n != 1 {
		t.Errorf("%d releases, want 1", n)
	}
}

// TestMemoryReleasedAfterManyAnswers: largeZones answers made by the DNS
// handler (every name of a large zone asked once) ask for a release, and
// fewer do not; nor do as many when the heap holds little beside its
// live objects (answers made again after an UPDATE, say).
func TestMemoryReleasedAfterManyAnswers(t *testing.T) {
	var made, slack atomic.Uint64
	const live = 400 << 20
	slack.Store(live / 4)
	r := startReleaser(t, func(m *memoryReleaser) {
		m.answers, m.poll = made.Load, 10*time.Millisecond
		m.slack = func() (uint64, uint64) { return slack.Load(), live }
	})
	made.Add(largeZones - 1)
	time.Sleep(2 * r.m.interval)
	if n := len(r.times()); n != 0 {
		t.Fatalf("%d releases after %d answers, want none", n, largeZones-1)
	}
	made.Add(1)
	r.wait(t, 1)
	time.Sleep(2 * r.m.interval)
	if n := len(r.times()); n != 1 {
		t.Errorf("%d releases after one burst of answers, want 1", n)
	}

	slack.Store(live/4 - 1)
	made.Add(2 * largeZones)
	time.Sleep(2 * r.m.interval)
	if n := len(r.times()); n != 1 {
		t.Errorf("%d releases after answers that left a heap with little slack, want still 1", n)
	}
	slack.Store(live)
	made.Add(largeZones)
	r.wait(t, 2)
}

// TestHeapSlack: garbage made shows as slack over the live heap.
func TestHeapSlack(t *testing.T) {
	// No collection while the garbage is made: it would take it back.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// Nothing free kept back to begin with.
	debug.FreeOSMemory()
	before, live := heapSlack()
	if live == 0 {
		t.Fatal("no live heap read from the runtime's metrics")
	}
	var keep [][]byte
	for range 1000 {
		keep = append(keep, make([]byte, 64<<10))
		keep = keep[:0] // garbage at once
	}
	runtime.KeepAlive(keep)
	if after, _ := heapSlack(); after < before+32<<20 {
		t.Errorf("slack %d after 64 MB of garbage, was %d", after, before)
	}
}
