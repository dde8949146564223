package node

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testcert"
	"github.com/gtmd/gtmd/internal/testport"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// TestStoreTLSAndAuth runs etcd with TLS client certificates and
// authentication on, and checks that the node file's store.tls, username
// and password_file get a node in, and that a node without them is
// refused.
func TestStoreTLSAndAuth(t *testing.T) {
	dir := t.TempDir()
	ca := writeCA(t, dir)
	writeCert(t, dir, "server", ca, "127.0.0.1")
	writeCert(t, dir, "client", ca)

	endpoint := clustertest.StartSecureEtcd(t, clustertest.SecureEtcd{
		CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server-key.pem"), CAFile: filepath.Join(dir, "ca.pem"),
	})

	n := config.DefaultNode()
	n.Node.ID = "tls-node"
	n.Store.TLS = config.StoreTLS{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "client.pem"), Key: filepath.Join(dir, "client-key.pem")}
	n.Store.Username = "root"
	n.Store.PasswordFile = filepath.Join(dir, "password")
	if err := os.WriteFile(n.Store.PasswordFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	endpoints := []string{endpoint}

	// Turn authentication on with the node's own TLS settings.
	opts, err := storeOptions(&n, endpoints, "test")
	if err != nil {
		t.Fatal(err)
	}
	clustertest.EnableAuth(t, endpoint, opts.TLS, "s3cret")

	// A refusal comes at once; the long timeout is for a machine so busy
	// (the race detector, other tests) that a TLS login takes seconds.
	connects := func(o cluster.Options) error {
		o.Prefix, o.Self = "/gtmd/", cluster.Member{ID: "tls-node"}
		s, err := cluster.Open(o)
		if err != nil {
			return err
		}
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _, err = s.Traffic(ctx)
		if errors.Is(err, cluster.ErrNoDocument) {
			return nil
		}
		return err
	}
	// etcd checks a password with bcrypt: under the race detector on a
	// busy machine a login can outlast the client's dial timeout, which
	// is not a refusal, so the good credentials get a few tries.
	for try := 0; try < 5; try++ {
		if err = connects(opts); err == nil || !errors.Is(err, context.DeadlineExceeded) {
			break
		}
	}
	if err != nil {
		t.Fatalf("the node's TLS and credentials were refused: %v", err)
	}
	noAuth := opts
	noAuth.Username, noAuth.Password = "", ""
	if connects(noAuth) == nil {
		t.Error("a node without credentials got in")
	}
	wrong := opts
	wrong.Password = "guess"
	if connects(wrong) == nil {
		t.Error("a node with the wrong password got in")
	}
}

