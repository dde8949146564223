package health_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/health/healthtest"
)

// serve starts an HTTP server on 127.0.0.1, port 0.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// checkHTTP runs one probe of an http check against url under timeout.
func checkHTTP(t *testing.T, url string, timeout time.Duration, mod func(*config.Check)) error {
	t.Helper()
	c := config.Check{Name: "web", Type: config.CheckHTTP, URL: url, ExpectStatus: []int{200}}
	if strings.HasPrefix(url, "https:") {
		c.Type = config.CheckHTTPS
	}
	if mod != nil {
		mod(&c)
	}
	hc, err := health.NewHTTPChecker(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return hc.Check(ctx)
}

func TestHTTPStatus(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, "ok")
		case "/fail":
			http.Error(w, "broken", http.StatusInternalServerError)
		case "/nocontent":
			w.WriteHeader(http.StatusNoContent)
		}
	})
	tests := []struct {
		path    string
		expect  []int
		wantErr string
	}{
		{"/ok", []int{200}, ""},
		{"/fail", []int{200}, "status 500, want 200"},
		{"/nocontent", []int{200}, "status 204, want 200"},
		{"/nocontent", []int{200, 204}, ""},
		{"/fail", []int{200, 204}, "status 500, want 200 or 204"},
		{"/fail", []int{500}, ""},
	}
	for _, tt := range tests {
		err := checkHTTP(t, srv.URL+tt.path, 5*time.Second, func(c *config.Check) { c.ExpectStatus = tt.expect })
		if errText(err) != tt.wantErr {
			t.Errorf("%s expecting %v: err %v, want %q", tt.path, tt.expect, err, tt.wantErr)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestHTTPBody(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, "status: ok\n")
		case "/late": // needle just past the scanned part
			w.Write(bytes.Repeat([]byte("x"), health.MaxBodyScan-3))
			io.WriteString(w, "needle")
		case "/edge": // needle ending exactly at the limit
			w.Write(bytes.Repeat([]byte("x"), health.MaxBodyScan-6))
			io.WriteString(w, "needle")
		}
	})
	tests := []struct {
		path, body, wantErr string
	}{
		{"/ok", "ok", ""},
		{"/ok", "down", `body does not contain "down"`},
		{"/late", "needle", `body does not contain "needle" in its first 65536 bytes`},
		{"/edge", "needle", ""},
	}
	for _, tt := range tests {
		err := checkHTTP(t, srv.URL+tt.path, 5*time.Second, func(c *config.Check) { c.ExpectBody = tt.body })
		if errText(err) != tt.wantErr {
			t.Errorf("%s expecting %q: err %v, want %q", tt.path, tt.body, err, tt.wantErr)
		}
	}
}

func TestHTTPEndlessBody(t *testing.T) {
	var sent atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 4096)
		for r.Context().Err() == nil {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	start := time.Now()
	err := checkHTTP(t, srv.URL, 30*time.Second, func(c *config.Check) { c.ExpectBody = "needle" })
	if err == nil || !strings.Contains(err.Error(), "first 65536 bytes") {
		t.Errorf("endless body: err %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("endless body took %v", d)
	}
	// Without expect_body the body is not read at all.
	if err := checkHTTP(t, srv.URL, 30*time.Second, nil); err != nil {
		t.Errorf("endless body, no expect_body: %v", err)
	}
}

func TestHTTPBodyFoundBeforeItEnds(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
		w.(http.Flusher).Flush()
		select { // then trickle nothing until the client goes
		case <-r.Context().Done():
		case <-release:
		}
	})
	if err := checkHTTP(t, srv.URL, 30*time.Second, func(c *config.Check) { c.ExpectBody = "ok" }); err != nil {
		t.Errorf("err %v, want the body matched as soon as it came", err)
	}
}

