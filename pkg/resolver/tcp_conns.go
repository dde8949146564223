package resolver

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// The table of one address's TCP connections. It decides who gets in and
// how long anyone may stay, so that no number of hostile connections can
// keep a new client out:
//   - a source (an IPv4 address, an IPv6 /64) holds at most perSource
//     connections; one more is closed at once (unless the client has
//     closed one the server has not yet seen close);
//   - when the table is full, a connection idle the longest (no whole
//     query received for the longest time) is closed to admit the new
//     one, from the network (IPv4 /24, IPv6 /48), then the source,
//     holding the most among the few idlest;
//   - the descriptors held, evicted connections still closing included,
//     stay within the table's size plus one (waitRoom);
//   - a connection must complete each query within the idle timeout of
//     the previous one (so a trickle of bytes buys nothing), and the timeout
//     is the short busy one while the table is more than half full, for
//     the connections already open too.
//
// Every read deadline is set under the table's lock, so a change of
// pressure or a shutdown never races with a connection arming its own.

// tcpConn is one admitted connection, linked into its table's list from
// the connection idle the longest (head) to the most recent (tail).
type tcpConn struct {
	c      *net.TCPConn
	source netip.Addr
	// network is the source's wider network (networkOf), by which
	// eviction picks first.
	network netip.Prefix
	// since is when the connection was accepted or last received a whole
	// query; its next query must be complete by since plus the idle
	// timeout. The list is in the order of since.
	since      time.Time
	prev, next *tcpConn
	// draining: past TCPMaxQueries, the connection sets its own
	// deadlines and is left alone when the pressure changes.
	draining bool
	// removed: out of the table, evicted (reason says so) or ended.
	removed bool
	reason  closeReason
	// closeOnce: the connection's goroutine, its handler and a shutdown
	// out of time may each close it; the descriptor is closed once.
	closeOnce sync.Once
	closeErr  error
}

// close closes the connection the first time it is called and returns
// what that close returned.
func (c *tcpConn) close() error {
	c.closeOnce.Do(func() { c.closeErr = c.c.Close() })
	return c.closeErr
}

// connTable holds one address's connections.
type connTable struct {
	max, perSource int
	idle, busyIdle time.Duration

	mu         sync.Mutex
	head, tail *tcpConn
	count      int
	// sources holds each source's connections, at most perSource.
	sources map[netip.Addr][]*tcpConn
	// networks counts the connections of each source's network.
	networks map[netip.Prefix]int
	// leaving holds the connections evicted whose goroutine has not yet
	// ended (it may be answering a query): out of the list, but closeAll
	// must still reach them.
	leaving map[*tcpConn]struct{}
	// ended receives (without blocking) when a connection's goroutine
	// ends and its descriptor is about to be freed, for waitRoom.
	ended   chan struct{}
	busy    bool
	closing bool
}

func newConnTable(max, perSource int, idle, busyIdle time.Duration) *connTable {
	return &connTable{max: max, perSource: perSource, idle: idle, busyIdle: busyIdle, sources: map[netip.Addr][]*tcpConn{}, networks: map[netip.Prefix]int{}, leaving: map[*tcpConn]struct{}{}, ended: make(chan struct{}, 1)}
}

// sourceOf groups a client address the way one client's network is
// allotted: an IPv4 address, or the /64 of an IPv6 one.
func sourceOf(a net.Addr) netip.Addr {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip := ta.AddrPort().Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// networkOf is the network a source belongs to for eviction: its IPv4
// /24 or IPv6 /48, where one party's addresses usually are. A flood
// from many addresses of one network then loses its connections before
// a client elsewhere does, though each address holds only one or two.
func networkOf(source netip.Addr) netip.Prefix {
	bits := 24
	if source.Is6() {
		bits = 48
	}
	p, _ := source.Prefix(bits)
	return p
}

// timeout is the idle timeout connections get now. Call with mu held.
func (t *connTable) timeout() time.Duration {
	if t.busy {
		return t.busyIdle
	}
	return t.idle
}

// currentTimeout is timeout for callers without the lock.
func (t *connTable) currentTimeout() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.timeout()
}

