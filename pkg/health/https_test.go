package health_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testcert"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

func TestHTTPS(t *testing.T) {
	ca := testcert.NewCA(t, "gtmd test CA")
	var sni atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.Leaf(t, "www.example.test")},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			sni.Store(hello.ServerName)
			return nil, nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	check := func(roots *x509.CertPool, mod func(*config.Check)) error {
		c := config.Check{Name: "web", Type: config.CheckHTTPS, URL: srv.URL + "/", ExpectStatus: []int{200}, ExpectBody: "ok"}
		mod(&c)
		hc, err := health.NewHTTPChecker(c, roots)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hc.Check(ctx)
	}
	withHost := func(c *config.Check) { c.Host = "www.example.test" }

	sni.Store("")
	if err := check(ca.Pool, withHost); err != nil {
		t.Errorf("verified with the test CA: %v", err)
	}
	if got := sni.Load(); got != "www.example.test" {
		t.Errorf("SNI %q, want the host", got)
	}
	if err := check(nil, withHost); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("system roots: err %v, want a certificate error", err)
	}
	if err := check(ca.Pool, func(*config.Check) {}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("no host, so verified against 127.0.0.1: err %v, want a certificate error", err)
	}
	insecure := func(c *config.Check) { withHost(c); c.InsecureSkipVerify = true }
	if err := check(nil, insecure); err != nil {
		t.Errorf("insecure_skip_verify: %v", err)
	}
	hostPort := func(c *config.Check) { c.Host = "www.example.test:8443" }
	if err := check(ca.Pool, hostPort); err != nil {
		t.Errorf("host with a port: %v", err)
	}
	if got := sni.Load(); got != "www.example.test" {
		t.Errorf("SNI %q from a host with a port", got)
	}
}

func TestHTTPSRootCAsThroughScheduler(t *testing.T) {
	ca := testcert.NewCA(t, "gtmd test CA")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "www.example.test")}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	changes := make(chan health.Change, 10)
	s := health.NewScheduler(health.Options{
		RootCAs:  ca.Pool,
		OnChange: func(c health.Change) { changes <- c },
	})
	t.Cleanup(s.Close)
	s.Apply([]config.Check{{
		Name: "web", Type: config.CheckHTTPS, URL: srv.URL, Host: "www.example.test",
		ExpectStatus: []int{200}, Interval: config.Duration(time.Hour), Timeout: config.Duration(5 * time.Second),
		Rise: 1, Fall: 1,
	}})
	select {
	case c := <-changes:
		if c.To != health.Up {
			t.Errorf("change %+v, want up", c)
		}
	case <-time.After(waitLimit):
		t.Fatal("no result")
	}
}

// TestHTTPSConnectionReuse: at a short interval an https check does one
// TLS handshake, not one a probe, and keeps its server name on the
// connection it reuses.
func TestHTTPSConnectionReuse(t *testing.T) {
	ca := testcert.NewCA(t, "gtmd test CA")
	var handshakes atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || r.TLS.ServerName != "www.example.test" {
			http.Error(w, "wrong server name", http.StatusMisdirectedRequest)
			return
		}
		io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.Leaf(t, "www.example.test")},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			handshakes.Add(1)
			return nil, nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	hc, err := health.NewHTTPChecker(config.Check{
		Name: "web", Type: config.CheckHTTPS, URL: srv.URL, Host: "www.example.test",
		ExpectStatus: []int{200}, Interval: config.Duration(time.Second),
	}, ca.Pool)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := hc.Check(ctx)
		cancel()
		if err != nil {
			t.Fatalf("probe %d: %v", i, err)
		}
	}
	if got := handshakes.Load(); got != 1 {
		t.Errorf("5 probes made %d TLS handshakes, want 1", got)
	}
}

// TestHTTPSChecksShareOnlyWithTheirServerName: https checks of one
// address but different host names never share a connection, so each
// probe speaks to the server name its check names.
func TestHTTPSChecksShareOnlyWithTheirServerName(t *testing.T) {
	ca := testcert.NewCA(t, "gtmd test CA")
	var handshakes atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want, _, _ := strings.Cut(r.Host, ":"); r.TLS.ServerName != want {
			http.Error(w, "server name "+r.TLS.ServerName+" for host "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.Leaf(t, "www.example.test", "api.example.test")},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			handshakes.Add(1)
			return nil, nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ts := health.NewTransports(ca.Pool, nil)
	var checkers []*health.HTTPChecker
	for _, host := range []string{"www.example.test", "api.example.test", "www.example.test"} {
		hc, err := ts.NewHTTPChecker(config.Check{Name: host, Type: config.CheckHTTPS, URL: srv.URL, Host: host,
			ExpectStatus: []int{200}, Interval: config.Duration(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(hc.Release)
		checkers = append(checkers, hc)
	}
	for round := range 3 {
		for i, hc := range checkers {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := hc.Check(ctx)
			cancel()
			if err != nil {
				t.Fatalf("round %d, checker %d: %v", round, i, err)
			}
		}
	}
	if got := handshakes.Load(); got != 2 {
		t.Errorf("9 probes of 3 checks under 2 names made %d TLS handshakes, want 2", got)
	}
}
