package health

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// pconn is one kept-alive connection of the lean probe path, with the
// reader that outlives each response on it, so a byte the server sent
// early is not lost between probes.
type pconn struct {
	conn net.Conn
	// lim bounds what the next response's headers may make us read;
	// br reads through it.
	lim  limitedReader
	br   *bufio.Reader
	born time.Time
	// idleSince is when the connection went back to the pool.
	idleSince time.Time
}

func newPconn(c net.Conn, born time.Time) *pconn {
	pc := &pconn{conn: c, born: born}
	pc.lim.r = c
	pc.br = bufio.NewReader(&pc.lim)
	return pc
}

// connPool holds the idle connections of one transport key, by address,
// last in first out: the connections in use stay warm and the rest age
// out at the bottom of each stack.
type connPool struct {
	mu     sync.Mutex
	idle   map[string][]*pconn
	closed bool
}

// get returns the most recently used idle connection to addr, closing
// the ones it finds idle for ConnMaxAge (as net/http's IdleConnTimeout
// would); nil when there is none. An old connection still serves the
// probe that finds it old, which then retires it.
func (p *connPool) get(addr string, now time.Time) *pconn {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.idle[addr]
	for len(s) > 0 {
		pc := s[len(s)-1]
		s[len(s)-1] = nil
		s = s[:len(s)-1]
		if now.Sub(pc.idleSince) < ConnMaxAge {
			p.idle[addr] = s
			return pc
		}
		_ = pc.conn.Close()
	}
	delete(p.idle, addr)
	return nil
}

// put gives pc back, or closes it once the pool is closed. Connections
// idle for ConnMaxAge at the bottom of the stack (the least recently
// used) are closed: the probes that needed them have stopped overlapping.
func (p *connPool) put(addr string, pc *pconn, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = pc.conn.Close()
		return
	}
	if p.idle == nil {
		p.idle = map[string][]*pconn{}
	}
	s := p.idle[addr]
	drop := 0
	for drop < len(s) && now.Sub(s[drop].idleSince) >= ConnMaxAge {
		_ = s[drop].conn.Close()
		drop++
	}
	if drop > 0 {
		s = append(s[:0], s[drop:]...)
		clear(s[len(s):cap(s)])
	}
	pc.idleSince = now
	p.idle[addr] = append(s, pc)
}

// close closes every idle connection and any given back later.
func (p *connPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, s := range p.idle {
		for _, pc := range s {
			_ = pc.conn.Close()
		}
	}
	p.idle = nil
}

// count is how many idle connections the pool holds.
func (p *connPool) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.idle {
		n += len(s)
	}
	return n
}

// limitedReader reads from r while n lasts, then fails: re-armed
// before each response's headers, so a target sending endless headers
// fails its probe after a bounded read.
type limitedReader struct {
	r net.Conn
	n int64
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, headersTooLargeError{}
	}
	if int64(len(b)) > l.n {
		b = b[:l.n]
	}
	m, err := l.r.Read(b)
	l.n -= int64(m)
	return m, err
}
