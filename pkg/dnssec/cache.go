package dnssec

import (
	"sync"
	"time"

	"github.com/miekg/dns"
)

// sigCache holds the signatures of signed RRsets by their exact key
// (keyBuf), so a dynamic answer is signed once and served until its
// signatures are due for refresh. It never holds more than max entries:
// when full, one entry picked at random (Go's map order) makes room, which
// costs nothing to track and keeps the answers asked often, being asked
// again soon.
type sigCache struct {
	mu      sync.RWMutex
	entries map[string]*cacheEntry
	max     int
}

// cacheEntry is immutable once stored; a refresh replaces it.
type cacheEntry struct {
	sigs       []dns.RR
	refreshAt  time.Time
	expiration time.Time
}

func newSigCache(max int) *sigCache {
	if max <= 0 {
		max = DefaultSignatureCacheSize
	}
	return &sigCache{entries: make(map[string]*cacheEntry), max: max}
}

func (c *sigCache) get(key []byte) *cacheEntry {
	c.mu.RLock()
	e := c.entries[string(key)]
	c.mu.RUnlock()
	return e
}

func (c *sigCache) put(key string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = e
}

func (c *sigCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// oldestExpiry is the earliest expiration among the entries still
// served at now; an entry past its refresh is signed anew before it is
// served again, so it does not count.
func (c *sigCache) oldestExpiry(now time.Time) time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var oldest time.Time
	for _, e := range c.entries {
		if !now.Before(e.refreshAt) {
			continue
		}
		if oldest.IsZero() || e.expiration.Before(oldest) {
			oldest = e.expiration
		}
	}
	return oldest
}
