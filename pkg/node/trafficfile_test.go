package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// startWithTrafficFile starts a node on etcd with traffic_file set,
// logging into logs; the node is stopped at the end of the test.
func startWithTrafficFile(t *testing.T, etcd []string, file string, logs *testlog.Buffer) (*Node, error) {
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

// TestTrafficFileAtStart: a traffic_file that cannot be applied (missing,
// invalid, or over the document ceiling) stops the start when the store
// is empty (the node would answer REFUSED to everything), and is only a
// warning when the store holds a document.
func TestTrafficFileAtStart(t *testing.T) {
	good := writeTraffic(t, clusterTraffic("127.0.0.1:1"))
	dir := filepath.Dir(good)
	invalid := writeTraffic(t, "zones: [{name: broken")
	missing := filepath.Join(dir, "trafic.yaml")
	_, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, over.Source, 0o600); err != nil {
		t.Fatal(err)
	}

	empty := clustertest.StartEtcd(t)
	for _, c := range []struct {
		name, file, want string
	}{
		{"misspelled", missing, "traffic_file " + missing + " cannot be applied and the store holds no traffic document to serve instead: reading traffic document: open " + missing + ": no such file or directory"},
		{"invalid", invalid, "traffic_file " + invalid + " cannot be applied and the store holds no traffic document to serve instead: " + invalid + ":2: invalid YAML"},
		// The store would refuse it at every try: the node would wait
		// forever, answering REFUSED.
		{"over the document ceiling", big, fmt.Sprintf("traffic_file %s cannot be applied and the store holds no traffic document to serve instead: the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of 1500000 bytes: the cluster store (etcd) refuses a write over 1.5 MiB", big, len(over.Stored))},
	} {
		t.Run("empty store, "+c.name, func(t *testing.T) {
			var logs testlog.Buffer
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
		var logs testlog.Buffer
		r, err := startWithTrafficFile(t, full, good, &logs)
		if err != nil {
			t.Fatal(err)
		}
		testwait.Eventually(t, 10*time.Second, "the file applied", func() bool { st := r.store.State(); return st != nil && st.Traffic != nil })
	})
	for _, c := range []struct{ name, file string }{{"misspelled", missing}, {"invalid", invalid}, {"over the document ceiling", big}} {
		t.Run("store with a document, "+c.name, func(t *testing.T) {
			var logs testlog.Buffer
			r, err := startWithTrafficFile(t, full, c.file, &logs)
			if err != nil {
				t.Fatalf("a bad traffic_file stopped the start although the store holds a document: %v", err)
			}
			if got := logs.String(); !strings.Contains(got, "level=WARN msg=\"traffic_file cannot be applied; serving the document the store holds\" file="+c.file) {
				t.Errorf("no warning naming the file; logged:\n%s", got)
			}
			testwait.Eventually(t, 10*time.Second, "the stored document served", func() bool { return r.handler.Snapshot() != nil })
		})
	}
}

// TestEditedTrafficFile: a node restarted with a traffic_file that is not
// the store's document serves the store's, and says so in its log and in
// /readyz, with the command that serves the file, until another document
// is served; the same file says nothing.
func TestEditedTrafficFile(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	first := writeTraffic(t, clusterTraffic("127.0.0.1:1"))
	var logs testlog.Buffer
	r, err := startWithTrafficFile(t, etcd, first, &logs)
	if err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, 10*time.Second, "the file applied", func() bool { return r.handler.Snapshot() != nil })
	if _, degraded := r.Ready(); strings.Contains(degraded, "traffic_file") {
		t.Errorf("the file that filled the store is reported: %q", degraded)
	}
	r.stop()

	edited := writeTraffic(t, strings.Replace(clusterTraffic("127.0.0.1:1"), "ttl: 5", "ttl: 7", 1))
	for _, c := range []struct {
		name, file string
		note       bool
	}{{"the same file", first, false}, {"an edited file", edited, true}} {
		t.Run(c.name, func(t *testing.T) {
			var logs testlog.Buffer
			r, err := startWithTrafficFile(t, etcd, c.file, &logs)
			if err != nil {
				t.Fatal(err)
			}
			testwait.Eventually(t, 10*time.Second, "the stored document served", func() bool { return r.handler.Snapshot() != nil })
			want := "run `gtmd apply -f " + c.file + "` to serve the file"
			if c.note {
				testwait.Eventually(t, 10*time.Second, "/readyz names the file", func() bool {
					_, degraded := r.Ready()
					return strings.Contains(degraded, want)
				})
				if !strings.Contains(logs.String(), "traffic_file differs from the stored document") {
					t.Errorf("no warning in the log:\n%s", logs.String())
				}
				return
			}
			time.Sleep(300 * time.Millisecond) // give a wrong note the chance to appear
			if _, degraded := r.Ready(); strings.Contains(degraded, "traffic_file") {
				t.Errorf("the same file is reported: %q", degraded)
			}
		})
	}
}