// admit adds c to the table, or returns false when c must be refused
// (its source holds its share, or the server is shutting down). evicted
// says whether a connection was evicted to make room; gone, whether one
// its client had already closed was taken out.
func (t *connTable) admit(c *tcpConn, now time.Time) (evicted, gone bool, reason closeReason, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return false, false, closeShutdown, false
	}
	if len(t.sources[c.source]) >= t.perSource {
		// A client that closes connections and opens new ones at once
		// may find its share still held by connections whose close the
		// server has not read yet; those go, not the new one.
		closed := t.peerClosed(c.source)
		if closed == nil {
			return false, false, closePerSource, false
		}
		t.evict(closed, closeClient)
		gone = true
	}
	if t.count >= t.max && t.head != nil {
		t.evict(t.idlest(), closeEvicted)
		evicted = true
	}
	c.since = now
	t.pushBack(c)
	t.sources[c.source] = append(t.sources[c.source], c)
	t.networks[c.network]++
	t.count++
	t.pressureChanged()
	c.c.SetReadDeadline(now.Add(t.timeout()))
	return evicted, gone, 0, true
}

// peerClosed returns a connection of source whose client has closed or
// reset it, or nil. Call with mu held.
func (t *connTable) peerClosed(source netip.Addr) *tcpConn {
	for _, c := range t.sources[source] {
		if peerGone(c.c) {
			return c
		}
	}
	return nil
}

// evict takes v out of the table at once, so its place is free, and ends
// its wait for a query with a deadline in the past: its goroutine closes
// it, after answering the query it has read, if any. Closing it here
// instead would lose a query read an instant before. Call with mu held.
func (t *connTable) evict(v *tcpConn, reason closeReason) {
	t.takeOut(v)
	v.reason = reason
	t.leaving[v] = struct{}{}
	v.c.SetReadDeadline(time.Unix(1, 0))
	// The accept loop waits for v's descriptor (waitRoom): a write
	// blocked on a client that does not read must not hold it for a
	// whole idle timeout.
	v.c.SetWriteDeadline(time.Now().Add(evictedWriteTimeout))
}

// evictedWriteTimeout bounds the writes of an evicted connection: its
// answer to the query it had read, to a client that reads it, takes far
// less.
const evictedWriteTimeout = 100 * time.Millisecond

// writeTimeout is how long c's next write may take: the idle timeout in
// force, or evictedWriteTimeout once c was evicted.
func (t *connTable) writeTimeout(c *tcpConn) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.removed {
		return min(evictedWriteTimeout, t.timeout())
	}
	return t.timeout()
}

// received records that a whole query arrived on c at now: c becomes the
// most recently active connection, and its next query must be complete
// by now plus the idle timeout. It returns false when c is no longer in
// the table (evicted, or the server is shutting down): c answers the
// query it has and stops.
func (t *connTable) received(c *tcpConn, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.removed || t.closing {
		return false
	}
	c.since = now
	t.unlink(c)
	t.pushBack(c)
	c.c.SetReadDeadline(now.Add(t.timeout()))
	return true
}

// drainUntil marks c as draining and sets its read deadline to at, unless
// c was evicted or the server is shutting down (whose deadline must
// stay); false then.
func (t *connTable) drainUntil(c *tcpConn, at time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing || c.removed {
		return false
	}
	c.draining = true
	c.c.SetReadDeadline(at)
	return true
}

// remove takes c out of the table as its goroutine ends and returns the
// reason to count: shutdown if the server's deadline ended it, else the
// connection's own. It returns false when c was evicted, which its
// evictor counted.
func (t *connTable) remove(c *tcpConn, own closeReason) (closeReason, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case t.ended <- struct{}{}:
	default:
	}
	if c.removed {
		delete(t.leaving, c)
		return c.reason, false
	}
	t.takeOut(c)
	t.pressureChanged()
	if t.closing && (own == closeIdle || own == closeClient) {
		return closeShutdown, true
	}
	return own, true
}

