package node

import (
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestObservationDetailFreshest: a node's latency, error and time in
// /v1/health come from the freshest source: the counted result itself
// (this node's scheduler, or an old node that stores its detail with each
// result), or else the node's published detail.
func TestObservationDetailFreshest(t *testing.T) {
	since := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	older, newer := since.Add(10*time.Second), since.Add(20*time.Second)
	cases := []struct {
		name    string
		counted health.Observation
		detail  *cluster.Detail
		want    admin.Observation
	}{
		{"status only, detail published",
			health.Observation{Status: health.Down, Since: since},
			&cluster.Detail{Latency: 2 * time.Millisecond, Error: "connection refused", At: newer},
			admin.Observation{Status: "down", Since: since, Latency: "2ms", Error: "connection refused", At: newer}},
		{"status only, no detail yet",
			health.Observation{Status: health.Up, Since: since},
			nil,
			admin.Observation{Status: "up", Healthy: true, Since: since}},
		{"own result fresher than a detail",
			health.Observation{Status: health.Up, Since: since, Latency: time.Millisecond, At: newer},
			&cluster.Detail{Latency: 9 * time.Millisecond, Error: "old", At: older},
			admin.Observation{Status: "up", Healthy: true, Since: since, Latency: "1ms", At: newer}},
		{"old node's result older than its detail",
			health.Observation{Status: health.Down, Latency: time.Millisecond, Error: "timeout", At: older},
			&cluster.Detail{Latency: 3 * time.Millisecond, Error: "refused", At: newer},
			admin.Observation{Status: "down", Latency: "3ms", Error: "refused", At: newer}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			counted := map[string]map[string]health.Observation{"n2": {"web": c.counted}}
			details := map[string]map[string]cluster.Detail{}
			if c.detail != nil {
				details["n2"] = map[string]cluster.Detail{"web": *c.detail}
			}
			got := observations(counted, details, "web")
			c.want.Node = "n2"
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestHealthShowsPeerDetail: GET /v1/health on one node shows another
// node's latency and probe time once that node has published its detail,
// and its own from its scheduler.
func TestHealthShowsPeerDetail(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	n1, n2 := startTestNode(t, "n1", etcd, file), startTestNode(t, "n2", etcd, "")
	var health struct {
		Endpoints []struct {
			Endpoint     string              `json:"endpoint"`
			Observations []admin.Observation `json:"observations"`
		} `json:"endpoints"`
	}
	byNode := func() map[string]admin.Observation {
		api(t, "GET", n1.adminBase()+"/v1/health", "", "", &health)
		out := map[string]admin.Observation{}
		for _, e := range health.Endpoints {
			if e.Endpoint == "us-east" {
				for _, o := range e.Observations {
					out[o.Node] = o
				}
			}
		}
		return out
	}
	testwait.Eventually(t, 10*time.Second, "both nodes' results counted on n1", func() bool {
		obs := byNode()
		return obs["n1"].Status == "up" && obs["n2"].Status == "up" && !obs["n1"].At.IsZero()
	})
	// What the run loop does every detailRefresh.
	n2.store.SetDetails(n2.probeDetails())
	testwait.Eventually(t, 10*time.Second, "n2's latency on n1", func() bool {
		o := byNode()["n2"]
		return o.Latency != "" && !o.At.IsZero() && !o.Since.IsZero()
	})
	if o := byNode()["n1"]; o.Latency == "" || o.Since.IsZero() {
		t.Errorf("n1's own observation %+v, want its latency and since", o)
	}
}
