package health

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testcert"
	"github.com/gtmd/gtmd/pkg/config"
)

// leanServer is a loopback HTTP(S) test server that counts the
// connections it accepts.
type leanServer struct {
	*httptest.Server
	conns atomic.Int32
}

func startLeanServer(t *testing.T, h http.HandlerFunc, cert *tls.Certificate) *leanServer {
	t.Helper()
	ls := &leanServer{Server: httptest.NewUnstartedServer(h)}
	ls.Config.ErrorLog = log.New(io.Discard, "", 0)
	ls.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ls.conns.Add(1)
		}
	}
	if cert != nil {
		ls.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
		ls.StartTLS()
	} else {
		ls.Start()
	}
	t.Cleanup(ls.Close)
	return ls
}

// leanHandler answers the paths of TestLeanProbe.
func leanHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ok":
		io.WriteString(w, "ok")
	case "/close":
		w.Header().Set("Connection", "close")
		io.WriteString(w, "ok")
	case "/chunked":
		io.WriteString(w, "status: ")
		w.(http.Flusher).Flush() // no Content-Length: chunked
		io.WriteString(w, "ok")
	case "/large":
		w.Header().Set("Content-Length", "100000")
		w.Write(bytes.Repeat([]byte("x"), 100000))
	case "/early":
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "ok")
	case "/switch":
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: probe\r\nConnection: Upgrade\r\n\r\n")
		io.Copy(io.Discard, brw) // until the client goes
	case "/host":
		io.WriteString(w, r.Host+" "+r.UserAgent()+" ["+r.Header.Get("Accept-Encoding")+"]")
	}
}

// TestLeanProbe: checks that do not follow redirects probe over the pool
// of their transport; the table states each case's verdict and how many
// connections its probes cost, and whether one is left idle after them.
func TestLeanProbe(t *testing.T) {
	ca := testcert.NewCA(t, "gtmd test CA")
	leaf := ca.Leaf(t, "www.example.test")
	plain := startLeanServer(t, leanHandler, nil)
	secure := startLeanServer(t, leanHandler, &leaf)
	tests := []struct {
		name      string
		srv       *leanServer
		path      string
		mod       func(*config.Check)
		wantErr   string // "" for healthy
		wantConns int32
		wantIdle  int
	}{
		{"keep-alive: one connection for every probe", plain, "/ok", nil, "", 1, 1},
		{"server closes each connection", plain, "/close", nil, "", 5, 0},
		{"chunked body scanned to its end", plain, "/chunked", func(c *config.Check) { c.ExpectBody = "ok" }, "", 1, 1},
		{"chunked body, no expect_body: not read", plain, "/chunked", nil, "", 5, 0},
		{"body larger than the scan", plain, "/large", func(c *config.Check) { c.ExpectBody = "needle" },
			`body does not contain "needle" in its first 65536 bytes`, 5, 0},
		{"body larger than the scan, not read", plain, "/large", nil, "", 5, 0},
		{"1xx before the response", plain, "/early", func(c *config.Check) { c.ExpectBody = "ok" }, "", 1, 1},
		{"101 ends the connection's HTTP", plain, "/switch", func(c *config.Check) { c.ExpectStatus = []int{101} }, "", 5, 0},
		{"Host override, User-Agent, no Accept-Encoding", plain, "/host",
			func(c *config.Check) { c.Host = "www.example.com"; c.ExpectBody = "www.example.com gtmd-health/1 []" }, "", 1, 1},
		{"keep-alive off at an interval of ConnMaxAge", plain, "/ok",
			func(c *config.Check) { c.Interval = config.Duration(ConnMaxAge) }, "", 5, 0},
		{"https verified: one handshake", secure, "/ok", func(c *config.Check) { c.Host = "www.example.test" }, "", 1, 1},
		{"https, certificate for another name", secure, "/ok", nil, "certificate", 5, 0},
		{"https, insecure_skip_verify", secure, "/ok", func(c *config.Check) { c.InsecureSkipVerify = true }, "", 1, 1},
	}
	const probes = 5
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.srv.conns.Load()
			typ := config.CheckHTTP
			if tt.srv == secure {
				typ = config.CheckHTTPS
			}
			c := config.Check{Name: "web", Type: typ, URL: tt.srv.URL + tt.path, Interval: config.Duration(time.Second)}
			if tt.mod != nil {
				tt.mod(&c)
			}
			ts := NewTransports(ca.Pool, nil)
			hc, err := ts.NewHTTPChecker(c)
			if err != nil {
				t.Fatal(err)
			}
			if hc.lean == nil {
				t.Fatal("the check does not take the lean path")
			}
			for i := range probes {
				err := probeOnce(hc, 10*time.Second)
				if got := errText(err); tt.wantErr == "" && got != "" || !strings.Contains(got, tt.wantErr) {
					t.Fatalf("probe %d: err %v, want %q", i, err, tt.wantErr)
				}
			}
			if got := tt.srv.conns.Load() - before; got != tt.wantConns {
				t.Errorf("%d probes opened %d connections, want %d", probes, got, tt.wantConns)
			}
			pool := hc.lean.pool
			if got := pool.count(); got != tt.wantIdle {
				t.Errorf("%d idle connections after the probes, want %d", got, tt.wantIdle)
			}
			hc.Release()
			if got := pool.count(); got != 0 {
				t.Errorf("%d idle connections after Release", got)
			}
		})
	}
}

