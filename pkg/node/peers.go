package node

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// peerClient reads the peers the admin API may ask: it sends
// a caller's token only to admin.peers and, with admin.peer_ca, to
// members whose https certificate that CA verifies (see admin.Peers).
func peerClient(c config.Admin) (*admin.Peers, error) {
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
	return admin.NewPeers(c.Peers, pool)
}
