package main

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// peerTimeout bounds one member's answer to explain?all_nodes=1.
const peerTimeout = 10 * time.Second

// peerClient is the admin API's client for asking other nodes: it sends
// a caller's token only to admin.peers and, with admin.peer_ca, to
// members whose https certificate that CA verifies (see admin.Peers).
func peerClient(c config.Admin) (*http.Client, error) {
	var pool *x509.CertPool
	if c.PeerCA != "" {
		b, err := os.ReadFile(c.PeerCA)
		if err != nil {
			return nil, fmt.Errorf("reading admin.peer_ca: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("admin.peer_ca %s holds no PEM certificate", c.PeerCA)
		}
	}
	p, err := admin.NewPeers(c.Peers, pool)
	if err != nil {
		return nil, err
	}
	return p.Client(peerTimeout), nil
}
