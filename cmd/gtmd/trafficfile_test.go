package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// startWithTrafficFile starts a node on etcd with traffic_file set,
// logging into logs; the node is stopped at the end of the test.
func startWithTrafficFile(t *testing.T, etcd []string, file string, logs *lockedBuffer) (*running, error) {
	t.Helper()
	n := config.DefaultNode()
	n.Node.ID, n.Node.Region = "tf", "test"
	n.DNS.Listen = []string{"127.0.0.1:0"}
	n.DNS.UDPListeners = 1
	n.Admin.Listen = "127.0.0.1:0"
	n.Store.EtcdEndpoints = etcd
	n.Store.Prefix = "/gtmd-test/"
	n.DataDir = t.TempDir()
	n.TrafficFile = file
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	r, err := startNode(context.Background(), &n, slog.New(slog.NewTextHandler(logs, nil)))
	if err == nil {
		t.Cleanup(r.stop)
	}
	return r, err
}

// TestTrafficFileAtStart: a traffic_file that cannot be loaded stops the
// start when the store is empty (the node would answer REFUSED to
// everything), and is only a warning when the store holds a document.
func TestTrafficFileAtStart(t *testing.T) {
	good := writeTraffic(t, clusterTraffic("127.0.0.1:1"))
	dir := filepath.Dir(good)
	invalid := writeTraffic(t, "zones: [{name: broken")
	missing := filepath.Join(dir, "trafic.yaml")

	empty := clustertest.StartEtcd(t)
	for _, c := range []struct {
		name, file, want string
	}{
		{"misspelled", missing, "traffic_file " + missing + " cannot be loaded and the store holds no traffic document"},
		{"invalid", invalid, "traffic_file " + invalid + " cannot be loaded"},
	} {
		t.Run("empty store, "+c.name, func(t *testing.T) {
			var logs lockedBuffer
			_, err := startWithTrafficFile(t, empty, c.file, &logs)
			if err == nil {
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}

	full := clustertest.StartEtcd(t)
	t.Run("a good file fills an empty store", func(t *testing.T) {
		var logs lockedBuffer
		r, err := startWithTrafficFile(t, full, good, &logs)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the file applied", func() bool { st := r.store.State(); return st != nil && st.Traffic != nil })
	})
	for _, c := range []struct{ name, file string }{{"misspelled", missing}, {"invalid", invalid}} {
		t.Run("store with a document, "+c.name, func(t *testing.T) {
			var logs lockedBuffer
			r, err := startWithTrafficFile(t, full, c.file, &logs)
			if err != nil {
				t.Fatalf("a bad traffic_file stopped the start although the store holds a document: %v", err)
			}
			if got := logs.String(); !strings.Contains(got, "level=WARN msg=\"traffic_file cannot be loaded; serving the document the store holds\" file="+c.file) {
				t.Errorf("no warning naming the file; logged:\n%s", got)
			}
			eventually(t, 10*time.Second, "the stored document served", func() bool { return r.node.handler.Snapshot() != nil })
		})
	}
}
