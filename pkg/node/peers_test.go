package node

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/internal/testcert"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestPeerClientFiles: the node refuses to start on an admin.peer_ca it
// cannot use or a peer URL that is no admin API's, saying which.
func TestPeerClientFiles(t *testing.T) {
	dir := t.TempDir()
	ca := writeFile(t, dir, "ca.pem", string(testcert.NewCA(t, "peers").CertPEM()))
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
