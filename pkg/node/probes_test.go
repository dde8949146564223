package node

import (
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
			n := startTestNodeIn(t, "probes", etcd, writeTraffic(t, clusterTraffic("127.0.0.1:1")), t.TempDir(), func(c *config.Node) {
				c.Store.Prefix, c.Health.MaxConcurrentProbes = tc.prefix, tc.ceiling
			})
			got := -1.0
			n.eachSeries(t, "gtmd_health_probe_slots", func(_ map[string]string, v float64) { got = v })
			if got != tc.want {
				t.Errorf("gtmd_health_probe_slots = %v, want %v", got, tc.want)
			}
		})
	}
}