// waitRoom returns once the connections admitted and not yet ended,
// evicted ones included, are at most max, or stop is closed. An evicted
// connection holds its descriptor until its goroutine has closed it;
// under a flood the accept loop admits (and evicts) faster than those
// goroutines run, and without this wait the descriptors held would grow
// past the table's size up to the process's limit. Meanwhile new
// connections wait in the kernel's accept queue, costing no descriptor.
func (t *connTable) waitRoom(stop <-chan struct{}) {
	for {
		t.mu.Lock()
		held := t.count + len(t.leaving)
		t.mu.Unlock()
		if held <= t.max {
			return
		}
		select {
		case <-t.ended:
		case <-stop:
			return
		}
	}
}

// evictScan bounds the connections idlest looks at.
const evictScan = 16

// idlest picks the connection to evict among the evictScan idle the
// longest: the first of those whose network holds the most connections,
// and among those whose source does, passing over any with bytes
// received and not yet read, which are not idle at all. Under a flood of reconnections a fresh connection reaches
// the head of the list within a table's worth of admissions, perhaps
// before its first query arrived or was read; a client with one or two
// connections then keeps them while the flood's sources, holding many,
// lose theirs. A flood from as many sources as connections makes this
// plain least recently used. The scan is bounded: connections that keep
// a byte pending buy at most evictScan places, and the head goes when
// all have some. Call with mu held and the table not empty.
func (t *connTable) idlest() *tcpConn {
	var victim *tcpConn
	mostNet, most := 0, 0
	c := t.head
	for range evictScan {
		if c == nil {
			break
		}
		nn, n := t.networks[c.network], len(t.sources[c.source])
		if (nn > mostNet || nn == mostNet && n > most) && socketUnread(c.c) == 0 {
			victim, mostNet, most = c, nn, n
		}
		c = c.next
	}
	if victim == nil {
		return t.head
	}
	return victim
}

// evictIdlest evicts the connection idle the longest, for when accept
// fails for want of file descriptors, and reports whether there was one.
func (t *connTable) evictIdlest() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.head == nil {
		return false
	}
	t.evict(t.idlest(), closeEvicted)
	t.pressureChanged()
	return true
}

// shutdown refuses further connections and wakes every connection
// waiting for a query (a read deadline in the past), so each ends after
// the query it is answering, if any.
func (t *connTable) shutdown() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closing = true
	for c := t.head; c != nil; c = c.next {
		c.c.SetReadDeadline(time.Unix(1, 0))
	}
}

// closeAll closes every connection still served, evicted ones included,
// when shutdown's time is up: reads and writes in progress fail at once.
func (t *connTable) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := t.head; c != nil; c = c.next {
		c.close()
	}
	for c := range t.leaving {
		c.close()
	}
}

// pressureChanged moves to the busy timeout when the table becomes more
// than half full, back when it no longer is, and re-arms the deadline of
// every connection: the pressure applies to the
// connections already open. Crossings are rare (a table under attack
// stays full), and each costs one pass over at most max connections.
// Call with mu held.
func (t *connTable) pressureChanged() {
	busy := t.count*2 > t.max
	if busy == t.busy {
		return
	}
	t.busy = busy
	d := t.timeout()
	for c := t.head; c != nil; c = c.next {
		if !c.draining {
			c.c.SetReadDeadline(c.since.Add(d))
		}
	}
}

// takeOut takes c out of the list, its source's and network's counts
// and the table's, and marks it removed. Call with mu held.
func (t *connTable) takeOut(c *tcpConn) {
	c.removed = true
	t.unlink(c)
	t.releaseSource(c)
	t.count--
}

func (t *connTable) releaseSource(c *tcpConn) {
	if t.networks[c.network]--; t.networks[c.network] <= 0 {
		delete(t.networks, c.network)
	}
	conns := t.sources[c.source]
	for i, o := range conns {
		if o == c {
			conns[i] = conns[len(conns)-1]
			conns[len(conns)-1] = nil
			conns = conns[:len(conns)-1]
			break
		}
	}
	if len(conns) == 0 {
		delete(t.sources, c.source)
	} else {
		t.sources[c.source] = conns
	}
}

func (t *connTable) pushBack(c *tcpConn) {
	c.prev, c.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = c
	} else {
		t.head = c
	}
	t.tail = c
}

func (t *connTable) unlink(c *tcpConn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else if t.head == c {
		t.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else if t.tail == c {
		t.tail = c.prev
	}
	c.prev, c.next = nil, nil
}
