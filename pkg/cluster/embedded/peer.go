package embedded

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
)

// A single member never talks to a peer, yet etcd must listen for peers;
// and a peer is trusted with raft itself: a local process that spoke raft
// to that port could write anything, past authentication. So the peer
// port speaks TLS and asks for a client certificate from a CA whose key
// is thrown away as soon as it has signed the member's own certificate:
// no one, gtmd included, can get a certificate it accepts. Made afresh at
// every start, so nothing secret stays on disk.

// peerCertValidity outlives any run of a node.
const peerCertValidity = 10 * 365 * 24 * time.Hour

// sealPeer writes the member's peer certificate and the CA it trusts to
// dir (mode 0600) and returns the peer TLS settings and the peer URL on
// https.
func sealPeer(dir string, peer *url.URL) (transport.TLSInfo, *url.URL, error) {
	info, err := writePeerCerts(dir, peer)
	if err != nil {
		return transport.TLSInfo{}, nil, fmt.Errorf("sealing the embedded etcd's peer port: %w", err)
	}
	sealed := *peer
	sealed.Scheme = "https"
	return info, &sealed, nil
}

// writePeerCerts makes the throwaway CA and the member's certificate for
// sealPeer, writes them to dir and returns the TLS settings naming them.
func writePeerCerts(dir string, peer *url.URL) (transport.TLSInfo, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return transport.TLSInfo{}, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gtmd embedded etcd peer CA (key discarded)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(peerCertValidity),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return transport.TLSInfo{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return transport.TLSInfo{}, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "gtmd embedded etcd peer"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(peerCertValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(peer.Hostname()); ip != nil {
		leaf.IPAddresses = append(leaf.IPAddresses, ip)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return transport.TLSInfo{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return transport.TLSInfo{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return transport.TLSInfo{}, err
	}
	info := transport.TLSInfo{
		CertFile: filepath.Join(dir, "peer.pem"), KeyFile: filepath.Join(dir, "peer-key.pem"),
		TrustedCAFile: filepath.Join(dir, "peer-ca.pem"), ClientCertAuth: true,
	}
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{info.CertFile, "CERTIFICATE", leafDER}, {info.KeyFile, "EC PRIVATE KEY", keyDER}, {info.TrustedCAFile, "CERTIFICATE", caDER}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			return transport.TLSInfo{}, err
		}
	}
	return info, nil
}