func TestHTTPRedirects(t *testing.T) {
	var loops atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/r":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/loop":
			loops.Add(1)
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/ok":
			io.WriteString(w, "ok")
		}
	})
	if err := checkHTTP(t, srv.URL+"/r", 5*time.Second, nil); errText(err) != "status 302, want 200" {
		t.Errorf("redirect not followed: err %v", err)
	}
	if err := checkHTTP(t, srv.URL+"/r", 5*time.Second, func(c *config.Check) { c.ExpectStatus = []int{302} }); err != nil {
		t.Errorf("redirect expected: err %v", err)
	}
	follow := func(c *config.Check) { c.FollowRedirects = true; c.ExpectBody = "ok" }
	if err := checkHTTP(t, srv.URL+"/r", 5*time.Second, follow); err != nil {
		t.Errorf("redirect followed: err %v", err)
	}
	err := checkHTTP(t, srv.URL+"/loop", 5*time.Second, follow)
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
		t.Errorf("redirect loop: err %v", err)
	}
	if n := loops.Load(); n != 6 {
		t.Errorf("loop requested %d times, want 6 (the first and 5 redirects)", n)
	}
}

func TestHTTPHostHeaderAndUserAgent(t *testing.T) {
	var host, ua atomic.Value
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		host.Store(r.Host)
		ua.Store(r.UserAgent())
	})
	if err := checkHTTP(t, srv.URL, 5*time.Second, func(c *config.Check) { c.Host = "www.example.com" }); err != nil {
		t.Fatal(err)
	}
	if host.Load() != "www.example.com" || ua.Load() != "gtmd-health/1" {
		t.Errorf("Host %v, User-Agent %v", host.Load(), ua.Load())
	}
}

func TestHTTPHangingServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	start := time.Now()
	err := checkHTTP(t, srv.URL, 100*time.Millisecond, nil)
	if err == nil {
		t.Fatal("hanging server passed")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with a 100ms timeout", d)
	}
}

func TestHTTPConnectionReset(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		conn.(*net.TCPConn).SetLinger(0) // close with RST
		conn.Close()
	})
	if err := checkHTTP(t, srv.URL, 5*time.Second, nil); err == nil {
		t.Error("reset connection passed")
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	err := checkHTTP(t, "http://"+closedAddr(t)+"/", 5*time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "Get ") {
		t.Errorf("err %v, want connection refused without the URL", err)
	}
}

func TestNewHTTPCheckerRejectsBadURL(t *testing.T) {
	for _, u := range []string{"ftp://x/", "/relative", "http://"} {
		if _, err := health.NewHTTPChecker(config.Check{Name: "web", URL: u}, nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// connCounter counts the connections a test server accepts.
type connCounter struct{ n atomic.Int32 }

func (c *connCounter) track(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.n.Add(1)
	}
}

// TestHTTPConnectionReuse: an http check probes over one kept-alive
// connection (its age is TestHTTPConnectionAgeAndSharing's); responses it
// cannot finish reading cost their connection, never the verdict.
func TestHTTPConnectionReuse(t *testing.T) {
	tests := []struct {
		name      string
		interval  time.Duration
		path      string
		body      string // expect_body
		closeIdle bool   // the server drops idle connections between probes
		wantConns int32
	}{
		{"1s interval: one connection", time.Second, "/ok", "", false, 1},
		{"10s interval: one connection", 10 * time.Second, "/ok", "", false, 1},
		{"interval of ConnMaxAge: a connection a probe", health.ConnMaxAge, "/ok", "", false, 7},
		{"unexpected status keeps the connection", time.Second, "/fail", "", false, 1},
		{"body scanned to its end keeps the connection", time.Second, "/ok", "ok", false, 1},
		{"body of unknown length is not read: a connection a probe", time.Second, "/stream", "", false, 7},
		{"server closing idle connections: probes still pass", time.Second, "/ok", "", true, 7},
		{"server closing each connection", time.Second, "/close", "", false, 7},
	}
	const probes = 7
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns connCounter
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/ok":
					io.WriteString(w, "ok")
				case "/fail":
					http.Error(w, "broken", http.StatusInternalServerError)
				case "/stream":
					io.WriteString(w, "ok")
					w.(http.Flusher).Flush() // no Content-Length: chunked
				case "/close":
					w.Header().Set("Connection", "close")
					io.WriteString(w, "ok")
				}
			}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.Config.ConnState = conns.track
			srv.Start()
			t.Cleanup(srv.Close)
			c := config.Check{Name: "web", Type: config.CheckHTTP, URL: srv.URL + tt.path,
				Interval: config.Duration(tt.interval), ExpectBody: tt.body}
			if tt.path == "/fail" {
				c.ExpectStatus = []int{200}
			}
			hc, err := health.NewHTTPChecker(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range probes {
				if tt.closeIdle && i > 0 {
					srv.CloseClientConnections()
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := hc.Check(ctx)
				cancel()
				if wantOK := tt.path != "/fail"; (err == nil) != wantOK {
					t.Fatalf("probe %d: err %v", i, err)
				}
			}
			if got := conns.n.Load(); got != tt.wantConns {
				t.Errorf("%d probes opened %d connections, want %d", probes, got, tt.wantConns)
			}
		})
	}
}

