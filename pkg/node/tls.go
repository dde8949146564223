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
		pem, err := os.ReadFile(c.CA)
		if err != nil {
			return nil, fmt.Errorf("reading store.tls.ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("store.tls.ca %s holds no PEM certificate", c.CA)
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
