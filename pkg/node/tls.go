package node

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/gtmd/gtmd/pkg/config"
)

// storeTLS builds the TLS settings for etcd from the node file: a CA to
// verify the servers and, optionally, a client certificate.
func storeTLS(c config.StoreTLS) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CA != "" {
		pool, err := readCAPool("store.tls.ca", c.CA)
		if err != nil {
			return nil, err
		}
		t.RootCAs = pool
	}
	if c.Cert != "" {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, fmt.Errorf("loading store.tls.cert and key: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// readCAPool reads the PEM certificates at path, which the node file's
// key names, as a pool to verify servers with.
func readCAPool(key, path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s %s holds no PEM certificate", key, path)
	}
	return pool, nil
}
