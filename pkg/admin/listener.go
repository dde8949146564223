package admin

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Connection states, as the gtmd_admin_connections gauge labels them.
const (
	connNew    = "new"
	connActive = "active"
	connIdle   = "idle"
)

// Backoff of Accept when the process is out of descriptors, as net/http
// does it for temporary errors; and how often that is logged.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
	acceptWarnEvery  = time.Minute
)

// newConnGrace is how long a connection may go without sending a whole
// request header before, when the cap is reached, it may be closed to
// make room: net/http calls a connection active only once it has read a
// request's header, so silent and slowloris connections stay new, and
// would otherwise each hold a place for the whole read_header_timeout.
const newConnGrace = time.Second

// connLimiter is a listener that holds the API to at most max open
// connections, so that its clients cannot take the descriptors the rest
// of the node (the store above all) needs. A connection beyond the cap
// closes the one idle longest, whose client loses nothing but a kept-
// alive connection, or else the oldest that has not sent a whole request
// header in newConnGrace; when there is none, it waits until there is or
// until one closes, and the connections after it wait in the kernel's
// accept queue, which costs the process no descriptor.
//
// It learns which connections are idle from the http.Server's ConnState,
// which must be connLimiter.connState.
type connLimiter struct {
	net.Listener
	max       int
	log       *slog.Logger
	metrics   *Metrics
	fileLimit uint64
	now       func() time.Time

	mu     sync.Mutex
	cond   *sync.Cond // signalled when a connection closes or goes idle
	conns  map[*limitedConn]struct{}
	closed bool
	done   chan struct{}
	// warned is when running out of descriptors was last logged, and
	// failures how many accepts failed since.
	warned   time.Time
	failures int
}

// limitedConn is a connection the limiter counts.
type limitedConn struct {
	net.Conn
	l *connLimiter
	// Guarded by l.mu.
	state     string
	idleSince time.Time
	opened    time.Time
	released  bool
}

func newConnLimiter(l net.Listener, max int, log *slog.Logger, m *Metrics, fileLimit uint64, now func() time.Time) *connLimiter {
	c := &connLimiter{
		Listener: l, max: max, log: log, metrics: m, fileLimit: fileLimit, now: now,
		conns: map[*limitedConn]struct{}{}, done: make(chan struct{}),
	}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Accept waits for a connection and for room for it. Out of descriptors,
// it frees one by closing an idle connection, backs off and tries again
// rather than return the error: net/http would log every attempt.
func (l *connLimiter) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			return l.admit(c)
		}
		if !outOfDescriptors(err) {
			return nil, err
		}
		backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
		l.outOfDescriptors(err)
		t := time.NewTimer(backoff)
		select {
		case <-l.done:
			t.Stop()
			return nil, net.ErrClosed
		case <-t.C:
		}
	}
}

// admit counts c in, once there is room for it.
func (l *connLimiter) admit(c net.Conn) (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !l.closed && len(l.conns) >= l.max {
		if l.evictLocked("max_connections") {
			continue
		}
		// A new connection may come of age to be evicted before any
		// closes or goes idle: wake up for it.
		var t *time.Timer
		if wait, ok := l.nextNewEvictableLocked(); ok {
			t = time.AfterFunc(wait, func() {
				l.mu.Lock()
				l.cond.Broadcast()
				l.mu.Unlock()
			})
		}
		l.cond.Wait()
		if t != nil {
			t.Stop()
		}
	}
	if l.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	lc := &limitedConn{Conn: c, l: l, state: connNew, opened: l.now()}
	l.conns[lc] = struct{}{}
	l.metrics.connState("", connNew)
	return lc, nil
}

// evictLocked closes the connection idle longest, if one is, else the
// oldest one still without a whole request header after newConnGrace,
// and reports whether it did.
func (l *connLimiter) evictLocked(why string) bool {
	var victim *limitedConn
	for c := range l.conns {
		if c.state == connIdle && (victim == nil || c.idleSince.Before(victim.idleSince)) {
			victim = c
		}
	}
	if victim == nil {
		if c := l.oldestNewLocked(); c != nil && l.now().Sub(c.opened) >= newConnGrace {
			victim = c
		}
	}
	if victim == nil {
		return false
	}
	l.releaseLocked(victim)
	// The server's own Close of it later finds it released; closing the
	// socket wakes the server's read, which ends the connection.
	_ = victim.Conn.Close()
	l.metrics.evictedConn()
	l.log.Debug("admin API closed a connection to make room", "why", why, "state", victim.state, "remote", victim.RemoteAddr().String())
	return true
}

// nextNewEvictableLocked is how long until the oldest new connection
// passes newConnGrace, if there is one.
func (l *connLimiter) nextNewEvictableLocked() (time.Duration, bool) {
	oldest := l.oldestNewLocked()
	if oldest == nil {
		return 0, false
	}
	return max(newConnGrace-l.now().Sub(oldest.opened), time.Millisecond), true
}

// oldestNewLocked is the connection open longest without a whole request
// header, if any: the first to pass newConnGrace.
func (l *connLimiter) oldestNewLocked() *limitedConn {
	var oldest *limitedConn
	for c := range l.conns {
		if c.state == connNew && (oldest == nil || c.opened.Before(oldest.opened)) {
			oldest = c
		}
	}
	return oldest
}

func (l *connLimiter) releaseLocked(c *limitedConn) {
	if c.released {
		return
	}
	c.released = true
	delete(l.conns, c)
	l.metrics.connState(c.state, "")
	l.cond.Broadcast()
}

// outOfDescriptors frees a descriptor if an idle connection holds one,
// and says so in the log at most once a minute, with the limit.
func (l *connLimiter) outOfDescriptors(err error) {
	l.metrics.acceptFailed()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures++
	l.evictLocked("out of descriptors")
	now := l.now()
	if !l.warned.IsZero() && now.Sub(l.warned) < acceptWarnEvery {
		return
	}
	attrs := []any{"err", err, "admin_connections", len(l.conns), "failed_accepts", l.failures}
	if l.fileLimit > 0 {
		attrs = append(attrs, "descriptor_limit", l.fileLimit)
	}
	l.log.Warn("admin API cannot accept connections: too many open files; retrying with backoff", attrs...)
	l.warned, l.failures = now, 0
}

// Close stops Accept, including one waiting for room.
func (l *connLimiter) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.done)
		l.cond.Broadcast()
	}
	l.mu.Unlock()
	return l.Listener.Close()
}

// connState follows the server's connections between new, active and
// idle; only idle ones are closed to make room.
func (l *connLimiter) connState(nc net.Conn, st http.ConnState) {
	c := asLimited(nc)
	if c == nil {
		return
	}
	var to string
	switch st {
	case http.StateNew:
		to = connNew
	case http.StateActive, http.StateHijacked:
		to = connActive
	case http.StateIdle:
		to = connIdle
	default:
		return // closed: Close released it
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.released || c.state == to {
		return
	}
	l.metrics.connState(c.state, to)
	c.state = to
	if to == connIdle {
		c.idleSince = l.now()
		l.cond.Broadcast()
	}
}

// asLimited finds the limiter's connection under one the server wraps
// (TLS).
func asLimited(c net.Conn) *limitedConn {
	for {
		switch x := c.(type) {
		case *limitedConn:
			return x
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil
		}
	}
}

// Close gives the connection's place back.
func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	c.l.releaseLocked(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// outOfDescriptors reports whether err is the process (EMFILE) or the
// system (ENFILE) running out of file descriptors.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}
