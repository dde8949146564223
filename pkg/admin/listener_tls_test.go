package admin_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/testcert"
	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/config"
)

// serveTLS serves the API over HTTPS with a certificate the pool
// returned trusts.
func serveTLS(t *testing.T, lim config.AdminLimits, log *slog.Logger) (*limitedAPI, *x509.CertPool) {
	t.Helper()
	ca := testcert.NewCA(t, "admin")
	cert, pool := ca.Leaf(t, "127.0.0.1"), ca.Pool
	reg := prometheus.NewRegistry()
	m, err := admin.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(admin.Options{Backend: admintest.New("n1", nil), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	srv, l := admin.NewHTTPServer(h, ln, admin.ServerOptions{Limits: lim, TLS: tc, Metrics: m, Logger: log})
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(l, "", "") }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("ServeTLS: %v", err)
		}
	})
	return &limitedAPI{t: t, addr: ln.Addr().String(), reg: reg}, pool
}

// TestTLSHandshakeErrorsAtDebug: a stranger's failed handshakes, one per
// connection, are debug lines, not warnings that flood the log.
func TestTLSHandshakeErrorsAtDebug(t *testing.T) {
	var logs testlog.Buffer
	a, _ := serveTLS(t, config.AdminLimits{}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for range 3 {
		c, err := net.Dial("tcp", a.addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("\x16\x03\x01\x00\x05junk!"))
		c.Close()
	}
	waitFor(t, "three handshake errors in the log", func() bool { return strings.Count(logs.String(), "TLS handshake error") == 3 })
	if n := strings.Count(logs.String(), "level=DEBUG msg=\"http: TLS handshake error"); n != 3 {
		t.Errorf("%d of 3 handshake errors at debug level:\n%s", n, logs.String())
	}
}

// TestConnectionCapOverTLS: over HTTPS (and HTTP/2) the cap still knows
// which connections are idle, under the TLS connection the server wraps
// them in, and closes one to admit a new client.
func TestConnectionCapOverTLS(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			a, pool := serveTLS(t, config.AdminLimits{MaxConnections: 2}, nil)

			newClient := func() *http.Client {
				tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{proto}}, ForceAttemptHTTP2: proto == "h2"}
				t.Cleanup(tr.CloseIdleConnections)
				return &http.Client{Transport: tr, Timeout: closeWait}
			}
			for i := range 2 {
				resp, err := newClient().Get("https://" + a.addr + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				// Read to the end, or the client closes the connection
				// rather than keep it.
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.ProtoMajor != map[string]int{"http/1.1": 1, "h2": 2}[proto] {
					t.Fatalf("served over %s, want %s", resp.Proto, proto)
				}
				waitFor(t, fmt.Sprintf("%d idle connections", i+1), func() bool { return a.metric("gtmd_admin_connections", "idle") == float64(i+1) })
			}
			resp, err := newClient().Get("https://" + a.addr + "/readyz")
			if err != nil {
				t.Fatalf("a third client with the cap of 2 taken by idle connections: %v", err)
			}
			resp.Body.Close()
			if got := a.metric("gtmd_admin_connections_evicted_total", ""); got != 1 {
				t.Errorf("gtmd_admin_connections_evicted_total = %v, want 1", got)
			}
		})
	}
}
