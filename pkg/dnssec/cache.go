package dnssec

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// sigCache holds the signatures of signed RRsets by their exact key
// (keyBuf), so a dynamic answer is signed once and served until its
// signatures are due for refresh.
//
// Hits take no lock: they read a frozen map through an atomic pointer.
// New entries go to a young map under a mutex; every mergeEvery of them
// (or when the cache is full) the two are merged into a new frozen map,
// so a miss pays, on average, for copying max/mergeEvery entries, which
// is small beside the signature it makes. When the cache is full, the
// merge leaves out frozen entries picked at random (Go's map order):
// nothing to track, and the answers asked often are soon back.
type sigCache struct {
	frozen     atomic.Pointer[map[string]*cacheEntry]
	mu         sync.Mutex
	young      map[string]*cacheEntry
	max        int
	mergeEvery int
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
	c := &sigCache{young: map[string]*cacheEntry{}, max: max, mergeEvery: min(1024, max/8+1)}
	c.frozen.Store(&map[string]*cacheEntry{})
	return c
}

// get returns the entry for key still fresh at now, or nil.
func (c *sigCache) get(key []byte, now time.Time) *cacheEntry {
	if e := (*c.frozen.Load())[string(key)]; e != nil && now.Before(e.refreshAt) {
		return e
	}
	c.mu.Lock()
	e := c.young[string(key)]
	c.mu.Unlock()
	if e != nil && now.Before(e.refreshAt) {
		return e
	}
	return nil
}

func (c *sigCache) put(key string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.young[key] = e
	frozen := *c.frozen.Load()
	if len(c.young) < c.mergeEvery && len(frozen)+len(c.young) <= c.max {
		return
	}
	merged := make(map[string]*cacheEntry, min(len(frozen)+len(c.young), c.max))
	drop := len(frozen) + len(c.young) - c.max
	for k, v := range frozen {
		if _, replaced := c.young[k]; replaced {
			continue
		}
		if drop > 0 {
			drop--
			continue
		}
		merged[k] = v
	}
	for k, v := range c.young {
		merged[k] = v
	}
	c.frozen.Store(&merged)
	c.young = map[string]*cacheEntry{}
}

func (c *sigCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	frozen := *c.frozen.Load()
	n := len(frozen)
	for k := range c.young {
		if _, ok := frozen[k]; !ok {
			n++
		}
	}
	return n
}

// oldestExpiry is the earliest expiration among the entries still
// served at now; an entry past its refresh is signed anew before it is
// served again, so it does not count.
func (c *sigCache) oldestExpiry(now time.Time) time.Time {
	// The frozen map never changes once published: it is scanned without
	// the lock that signing misses on the query path take.
	oldest := oldestIn(*c.frozen.Load(), now, time.Time{})
	c.mu.Lock()
	defer c.mu.Unlock()
	return oldestIn(c.young, now, oldest)
}

// oldestIn is the earlier of oldest and the earliest expiration in m of
// an entry still served at now.
func oldestIn(m map[string]*cacheEntry, now, oldest time.Time) time.Time {
	for _, e := range m {
		if !now.Before(e.refreshAt) {
			continue
		}
		if oldest.IsZero() || e.expiration.Before(oldest) {
			oldest = e.expiration
		}
	}
	return oldest
}
