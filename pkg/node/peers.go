package node

import (
	"crypto/x509"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// peerClient reads the peers the admin API may ask: it sends
// a caller's token only to admin.peers and, with admin.peer_ca, to
// members whose https certificate that CA verifies (see admin.Peers).
func peerClient(c config.Admin) (*admin.Peers, error) {
	var pool *x509.CertPool
	if c.PeerCA != "" {
		var err error
		if pool, err = readCAPool("admin.peer_ca", c.PeerCA); err != nil {
			return nil, err
		}
	}
	return admin.NewPeers(c.Peers, pool)
}
