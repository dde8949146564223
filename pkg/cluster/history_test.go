package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// TestHistoryNotCompacted runs a store against an etcd that keeps all
// its history: past the limit it says so in Degraded, with the flag to
// run etcd with, and once in the log; compacted, the reason clears. Below
// the limit nothing is said.
func TestHistoryNotCompacted(t *testing.T) {
	t.Parallel()
	const limit = 50
	eps := clustertest.StartEtcd(t)
	cli := clustertest.Client(t, eps)
	reg := prometheus.NewRegistry()
	n := openNode(t, eps, "history", func(o *Options) {
		o.HistoryLimit, o.HistoryInterval, o.Registerer = limit, 50*time.Millisecond, reg
	})
	gauge := func(want string) error {
		return testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP gtmd_cluster_store_history_uncompacted 1 while etcd keeps more history than gtmd's limit (100,000 revisions by default): run it with --auto-compaction-retention, or it runs out of space.
# TYPE gtmd_cluster_store_history_uncompacted gauge
gtmd_cluster_store_history_uncompacted `+want+"\n"), "gtmd_cluster_store_history_uncompacted")
	}
	n.logs.wait(t, 5*time.Second, "cluster store reachable")
	n.states.wait(t, 5*time.Second, "the node registered", hasMember("history"))
	if rev := currentRevision(t, cli); rev > limit {
		t.Fatalf("etcd starts at revision %d, past the limit of %d", rev, limit)
	}
	if d := n.Degraded(); d != "" {
		t.Errorf("below the limit, degraded %q", d)
	}

	for i := 0; i < 2*limit; i++ {
		if _, err := cli.Put(ctxT(t), testPrefix+"filler", "x"); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, func() bool { return strings.Contains(n.Degraded(), "keeps more than 50 revisions of history") }, "degraded by history: %q", lazy(n.Degraded))
	if d := n.Degraded(); !strings.Contains(d, "--auto-compaction-retention") || !strings.Contains(d, eps[0]) {
		t.Errorf("degraded %q, want the etcd and the flag to run it with", d)
	}
	n.logs.wait(t, time.Second, "history is not compacted")
	if err := gauge("1"); err != nil {
		t.Error(err)
	}

	clustertest.Compact(t, eps)
	eventually(t, 5*time.Second, func() bool { return n.Degraded() == "" }, "the history reason cleared: %q", lazy(n.Degraded))
	n.logs.wait(t, time.Second, "history is compacted again")
	if err := gauge("0"); err != nil {
		t.Error(err)
	}
	if got := countLogs(n.logs, "history is not compacted"); got != 1 {
		t.Errorf("the history warning was logged %d times, want once", got)
	}
}
