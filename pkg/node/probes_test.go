package node

import (
	"context"
	"log/slog"
	"testing"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestProbeCeilingFromNodeFile: health.max_concurrent_probes reaches the
// scheduler: its probe slots never exceed it.
func TestProbeCeilingFromNodeFile(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	for _, tc := range []struct {
		name, prefix string
		ceiling      int
		want         float64
	}{
		{"default ceiling, few checks: the floor", "/gtmd-probes-default/", config.DefaultMaxConcurrentProbes, 16},
		{"a ceiling under the floor", "/gtmd-probes-3/", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.DefaultNode()
			c.Node.ID, c.Node.Region = "probes", "test"
			c.DNS.Listen = []string{"127.0.0.1:0"}
			c.DNS.UDPListeners = 1
			c.Admin.Listen = ""
			c.Store.EtcdEndpoints = etcd
			c.Store.Prefix = tc.prefix
			c.DataDir = t.TempDir()
			c.TrafficFile = writeTraffic(t, clusterTraffic("127.0.0.1:1"))
			c.Health.MaxConcurrentProbes = tc.ceiling
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			n, err := startNode(context.Background(), &c, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer n.stop()
			mfs, err := n.gather.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := -1.0
			for _, mf := range mfs {
				if mf.GetName() == "gtmd_health_probe_slots" {
					got = mf.GetMetric()[0].GetGauge().GetValue()
				}
			}
			if got != tc.want {
				t.Errorf("gtmd_health_probe_slots = %v, want %v", got, tc.want)
			}
		})
	}
}
