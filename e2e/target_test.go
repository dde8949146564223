package e2e

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// target stands in for a region's web servers: the HTTP endpoint its
// health check asks. Down closes the port, so checks see the connection
// refused, as they do when a region goes dark; up opens it again on the
// same address.
type target struct {
	mu   sync.Mutex
	addr string // host:port, fixed by the first up
	srv  *http.Server
}

// newTarget starts a target on a free port of host.
func newTarget(host string) (*target, error) {
	t := &target{addr: net.JoinHostPort(host, "0")}
	return t, t.up()
}

// url is what the health check asks.
func (t *target) url() string { return "http://" + t.addr + "/healthz" }

func (t *target) up() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.srv != nil {
		return nil
	}
	var l net.Listener
	var err error
	// The port was ours a moment ago; the kernel may hold it briefly.
	if _, perr := poll(5*time.Second, 20*time.Millisecond, func() error {
		l, err = net.Listen("tcp", t.addr)
		return err
	}); perr != nil {
		return fmt.Errorf("target %s: %w", t.addr, perr)
	}
	t.addr = l.Addr().String()
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}), ReadHeaderTimeout: time.Second}
	t.srv.SetKeepAlivesEnabled(false)
	go func() { _ = t.srv.Serve(l) }()
	return nil
}

func (t *target) down() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.srv != nil {
		_ = t.srv.Close()
		t.srv = nil
	}
}