// writeCA makes a test CA and writes its certificate to dir/ca.pem.
func writeCA(t *testing.T, dir string) *testcert.CA {
	t.Helper()
	ca := testcert.NewCA(t, "gtmd test CA")
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

// writeCert has ca issue a certificate for hosts (IP addresses or
// names; none for a client's) and writes it to dir/name.pem and its key
// to dir/name-key.pem.
func writeCert(t *testing.T, dir, name string, ca *testcert.CA, hosts ...string) {
	t.Helper()
	cert, key := testcert.PEM(t, ca.Leaf(t, hosts...))
	for file, b := range map[string][]byte{name + ".pem": cert, name + "-key.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// embeddedNode is a node file for a node on its embedded store, with
// everything on free loopback ports.
func embeddedNode(t *testing.T, dataDir string) config.Node {
	t.Helper()
	n := config.DefaultNode()
	n.Node.ID, n.Node.Region = "emb", "test"
	n.DNS.Listen = []string{"127.0.0.1:0"}
	n.DNS.UDPListeners = 1
	n.Admin.Listen = "127.0.0.1:0"
	urls := testport.LoopbackURLs(t, 2)
	n.Store.Embedded.ClientURL, n.Store.Embedded.PeerURL = urls[0], urls[1]
	n.DataDir = dataDir
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEmbeddedStoreAuth: a node on its embedded store generates a root
// password in data_dir (0600), logs in with it and works; a local process
// without it can neither read nor write the store.
func TestEmbeddedStoreAuth(t *testing.T) {
	dataDir := t.TempDir()
	n := embeddedNode(t, dataDir)
	n.TrafficFile = writeTraffic(t, clusterTraffic("127.0.0.1:1"))
	r, err := startNode(context.Background(), &n, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	testwait.Eventually(t, 10*time.Second, "the node's store takes the traffic_file", func() bool {
		st := r.store.State()
		return st != nil && st.Traffic != nil
	})

	file := filepath.Join(dataDir, "etcd-root.password")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", file, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(file)
	password := strings.TrimSpace(string(b))

	// What a local process could do with the store, through a store of
	// its own on the node's endpoint.
	writes := func(user, password string) error {
		s, err := cluster.Open(cluster.Options{Endpoints: r.embed.Endpoints(), Username: user, Password: password, Prefix: n.Store.Prefix, Self: cluster.Member{ID: "intruder"}})
		if err != nil {
			return err
		}
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, _, err := s.Traffic(ctx); err != nil {
			return err
		}
		return s.SetOverride(ctx, "www.gtm.test.", "us-east", health.Override{State: "drain", Reason: "intruder"})
	}
	for _, c := range []struct {
		name, user, password string
		ok                   bool
	}{
		{"no credentials", "", "", false},
		{"root with a guess", "root", "guess", false},
		{"the password in data_dir", "root", password, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := writes(c.user, c.password)
			if (err == nil) != c.ok {
				t.Errorf("read and write: %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// TestEmbeddedFirstStartClosed: a local process that writes a document
// to the embedded store's client URL over and over, from before a node's
// first start until after it, never gets one in: the node's traffic_file
// is what the store holds.
func TestEmbeddedFirstStartClosed(t *testing.T) {
	dataDir := t.TempDir()
	n := embeddedNode(t, dataDir)
	n.TrafficFile = writeTraffic(t, clusterTraffic("127.0.0.1:1"))
	key := n.Store.Prefix + "traffic"
	body, _ := json.Marshal(map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte(key)),
		"value": base64.StdEncoding.EncodeToString([]byte(`{"intruded":true}`)),
	})
	var written, refused, unreachable atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cl := &http.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			// etcd's HTTP gateway: a new connection per refused try.
			resp, err := cl.Post(n.Store.Embedded.ClientURL+"/v3/kv/put", "application/json", bytes.NewReader(body))
			if err != nil {
				unreachable.Add(1)
				time.Sleep(time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && !strings.Contains(string(b), `"error"`) {
				written.Add(1)
			} else {
				refused.Add(1)
			}
		}
	}()
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(halt)
	testwait.Eventually(t, 10*time.Second, "the writer is at the port", func() bool { return unreachable.Load() > 0 })

	r, err := startNode(context.Background(), &n, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	testwait.Eventually(t, 10*time.Second, "etcd answers the writer over TCP", func() bool { return refused.Load()+written.Load() >= 10 })
	halt()
	t.Logf("writes without credentials: %d accepted, %d refused, %d found no listener", written.Load(), refused.Load(), unreachable.Load())
	if written.Load() != 0 {
		t.Errorf("%d writes without credentials were accepted", written.Load())
	}
	if unreachable.Load() == 0 {
		t.Error("the writer never tried before the client URL opened")
	}
	testwait.Eventually(t, 10*time.Second, "the node's store takes the traffic_file", func() bool {
		st := r.store.State()
		return st != nil && st.Traffic != nil
	})

	user, password := r.embed.Credentials()
	cli, err := clientv3.New(clientv3.Config{Endpoints: r.embed.Endpoints(), Username: user, Password: password, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil || len(resp.Kvs) != 1 || strings.Contains(string(resp.Kvs[0].Value), "intruded") {
		t.Errorf("the stored document: %v, %v; want the traffic_file's", resp, err)
	}
}
