package node

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestRemovedCheckNotPublished: a status change of a check that the served
// document no longer has (queued by the scheduler before the new document
// reached it) is not written to the store after the node forgot the
// check; it would stay there under the node's lease and count again if a
// later document brought the check back.
func TestRemovedCheckNotPublished(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	nd := newIdleNode(t, slog.New(slog.DiscardHandler))
	store := openStore(t, nd, etcd)

	// The scheduler still runs "old"; the served document has only "kept".
	// Both probe a closed port, so both go down.
	down := func(name string) config.Check {
		return config.Check{Name: name, Type: config.CheckTCP, Address: "127.0.0.1:1", Interval: config.Duration(50 * time.Millisecond), Timeout: config.Duration(50 * time.Millisecond), Rise: 1, Fall: 1}
	}
	nd.sched.Apply([]config.Check{down("old"), down("kept")})
	testwait.Eventually(t, 10*time.Second, "both checks down", func() bool {
		return nd.sched.Status("old") == health.Down && nd.sched.Status("kept") == health.Down
	})
	nd.mu.Lock()
	nd.serveLocked(&config.Traffic{Checks: []config.Check{down("kept")}}, nil, 0, nil, nil)
	nd.mu.Unlock()

	nd.checkChanged(health.Change{Check: "old", To: health.Down})
	nd.checkChanged(health.Change{Check: "kept", To: health.Down})
	nd.publishChecks()

	// What the store holds, as its watch delivers it.
	var stored map[string]health.Observation
	testwait.Eventually(t, 10*time.Second, "kept's observation stored", func() bool {
		stored = store.State().Observations["n1"]
		return len(stored) > 0
	})
	for check := range stored {
		if check != "kept" {
			t.Errorf("stored %s for a check the document no longer has", check)
		}
	}
}

// TestBootstrapSaysWhyNotApplied: a traffic_file the store refuses (here
// one larger than etcd takes in a request) is logged with the file and
// the error, not retried in silence.
func TestBootstrapSaysWhyNotApplied(t *testing.T) {
	var logs testlog.Buffer
	nd := newIdleNode(t, slog.New(slog.NewTextHandler(&logs, nil)))
	openStore(t, nd, clustertest.StartEtcd(t))
	// About 2.6 MB of TXT strings: valid, but more than an etcd request
	// may carry. Random letters: the store compresses a zone's records,
	// and 2.6 MB of one letter would fit in a few kilobytes.
	var big strings.Builder
	big.WriteString("      - {name: big, type: TXT, data: [")
	rnd := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	text := make([]byte, 250)
	for i := range 10000 {
		if i > 0 {
			big.WriteString(", ")
		}
		for j := range text {
			text[j] = letters[rnd.IntN(len(letters))]
		}
		big.WriteString(`'"` + string(text) + `"'`)
	}
	big.WriteString("]}\n")
	ns1 := "      - {name: ns1, type: A, data: [\"192.0.2.53\"]}\n"
	src := strings.Replace(clusterTraffic("127.0.0.1:1"), ns1, ns1+big.String(), 1)
	file := writeTraffic(t, src)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	doc, err := config.LoadTraffic(file)
	if err != nil {
		t.Fatal(err)
	}
	go nd.bootstrapTraffic(ctx, file, doc)
	testwait.Eventually(t, 10*time.Second, "the failure logged", func() bool {
		got := logs.String()
		return strings.Contains(got, "traffic_file not applied") && strings.Contains(got, file) && strings.Contains(got, "storing the traffic document")
	})
}

// newIdleNode makes a node "n1" that binds nothing and is not started,
// with its health scheduler: a test drives its parts by hand.
func newIdleNode(t *testing.T, log *slog.Logger) *Node {
	t.Helper()
	c := config.DefaultNode()
	c.Node.ID = "n1"
	c.DNS.Listen, c.Admin.Listen, c.DataDir = nil, "", t.TempDir()
	n, err := New(Options{Config: &c, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	// Start would make it; Shutdown closes it.
	n.sched = health.NewScheduler(health.Options{Logger: log, OnChange: n.checkChanged})
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return n
}

// openStore gives n a store on etcd, as Start would.
func openStore(t *testing.T, n *Node, etcd []string) *cluster.Store {
	t.Helper()
	store, err := cluster.Open(cluster.Options{Endpoints: etcd, Prefix: "/gtmd-test/", Self: cluster.Member{ID: n.id}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	n.store = store
	return store
}
