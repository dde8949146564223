package node

import (
	"context"
	"fmt"
	"sync"
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
	return &cluster.State{Zones: map[string]*cluster.ZoneRecords{"big.test.": {Revision: int64(n), Sets: sets}}}
}

// TestMemoryReleasedAfterLargeChanges: a large new set of zone records
// asks for one release, however many states carry it; a small one and
// a state with the same records ask for none; releases keep their
// interval apart.
func TestMemoryReleasedAfterLargeChanges(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	m := newMemoryReleaser()
	m.settle, m.interval = 10*time.Millisecond, 300*time.Millisecond
	m.release = func() {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, time.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	released := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(at)
	}
	waitReleased := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for released() < want {
			if time.Now().After(deadline) {
				t.Fatalf("%d releases, want %d", released(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	m.changed(zonesOf(10))
	time.Sleep(10 * m.settle)
	if n := released(); n != 0 {
		t.Fatalf("%d releases after a small change, want none", n)
	}
	large := zonesOf(largeZones)
	for range 3 {
		m.changed(large)
		// A state that shares the zones (a member's heartbeat) is no
		// new change.
		m.changed(&cluster.State{Zones: large.Zones, Revision: 9})
	}
	waitReleased(1)
	// Nothing more comes of the same records: give a wrong second
	// release the time to show.
	m.changed(&cluster.State{Zones: large.Zones, Revision: 10})
	time.Sleep(2 * m.interval)
	if n := released(); n != 1 {
		t.Fatalf("%d releases after one large change, want 1", n)
	}

	m.changed(zonesOf(largeZones + 1))
	waitReleased(2)
	mu.Lock()
	gap := at[1].Sub(at[0])
	mu.Unlock()
	if gap < m.interval {
		t.Errorf("releases %v apart, want at least %v", gap, m.interval)
	}
}