func probeOnce(hc *HTTPChecker, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return hc.Check(ctx)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestLeanProbeStaleConnectionRetried: a server that closes the idle
// connection between probes costs one fresh dial per probe, never a
// failed probe.
func TestLeanProbeStaleConnectionRetried(t *testing.T) {
	srv := startLeanServer(t, leanHandler, nil)
	hc, err := NewHTTPChecker(config.Check{Name: "web", Type: config.CheckHTTP, URL: srv.URL + "/ok",
		Interval: config.Duration(time.Second)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Release()
	for i := range 5 {
		if i > 0 {
			srv.CloseClientConnections()
		}
		if err := probeOnce(hc, 10*time.Second); err != nil {
			t.Fatalf("probe %d after the server closed its idle connection: %v", i, err)
		}
	}
	if got := srv.conns.Load(); got != 5 {
		t.Errorf("%d connections, want 5", got)
	}
}

// rawServer accepts loopback connections and hands each to serve; at
// the end of the test it closes them all, so a prober that hangs fails
// its test instead of hanging it.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// rawChecker is an http check of a rawServer, released with the test.
func rawChecker(t *testing.T, addr string) *HTTPChecker {
	t.Helper()
	hc, err := NewHTTPChecker(config.Check{Name: "web", Type: config.CheckHTTP, URL: "http://" + addr + "/",
		Interval: config.Duration(time.Minute)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.Release)
	return hc
}

// TestLeanProbeBadServers: targets that would hold the prober fail its
// probe in bounded time and memory, each the way it should.
func TestLeanProbeBadServers(t *testing.T) {
	readRequest := func(c net.Conn) bool {
		_, err := http.ReadRequest(bufio.NewReader(c))
		return err == nil
	}
	endless := rawServer(t, func(c net.Conn) {
		if !readRequest(c) {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := []byte("X-Filler: " + strings.Repeat("x", 1000) + "\r\n")
		for {
			if _, err := c.Write(line); err != nil {
				return
			}
		}
	})
	interim := rawServer(t, func(c net.Conn) {
		if !readRequest(c) {
			return
		}
		for {
			if _, err := io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"); err != nil {
				return
			}
		}
	})
	silent := rawServer(t, func(c net.Conn) {
		readRequest(c)
		io.Copy(io.Discard, c) // never answers; gone when the client goes
	})
	tests := []struct {
		name    string
		addr    string
		timeout time.Duration
		want    func(error) bool
	}{
		{"endless headers", endless, 30 * time.Second, func(err error) bool {
			return errors.As(err, new(headersTooLargeError))
		}},
		{"endless 1xx responses", interim, 30 * time.Second, func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "more than 5 1xx informational responses")
		}},
		{"never answers", silent, 200 * time.Millisecond, func(err error) bool {
			return errors.Is(err, os.ErrDeadlineExceeded)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := rawChecker(t, tt.addr)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			err := hc.Check(ctx)
			if !tt.want(err) {
				t.Fatalf("err %v", err)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
				t.Error("the probe timed out before its context says so")
			}
		})
	}
}

// TestLeanProbeRetiresOldConnections: on the Transports' clock, the
// probe that finds its connection ConnMaxAge old still uses it, then
// closes it; the next one dials.
func TestLeanProbeRetiresOldConnections(t *testing.T) {
	srv := startLeanServer(t, leanHandler, nil)
	var nowNanos atomic.Int64
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return start.Add(time.Duration(nowNanos.Load())) }
	ts := NewTransports(nil, now)
	hc, err := ts.NewHTTPChecker(config.Check{Name: "web", Type: config.CheckHTTP, URL: srv.URL + "/ok",
		Interval: config.Duration(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Release()
	// Probes every 10s from 0s to 60s: 0-30s on the first connection,
	// retired by the 30s probe, 40-60s on a second one.
	for i := range 7 {
		nowNanos.Store(int64(time.Duration(i) * 10 * time.Second))
		if err := probeOnce(hc, 10*time.Second); err != nil {
			t.Fatalf("probe at %ds: %v", i*10, err)
		}
	}
	if got := srv.conns.Load(); got != 2 {
		t.Errorf("7 probes over 60s opened %d connections, want 2", got)
	}
}

// TestLeanProbeEndsWhenCheckStops: a probe whose context ends before its
// deadline (its check stopped) returns then, not at the deadline, and
// leaves no connection behind.
func TestLeanProbeEndsWhenCheckStops(t *testing.T) {
	asked := make(chan struct{}, 1)
	addr := rawServer(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		asked <- struct{}{}
		io.Copy(io.Discard, c) // never answers
	})
	hc := rawChecker(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- hc.Check(ctx) }()
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("the probe never asked")
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a stopped probe passed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the probe went on after its context ended")
	}
	if n := hc.lean.pool.count(); n != 0 {
		t.Errorf("%d connections kept after a stopped probe", n)
	}
}
