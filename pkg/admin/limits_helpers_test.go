package admin_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// closeWait bounds how long a test waits for the server to close a
// connection: a safety net for a failing test, not a measure of the
// server.
const closeWait = 10 * time.Second

// limitedAPI is the API as gtmd serve serves it: built by New and served
// by NewHTTPServer on a loopback port, with its metrics.
type limitedAPI struct {
	t    *testing.T
	addr string
	reg  *prometheus.Registry
}

// serveLimited serves the API of b with lim; opts and so give the rest.
func serveLimited(t *testing.T, b admin.Backend, lim config.AdminLimits, opts admin.Options, so admin.ServerOptions) *limitedAPI {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := admin.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	opts.Backend, opts.Limits, opts.Metrics = b, lim, m
	if opts.NodeID == "" {
		opts.NodeID = "n1"
	}
	h, err := admin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	so.Limits, so.Metrics = lim, m
	srv, l := admin.NewHTTPServer(h, ln, so)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return &limitedAPI{t: t, addr: ln.Addr().String(), reg: reg}
}

func (a *limitedAPI) url(path string) string { return "http://" + a.addr + path }

// metric is the value of a gauge or counter of the API, with the label
// value given if it has one.
func (a *limitedAPI) metric(name, label string) float64 {
	a.t.Helper()
	mfs, err := a.reg.Gather()
	if err != nil {
		a.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	a.t.Fatalf("no metric %s{%s}", name, label)
	return 0
}

// waitFor polls cond until it holds, failing the test after closeWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(closeWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", closeWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawConn is a client connection that writes requests by hand, so a test
// can send half of one, or hold it between requests.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// get sends a GET with the headers given (name, value pairs) and reads
// the response whole.
func (c *rawConn) get(t *testing.T, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	return c.send(t, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n"+headerLines(hdr)+"\r\n")
}

func (c *rawConn) send(t *testing.T, req string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("writing %q: %v", req, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(closeWait))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("reading the response to %q: %v", req, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the body of the response to %q: %v", req, err)
	}
	return resp, string(body)
}

func headerLines(hdr []string) string {
	var b strings.Builder
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	return b.String()
}

// closedByServer reads until the connection ends and fails the test if
// the server has not closed it within closeWait. What the server wrote
// before closing is returned.
func (c *rawConn) closedByServer(t *testing.T) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(closeWait))
	b, err := io.ReadAll(c.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server has not closed the connection in %v (read %q)", closeWait, b)
	}
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading until the connection ends: %v", err)
	}
	return string(b)
}

// stillOpen reports whether the connection is open: a read finds nothing
// to read rather than its end.
func (c *rawConn) stillOpen() bool {
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.br.Peek(1)
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// stream is an open GET /v1/events.
type stream struct {
	resp   *http.Response
	cancel context.CancelFunc
}

// openStream opens an event stream and returns once the server has
// written its first line, that is once the stream holds its places.
func openStream(t *testing.T, c *http.Client, url, token string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("GET /v1/events: %d %s", resp.StatusCode, b)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, ":") {
		cancel()
		t.Fatalf("GET /v1/events: first line %q, %v", line, err)
	}
	s := &stream{resp: resp, cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// clientFrom is an HTTP client whose connections come from the loopback
// address local, so that a test can be two clients.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: closeWait}
}

// call sends one request and returns its status, headers and body.
func call(t *testing.T, c *http.Client, method, url, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// lineReader reads a response body line by line.
type lineReader struct{ br *bufio.Reader }

func newLineReader(resp *http.Response) *lineReader {
	return &lineReader{br: bufio.NewReader(resp.Body)}
}

func (l *lineReader) next() (string, error) {
	line, err := l.br.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}
