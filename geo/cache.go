package geo

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"sync/atomic"
)

// DefaultCacheSize is the number of lookup cache slots a Provider uses unless
// told otherwise: 65536 slots, a few megabytes when full.
const DefaultCacheSize = 1 << 16

// cache is a lock-free, bounded, direct-mapped cache of Locations keyed by the
// client's /24 (IPv4) or /56 (IPv6). Each key hashes to one slot; a newer entry
// replaces whatever the slot held. Entries are immutable once published, so a
// hit is an atomic load, two compares and a copy: no lock, no allocation.
//
// An entry records the database generation it was computed from; a lookup
// for another generation misses, so a reload never serves stale answers.
type cache struct {
	slots []atomic.Pointer[cacheEntry]
	shift uint // 64 - log2(len(slots)): the hash's top bits pick the slot
}

type cacheEntry struct {
	key netip.Addr // the client address masked by cacheKey
	gen uint64
	loc Location
}

// newCache returns a cache of size slots rounded up to a power of two.
func newCache(size int) *cache {
	n := 1
	for n < size {
		n <<= 1
	}
	return &cache{
		slots: make([]atomic.Pointer[cacheEntry], n),
		shift: uint(64 - bits.TrailingZeros(uint(n))),
	}
}

// cacheKey returns addr (already unmapped) masked to the cache's key width.
func cacheKey(addr netip.Addr) netip.Addr {
	p, _ := addr.Prefix(maxClientBits(addr)) // cannot fail: the bits fit either family
	return p.Addr()
}

// coversCacheKey reports whether network is at least as wide as a cache key,
// so that its answer holds for every address sharing the key.
func coversCacheKey(network netip.Prefix) bool {
	return network.IsValid() && network.Bits() <= maxClientBits(network.Addr())
}

// slot returns the slot key hashes to: Fibonacci hashing of the key's network
// number (the /24 or the /56), whose product's top bits pick the slot.
func (c *cache) slot(key netip.Addr) *atomic.Pointer[cacheEntry] {
	var n uint64
	if key.Is4() {
		b := key.As4()
		n = uint64(binary.BigEndian.Uint32(b[:]) >> (32 - MaxClientBitsIPv4))
	} else {
		b := key.As16()
		n = binary.BigEndian.Uint64(b[:8]) >> (64 - MaxClientBitsIPv6)
	}
	return &c.slots[(n*0x9e3779b97f4a7c15)>>c.shift]
}

// get returns the Location cached for key in generation gen.
func (c *cache) get(key netip.Addr, gen uint64) (Location, bool) {
	e := c.slot(key).Load()
	if e == nil || e.key != key || e.gen != gen {
		return Location{}, false
	}
	return e.loc, true
}

// put caches loc for key in generation gen.
func (c *cache) put(key netip.Addr, gen uint64, loc Location) {
	c.slot(key).Store(&cacheEntry{key: key, gen: gen, loc: loc})
}
