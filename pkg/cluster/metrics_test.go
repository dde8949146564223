package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	c := clustertest.StartCluster(t, 1)
	reg := prometheus.NewRegistry()
	a := openNode(t, c.Endpoints(), "a", func(o *Options) { o.Registerer = reg })
	b := openNode(t, c.Endpoints(), "b")
	ctx := ctxT(t)

	want := func(connected, revision, members int) string {
		return fmt.Sprintf(`
# HELP gtmd_cluster_config_revision The traffic document revision this node serves.
# TYPE gtmd_cluster_config_revision gauge
gtmd_cluster_config_revision %d
# HELP gtmd_cluster_members Live nodes in the cluster, as this node sees them.
# TYPE gtmd_cluster_members gauge
gtmd_cluster_members %d
# HELP gtmd_cluster_store_connected 1 when the cluster store (etcd) answers, 0 when it does not.
# TYPE gtmd_cluster_store_connected gauge
gtmd_cluster_store_connected %d
`, revision, members, connected)
	}
	names := []string{"gtmd_cluster_store_connected", "gtmd_cluster_config_revision", "gtmd_cluster_members"}
	expect := func(what string, connected, revision, members int) {
		t.Helper()
		eventuallyNil(t, 5*time.Second, what, func() error {
			return testutil.GatherAndCompare(reg, strings.NewReader(want(connected, revision, members)), names...)
		})
	}

	a.states.wait(t, 5*time.Second, "a sees both nodes", func(s *State) bool { return hasMember("a")(s) && hasMember("b")(s) })
	expect("connected, two members, serving nothing", 1, 0, 2)

	rev, err := b.ApplyTraffic(ctx, loadTraffic(t), NoDocument)
	if err != nil {
		t.Fatal(err)
	}
	a.SetServing(rev)
	expect("serving the document", 1, int(rev), 2)

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	expect("one member after b closes", 1, int(rev), 1)

	c.Stop(0)
	expect("etcd stopped", 0, int(rev), 1)
	c.Restart(0)
	expect("etcd back", 1, int(rev), 1)

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}

	// A second store on the same registry (a node that reopens its store)
	// shares the gauges rather than failing.
	again := openNode(t, c.Endpoints(), "a2", func(o *Options) { o.Registerer = reg })
	again.Close()
}
