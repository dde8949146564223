package dnssec

import (
	"fmt"
	"testing"
	"time"
)

// TestSigCacheMerges: entries read the same before and after they move
// from the young map to the frozen one; a refreshed entry beats its stale
// frozen self at once; the cache never holds more than its cap.
func TestSigCacheMerges(t *testing.T) {
	for _, max := range []int{1, 2, 8, 100} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			c := newSigCache(max)
			entry := func(at time.Time) *cacheEntry {
				return &cacheEntry{refreshAt: at.Add(time.Hour), expiration: at.Add(2 * time.Hour)}
			}
			first := entry(t0)
			c.put("a", first)
			if got := c.get([]byte("a"), t0); got != first {
				t.Fatal("a fresh entry is not served")
			}
			for i := range 3 * max {
				c.put(fmt.Sprint("k", i), entry(t0))
				if n := c.len(); n > max {
					t.Fatalf("%d entries, cap %d", n, max)
				}
			}
			// Whatever survived eviction is served until its refresh, not after.
			for i := range 3 * max {
				key := []byte(fmt.Sprint("k", i))
				if e := c.get(key, t0); e != nil && c.get(key, t0.Add(time.Hour)) != nil {
					t.Fatalf("%s served at its refresh time", key)
				}
			}
			// Refresh an entry that is frozen by now: the new one is served.
			key := fmt.Sprint("k", 3*max-1)
			later := t0.Add(90 * time.Minute)
			fresh := entry(later)
			c.put(key, fresh)
			if got := c.get([]byte(key), later); got != fresh {
				t.Errorf("after a refresh got %v, want the new entry", got)
			}
			for i := range 3 * max {
				c.put(fmt.Sprint("m", i), entry(later))
			}
			if n := c.len(); n > max {
				t.Errorf("%d entries, cap %d", n, max)
			}
			if got := c.oldestExpiry(later); !got.IsZero() && got.Before(later.Add(2*time.Hour)) {
				t.Errorf("oldest expiry %s counts a stale entry", got)
			}
		})
	}
}
