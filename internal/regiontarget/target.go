// Package regiontarget is a stand-in for a region's web servers in gtmd's
// tests and benchmarks: an HTTP endpoint answering "ok" that can be taken
// down (its port closed, so health checks see the connection refused, as
// when a region goes dark) and brought back on the same address.
package regiontarget

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Target is one region's health endpoint.
type Target struct {
	mu   sync.Mutex
	addr string // host:port, fixed by the first Up
	srv  *http.Server
}

// Start serves a target on addr (a port of 0 picks a free one).
func Start(addr string) (*Target, error) {
	t := &Target{addr: addr}
	return t, t.Up()
}

// Addr is the address the target serves on.
func (t *Target) Addr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addr
}

// Up serves the target again; it does nothing if it is up.
func (t *Target) Up() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.srv != nil {
		return nil
	}
	var l net.Listener
	var err error
	// The port was the target's a moment ago; the kernel may hold it
	// briefly.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if l, err = net.Listen("tcp", t.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("target %s: %w", t.addr, err)
	}
	t.addr = l.Addr().String()
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}), ReadHeaderTimeout: time.Second}
	t.srv.SetKeepAlivesEnabled(false)
	// The server, not the field: Down may clear the field before the
	// goroutine runs.
	srv := t.srv
	go func() { _ = srv.Serve(l) }()
	return nil
}

// Down closes the target's port.
func (t *Target) Down() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.srv != nil {
		_ = t.srv.Close()
		t.srv = nil
	}
}
