package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// TestPeerClientFiles: the node refuses to start on an admin.peer_ca it
// cannot use or a peer URL that is no admin API's, saying which.
func TestPeerClientFiles(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "peers"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := writeFile(t, dir, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	notPEM := writeFile(t, dir, "not.pem", "hello\n")
	for _, tc := range []struct {
		name string
		c    config.Admin
		want string // "" for no error
	}{
		{"no peers", config.Admin{}, ""},
		{"peers and a CA", config.Admin{Peers: []string{"https://eu-1.example.net:8300"}, PeerCA: ca}, ""},
		{"missing CA", config.Admin{PeerCA: filepath.Join(dir, "none.pem")}, "reading admin.peer_ca: open " + filepath.Join(dir, "none.pem")},
		{"not PEM", config.Admin{PeerCA: notPEM}, "admin.peer_ca " + notPEM + " holds no PEM certificate"},
		{"bad peer", config.Admin{Peers: []string{"http://127.0.0.1:8300/v1"}}, `admin.peers[0]: "http://127.0.0.1:8300/v1" is not the base URL of an admin API`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := peerClient(tc.c)
			switch {
			case tc.want == "" && (err != nil || c == nil):
				t.Errorf("peerClient: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
