package admin_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/config"
)

// selfSigned is a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "admin"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestConnectionCapOverTLS: over HTTPS (and HTTP/2) the cap still knows
// which connections are idle, under the TLS connection the server wraps
// them in, and closes one to admit a new client.
func TestConnectionCapOverTLS(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			cert, pool := selfSigned(t)
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
			srv, l := admin.NewHTTPServer(h, ln, admin.ServerOptions{Limits: config.AdminLimits{MaxConnections: 2}, TLS: tc, Metrics: m})
			served := make(chan error, 1)
			go func() { served <- srv.ServeTLS(l, "", "") }()
			t.Cleanup(func() {
				_ = srv.Close()
				if err := <-served; !errors.Is(err, http.ErrServerClosed) {
					t.Errorf("ServeTLS: %v", err)
				}
			})
			a := &limitedAPI{t: t, addr: ln.Addr().String(), reg: reg}

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
