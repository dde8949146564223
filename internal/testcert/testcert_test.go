package testcert_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/gtmd/gtmd/internal/testcert"
)

// TestLeafVerifies: a leaf verifies against its own CA for the hosts it
// was issued for, and not for another host or against another CA; its
// PEM form loads as a key pair.
func TestLeafVerifies(t *testing.T) {
	ca, other := testcert.NewCA(t, "ca"), testcert.NewCA(t, "other")
	leaf := ca.Leaf(t, "127.0.0.1", "www.example.test")
	for _, c := range []struct {
		name string
		pool *x509.CertPool
		host string
		ok   bool
	}{
		{"ip", ca.Pool, "127.0.0.1", true},
		{"name", ca.Pool, "www.example.test", true},
		{"another ip", ca.Pool, "127.0.0.2", false},
		{"another name", ca.Pool, "example.test", false},
		{"another CA", other.Pool, "127.0.0.1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: c.pool, DNSName: c.host})
			if (err == nil) != c.ok {
				t.Errorf("verify for %s: %v, want ok=%v", c.host, err, c.ok)
			}
		})
	}
	pair, err := tls.X509KeyPair(testcert.PEM(t, leaf))
	if err != nil {
		t.Fatalf("the PEM form does not load: %v", err)
	}
	if string(pair.Certificate[0]) != string(leaf.Certificate[0]) {
		t.Error("the PEM form holds another certificate")
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca.CertPEM()) || !roots.Equal(ca.Pool) {
		t.Error("the CA's PEM form is not the CA")
	}
}
