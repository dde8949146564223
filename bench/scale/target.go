package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// target is the stand-in for every service's two regions: one HTTP server
// answering /p/<i> (service i's primary) and /b/<i> (its backup). A
// primary taken down answers 503, so its check fails at once without the
// listener closing, and the other checks are untouched.
type target struct {
	down     []atomic.Bool
	requests atomic.Int64
	srv      *http.Server
	addr     string
	// delay is how long every answer takes, as a distant region's would.
	delay time.Duration
}

// startTarget serves the target for services on addr, each answer
// after delay.
func startTarget(addr string, services int, delay time.Duration) (*target, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting the stand-in target on %s: %w", addr, err)
	}
	t := &target{down: make([]atomic.Bool, services), addr: l.Addr().String(), delay: delay}
	t.srv = &http.Server{Handler: t, ReadHeaderTimeout: time.Second}
	go func() { _ = t.srv.Serve(l) }()
	return t, nil
}

// ServeHTTP answers a check: 200 unless it is a primary taken down.
func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.requests.Add(1)
	time.Sleep(t.delay)
	role, num, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 || i >= len(t.down) || (role != "p" && role != "b") {
		http.NotFound(w, r)
		return
	}
	if role == "p" && t.down[i].Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// setPrimary takes service i's primary down (false) or up (true).
func (t *target) setPrimary(i int, up bool) { t.down[i].Store(!up) }

// setAllPrimaries takes every primary down or up at once.
func (t *target) setAllPrimaries(up bool) {
	for i := range t.down {
		t.down[i].Store(!up)
	}
}

// checkURL is the URL of service i's primary or backup check.
func (t *target) checkURL(role string, i int) string {
	return fmt.Sprintf("http://%s/%s/%d", t.addr, role, i)
}

func (t *target) close() { _ = t.srv.Close() }