// TestHTTPConnectionClosedWhenCheckStops: the connection an http check
// keeps between probes goes when the check is removed.
func TestHTTPConnectionClosedWhenCheckStops(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	changes := make(chan health.Change, 1)
	s := health.NewScheduler(health.Options{
		Clock: healthtest.NewFakeClock(epoch), Rand: healthtest.ZeroRand{},
		OnChange: func(c health.Change) { changes <- c },
	})
	t.Cleanup(s.Close)
	s.Apply([]config.Check{{Name: "web", Type: config.CheckHTTP, URL: srv.URL, ExpectStatus: []int{200},
		Interval: config.Duration(time.Second), Timeout: config.Duration(time.Second), Rise: 1, Fall: 1}})
	select {
	case c := <-changes:
		if c.To != health.Up {
			t.Fatalf("change %+v, want up", c)
		}
	case <-time.After(waitLimit):
		t.Fatal("no first result")
	}
	select {
	case <-closed:
		t.Fatal("the connection closed while the check runs")
	default:
	}
	s.Apply(nil)
	select {
	case <-closed:
	case <-time.After(waitLimit):
		t.Fatal("the kept connection outlived its check")
	}
}

// TestHTTPConnectionAgeAndSharing: a Scheduler's http checks of one
// target share their connections, and a connection is retired after the
// probe that finds it ConnMaxAge old (on the Scheduler's clock).
func TestHTTPConnectionAgeAndSharing(t *testing.T) {
	var conns connCounter
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = conns.track
	srv.Start()
	t.Cleanup(srv.Close)
	clk := healthtest.NewFakeClock(epoch)
	// a probes at 0s, 10s, ...; b 1ms after a, so they never overlap.
	rnd := &seqRand{values: []time.Duration{0, 0, time.Millisecond, 0}}
	changes := make(chan health.Change, 10)
	s := health.NewScheduler(health.Options{Clock: clk, Rand: rnd, OnChange: func(c health.Change) { changes <- c }})
	t.Cleanup(s.Close)
	check := func(name string) config.Check {
		return config.Check{Name: name, Type: config.CheckHTTP, URL: srv.URL + "/" + name, ExpectStatus: []int{200},
			Interval: config.Duration(10 * time.Second), Timeout: config.Duration(time.Second), Rise: 1, Fall: 1}
	}
	s.Apply([]config.Check{check("a"), check("b")})
	block := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := clk.BlockUntilContext(ctx, 2); err != nil {
			t.Fatalf("checks did not come back to their timers: %v", err)
		}
	}
	block() // a probed at 0; b waits for 1ms
	// Probes at 0s, 10s, 20s, 30s ride the first connection, which the
	// 30s probes retire; those at 40s, 50s, 60s a second one.
	steps := []time.Duration{time.Millisecond}
	for range 6 {
		steps = append(steps, 10*time.Second-time.Millisecond, time.Millisecond)
	}
	for _, d := range steps {
		clk.Advance(d)
		block()
	}
	for _, name := range []string{"a", "b"} {
		st, _ := s.State(name)
		if st.Status != health.Up || !st.LastAt.After(epoch.Add(time.Minute-time.Second)) {
			t.Errorf("%s: %+v, want up, probed at 60s", name, st)
		}
	}
	if got := conns.n.Load(); got != 2 {
		t.Errorf("14 probes of two checks opened %d connections, want 2", got)
	}
}
