package geo

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
)

// ProviderOptions tunes a Provider. The zero value is ready to use.
type ProviderOptions struct {
	// CacheSize is the number of lookup cache slots, rounded up to a power of
	// two: 0 means DefaultCacheSize, a negative number turns the cache off.
	CacheSize int
}

// Provider is a cached Locator whose databases can be replaced while queries
// run. Locate takes no lock: it reads the current databases from an atomic
// pointer and answers from the lookup cache when it can (see ProviderOptions).
// Reload opens the files again and swaps them in only when they open; a
// replaced generation is closed when the last Locate still using it returns.
type Provider struct {
	path, asnPath string
	cache         *cache // nil when off

	cur atomic.Pointer[handle] // nil once closed

	mu     sync.Mutex // serialises Reload and Close
	gen    uint64     // the last generation handed out
	closed bool
}

// handle is one generation of open databases, reference-counted: one
// reference for being current, one per Locate reading it. Whoever drops the
// last reference closes the databases, so no reader is closed under a Locate.
type handle struct {
	db   *Database
	gen  uint64
	refs atomic.Int64
}

// acquire takes a reference, failing once the handle is retired and drained.
func (h *handle) acquire() bool {
	for {
		n := h.refs.Load()
		if n <= 0 {
			return false
		}
		if h.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference, closing the databases with the last one.
func (h *handle) release() error {
	if h.refs.Add(-1) == 0 {
		return h.db.Close()
	}
	return nil
}

// ErrClosed is returned by Reload on a closed Provider.
var ErrClosed = errors.New("geo: provider is closed")

// NewProvider opens the City or Country database at path and, unless asnPath
// is "", the ASN database at asnPath (see Open), remembering both paths for
// Reload.
func NewProvider(path, asnPath string, opts ProviderOptions) (*Provider, error) {
	db, err := Open(path, asnPath)
	if err != nil {
		return nil, err
	}
	p := &Provider{path: path, asnPath: asnPath, gen: 1}
	switch {
	case opts.CacheSize == 0:
		p.cache = newCache(DefaultCacheSize)
	case opts.CacheSize > 0:
		p.cache = newCache(opts.CacheSize)
	}
	p.cur.Store(newHandle(db, p.gen))
	return p, nil
}

func newHandle(db *Database, gen uint64) *handle {
	h := &handle{db: db, gen: gen}
	h.refs.Store(1)
	return h
}

// Locate returns what the current databases know about addr, from the cache
// when an answer for addr's /24 (IPv4) or /56 (IPv6) is there. After Close it
// returns an unknown Location.
func (p *Provider) Locate(addr netip.Addr) Location {
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() {
		return Location{}
	}
	for {
		h := p.cur.Load()
		if h == nil {
			return Location{}
		}
		var key netip.Addr
		if p.cache != nil {
			key = cacheKey(addr)
			if loc, ok := p.cache.get(key, h.gen); ok {
				return loc
			}
		}
		if !h.acquire() {
			continue // replaced and drained meanwhile: p.cur is newer
		}
		loc, cacheable := h.db.locate(addr)
		_ = h.release() // an error closing a replaced generation has no one to go to
		if cacheable && p.cache != nil {
			p.cache.put(key, h.gen, loc)
		}
		return loc
	}
}

// Reload opens the database files again and, when they open, makes them
// current; cached answers of the previous generation stop being served at
// once. On error the current databases stay in use and the error says why.
func (p *Provider) Reload() error {
	db, err := Open(p.path, p.asnPath)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = db.Close()
		return ErrClosed
	}
	p.gen++
	old := p.cur.Swap(newHandle(db, p.gen))
	_ = old.release() // closes now, or when its last Locate returns
	return nil
}

// Kind returns the current City or Country database's type (see
// Database.Kind), "" after Close.
func (p *Provider) Kind() string {
	for {
		h := p.cur.Load()
		if h == nil {
			return ""
		}
		if h.acquire() {
			kind := h.db.Kind()
			_ = h.release()
			return kind
		}
	}
}

// Close closes the databases once no Locate uses them. Locate keeps working
// and answers unknown; Reload fails with ErrClosed. Closing twice is a no-op.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	return p.cur.Swap(nil).release()
}
