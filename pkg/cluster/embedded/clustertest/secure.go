package clustertest

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// SecureEtcd describes a single-member etcd that takes clients over TLS
// with client certificates only (StartSecureEtcd).
type SecureEtcd struct {
	// CertFile, KeyFile and CAFile are the server's certificate and key
	// and the CA that client certificates must chain to.
	CertFile, KeyFile, CAFile string
}

// StartSecureEtcd starts a single-member etcd in t.TempDir() that serves
// clients over https with client certificate authentication, waits until
// it serves, stops it in t.Cleanup and returns its client URL.
func StartSecureEtcd(t testing.TB, s SecureEtcd) string {
	t.Helper()
	client, peer := freeURL(t, "https"), freeURL(t, "http")
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "secure", filepath.Join(t.TempDir(), "etcd")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ClientTLSInfo.CertFile, cfg.ClientTLSInfo.KeyFile = s.CertFile, s.KeyFile
	cfg.ClientTLSInfo.TrustedCAFile = s.CAFile
	cfg.ClientTLSInfo.ClientCertAuth = true
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(startTimeout):
		t.Fatal("secure etcd did not start")
	}
	return client.String()
}

// EnableAuth turns authentication on, with user root and password, over
// a client with the given TLS settings.
func EnableAuth(t testing.TB, endpoint string, tc *tls.Config, password string) {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, TLS: tc, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.UserAdd(ctx, "root", password); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.UserGrantRole(ctx, "root", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.AuthEnable(ctx); err != nil {
		t.Fatal(err)
	}
}

func freeURL(t testing.TB, scheme string) *url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return &url.URL{Scheme: scheme, Host: addr}
}
