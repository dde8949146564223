package resolver

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// Response rate limiting (RRL) as NSD, Knot and BIND do it: a spoofed
// flood asks for answers to be sent to a victim, so the answers of one
// kind to one client network are counted per second, and beyond the
// rate they are dropped, except every slip-th, which goes out truncated
// so a real resolver behind that address retries over TCP, where it
// cannot be spoofed.

// ResponseClass is the kind of answer a bucket counts. Answers are
// grouped as the other servers group them: a flood for one name must not
// starve the other names, and a flood of random names must not escape
// the limit by spreading over them.
type ResponseClass uint8

// The response classes. Positive answers are counted per name and type,
// NXDOMAIN and NODATA per zone (random names under one zone share a
// bucket), referrals per delegation, errors per client network alone.
const (
	ClassAnswer ResponseClass = iota + 1
	ClassNXDomain
	ClassNoData
	ClassReferral
	ClassError
)

// Action is what to do with an answer the limiter has seen.
type Action uint8

// The actions: send the answer, drop it, or send it truncated and empty.
const (
	ActionAllow Action = iota
	ActionDrop
	ActionSlip
)

// String names the action as the metrics label does.
func (a Action) String() string {
	switch a {
	case ActionAllow:
		return "allowed"
	case ActionDrop:
		return "dropped"
	case ActionSlip:
		return "slipped"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// A bucket is one atomic word, so that Allow takes no lock: the key's tag
// (which key last wrote the slot), the second it counts, and the answers
// counted in it.
const (
	countBits = 24
	stampBits = 16
	tagBits   = 64 - countBits - stampBits
	countMax  = 1<<countBits - 1
	stampMask = 1<<stampBits - 1
	tagMask   = 1<<tagBits - 1
	// MaxResponsesPerSecond is the largest rate a bucket counts to.
	MaxResponsesPerSecond = countMax / 2
)

// RateLimiter counts answers per client network, class and name in a
// table of fixed size allocated once. Keys are hashed into slots with a
// per-process random seed; keys that collide share a slot, the later
// resetting it, so an attacker cannot aim a collision and the table never
// grows. It is safe for concurrent use and Allow neither locks nor
// allocates, so any query path (including a packet fast path) can call
// it.
type RateLimiter struct {
	rate, slip uint64
	v4, v6     int
	seed       maphash.Seed
	table      []atomic.Uint64
}

// NewRateLimiter returns a limiter for c, or nil when c turns rate
// limiting off (ResponsesPerSecond 0); a nil limiter allows everything.
func NewRateLimiter(c config.RRL) (*RateLimiter, error) {
	switch {
	case c.ResponsesPerSecond == 0:
		return nil, nil
	case c.ResponsesPerSecond < 0 || c.ResponsesPerSecond > MaxResponsesPerSecond:
		return nil, fmt.Errorf("rrl.responses_per_second %d: must be between 0 and %d", c.ResponsesPerSecond, MaxResponsesPerSecond)
	case c.Slip < 0:
		return nil, fmt.Errorf("rrl.slip %d: must not be negative", c.Slip)
	case c.IPv4Prefix < 0 || c.IPv4Prefix > 32:
		return nil, fmt.Errorf("rrl.ipv4_prefix %d: must be between 0 and 32", c.IPv4Prefix)
	case c.IPv6Prefix < 0 || c.IPv6Prefix > 128:
		return nil, fmt.Errorf("rrl.ipv6_prefix %d: must be between 0 and 128", c.IPv6Prefix)
	case c.TableSize <= 0 || c.TableSize > 1<<24:
		return nil, fmt.Errorf("rrl.table_size %d: must be between 1 and %d", c.TableSize, 1<<24)
	}
	return &RateLimiter{
		rate:  uint64(c.ResponsesPerSecond),
		slip:  uint64(c.Slip),
		v4:    c.IPv4Prefix,
		v6:    c.IPv6Prefix,
		seed:  maphash.MakeSeed(),
		table: make([]atomic.Uint64, c.TableSize),
	}, nil
}

// Key is the name part of a bucket's key: a name (lower case, as the
// handler keeps it) and, for positive answers, the query type; 0 for
// the classes that are not per type.
func (l *RateLimiter) Key(name string, qtype uint16) uint64 {
	return keyOf(maphash.String(l.seed, name), qtype)
}

// keyBytes is Key of a name held as bytes, without making a string of
// it: maphash hashes the same bytes alike either way.
func (l *RateLimiter) keyBytes(name []byte, qtype uint16) uint64 {
	return keyOf(maphash.Bytes(l.seed, name), qtype)
}

// keyOf mixes a name's hash with the query type.
func keyOf(name uint64, qtype uint16) uint64 { return name ^ uint64(qtype)*0x9e3779b97f4a7c15 }

// Allow counts one answer of class for key to client (the packet's
// source address; the limiter masks it to the configured prefix, and
// never looks at a client subnet option, which the sender writes) at
// now, and says what to do with it. A nil limiter allows everything.
func (l *RateLimiter) Allow(client netip.Addr, class ResponseClass, key uint64, now time.Time) Action {
	if l == nil {
		return ActionAllow
	}
	h := l.hash(client, class, key)
	slot := &l.table[(h>>32)*uint64(len(l.table))>>32]
	tag := h & tagMask
	stamp := uint64(now.Unix()) & stampMask
	for {
		old := slot.Load()
		var count uint64
		if old>>(countBits+stampBits) == tag && (old>>countBits)&stampMask == stamp {
			count = old & countMax
		}
		if count < countMax {
			count++
		}
		if slot.CompareAndSwap(old, tag<<(countBits+stampBits)|stamp<<countBits|count) {
			return l.judge(count)
		}
	}
}

// judge says what becomes of the count-th answer of a bucket's second.
func (l *RateLimiter) judge(count uint64) Action {
	if count <= l.rate {
		return ActionAllow
	}
	if l.slip > 0 && (count-l.rate)%l.slip == 0 {
		return ActionSlip
	}
	return ActionDrop
}

// hash mixes the client's network, the class and the key.
func (l *RateLimiter) hash(client netip.Addr, class ResponseClass, key uint64) uint64 {
	client = client.Unmap()
	bits := l.v6
	if client.Is4() {
		bits = l.v4
	}
	var b [26]byte
	if p, err := client.Prefix(bits); err == nil {
		a := p.Addr().As16()
		copy(b[:16], a[:])
	}
	if client.Is4() {
		b[16] = 4
	}
	b[17] = byte(class)
	binary.LittleEndian.PutUint64(b[18:], key)
	return maphash.Bytes(l.seed, b[:])
}
