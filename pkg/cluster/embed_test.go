package cluster

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gtmd/gtmd/internal/testport"
	"github.com/gtmd/gtmd/pkg/cluster/embedded"
)

// The embedded etcd's own tests are in package embedded; these are the
// store's on top of it.

// startEmbedded starts the embedded store in dir on free loopback ports,
// retrying with new ports when one was taken meanwhile, and returns it
// and its client and peer ports, for a restart on the same ones.
func startEmbedded(t *testing.T, dir string, ports []int, edit ...func(*embedded.Options)) (*embedded.Etcd, []int) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		if ports == nil {
			ports = testport.Ports(t, 2)
		}
		o := embedded.Options{
			Dir:          dir,
			Name:         "node1",
			ClientURL:    fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
			PeerURL:      fmt.Sprintf("http://localhost:%d", ports[1]),
			StartTimeout: 20 * time.Second,
		}
		for _, f := range edit {
			f(&o)
		}
		e, err := embedded.Start(o)
		if err == nil {
			return e, ports
		}
		if attempt == 4 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		ports = nil
	}
}

// TestStartEmbeddedDurable runs a store on the embedded etcd, stops it and
// starts it again on the same data directory: the document is still there.
func TestStartEmbeddedDurable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "etcd")
	e, ports := startEmbedded(t, dir, nil)
	n := openNode(t, e.Endpoints(), "a", withCredentials(e))
	ctx := ctxT(t)
	rev, err := n.ApplyTraffic(ctx, loadTraffic(t), NoDocument)
	if err != nil {
		t.Fatal(err)
	}
	n.states.wait(t, 5*time.Second, "the document is seen", func(s *State) bool { return s.TrafficRevision == rev })
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	e.Close()

	// Closed listeners free their ports at once (SO_REUSEADDR), so the
	// same ones are taken again, as a restarted node would.
	e, _ = startEmbedded(t, dir, ports)
	t.Cleanup(e.Close)
	again := openNode(t, e.Endpoints(), "a", withCredentials(e))
	st := again.states.wait(t, 10*time.Second, "the document is read back", func(s *State) bool { return s.Traffic != nil })
	if st.TrafficRevision != rev {
		t.Errorf("traffic revision %d after a restart, want %d", st.TrafficRevision, rev)
	}
}

// TestEmbeddedRestartReauthenticates: etcd keeps its simple tokens in
// memory, so a restart invalidates the token a store holds; the store
// logs in again by itself and goes on writing.
func TestEmbeddedRestartReauthenticates(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "etcd")
	e, ports := startEmbedded(t, dir, nil)
	n := openNode(t, e.Endpoints(), "a", withCredentials(e))
	if _, err := n.ApplyTraffic(ctxT(t), loadTraffic(t), NoDocument); err != nil {
		t.Fatal(err)
	}
	e.Close()
	// Generous: under the race detector on a loaded machine, two probes
	// that time out can take a while to be seen.
	n.waitConn(t, 30*time.Second, false)

	e, _ = startEmbedded(t, dir, ports)
	t.Cleanup(e.Close)
	n.waitConn(t, 30*time.Second, true)
	eventuallyNil(t, 10*time.Second, "a write with the token from before the restart", func() error {
		_, err := n.ApplyTraffic(ctxTimeout(t, 2*time.Second), loadTraffic(t), AnyRevision)
		return err
	})
}

// withCredentials logs a store in to the embedded etcd e.
func withCredentials(e *embedded.Etcd) func(*Options) {
	return func(o *Options) { o.Username, o.Password = e.Credentials() }
}

// rawClient connects to endpoints as user (none when ""), as any local
// process could.
func rawClient(t *testing.T, endpoints []string, user, password string) (*clientv3.Client, error) {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, Username: user, Password: password, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err == nil {
		t.Cleanup(func() { cli.Close() })
	}
	return cli, err
}
