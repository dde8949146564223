package node

import (
	"bufio"
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestStopEndsEventStreams: a client following GET /v1/events does not
// hold a stopping node up: the stream ends, the API shuts down and the
// lease is revoked well within the shutdown grace.
func TestStopEndsEventStreams(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	n := startTestNode(t, "n1", etcd, "")
	resp, err := http.Get(n.adminBase() + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The stream is open once its first comment arrives.
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, ":") {
		t.Fatalf("events stream: %q %v", line, err)
	}
	start := time.Now()
	n.stop()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stop took %v with an event stream open", took)
	}
}

// TestAdminCertRefusedAtStart: an admin certificate that cannot be loaded
// stops the node at start, naming the setting, rather than leaving the
// API's port bound and silent.
func TestAdminCertRefusedAtStart(t *testing.T) {
	n := config.DefaultNode()
	n.Node.ID = "n1"
	n.DNS.Listen = []string{"127.0.0.1:0"}
	n.DNS.UDPListeners = 1
	n.Admin.Listen = "127.0.0.1:0"
	dir := t.TempDir()
	n.Admin.TLSCert, n.Admin.TLSKey = filepath.Join(dir, "missing.crt"), filepath.Join(dir, "missing.key")
	n.Store.EtcdEndpoints = []string{"http://127.0.0.1:1"}
	n.DataDir = dir
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	r, err := startNode(context.Background(), &n, slog.New(slog.DiscardHandler))
	if err == nil {
		r.stop()
		t.Fatal("the node started with an admin certificate it cannot load")
	}
	if !strings.Contains(err.Error(), "admin.tls_cert") || !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("error %q does not name admin.tls_cert and its file", err)
	}
}

// TestAdminServesHTTPS: with a certificate the API answers over TLS.
func TestAdminServesHTTPS(t *testing.T) {
	dir := t.TempDir()
	ca := writeCA(t, dir)
	writeCert(t, dir, "admin", ca, "127.0.0.1")
	n := config.DefaultNode()
	n.Node.ID = "n1"
	n.DNS.Listen = []string{"127.0.0.1:0"}
	n.DNS.UDPListeners = 1
	n.Admin.Listen = "127.0.0.1:0"
	n.Admin.TLSCert, n.Admin.TLSKey = filepath.Join(dir, "admin.pem"), filepath.Join(dir, "admin-key.pem")
	n.Store.EtcdEndpoints = clustertest.StartEtcd(t)
	n.DataDir = dir
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	r, err := startNode(context.Background(), &n, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}, Timeout: 5 * time.Second}
	resp, err := c.Get("https://" + r.adminAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz over TLS: %d", resp.StatusCode)
	}
}
