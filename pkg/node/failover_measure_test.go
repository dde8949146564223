package node

import (
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// measureTraffic has an endpoint for each way a failover is measured or
// not.
const measureTraffic = `zones:
  - name: example.
    soa: {mname: ns.example., rname: h.example.}
    ns: [ns.example.]
    records:
      - {name: ns, type: A, data: [192.0.2.53]}
services:
  - name: www.example.
    policy: failover
    endpoints:
      - {id: web, priority: 1, a: [192.0.2.1], check: web}
      - {id: calc, priority: 2, a: [192.0.2.2], check: calc}
      - {id: pushed, priority: 3, a: [192.0.2.3], check: pushed}
      - {id: old, priority: 4, a: [192.0.2.4], check: old}
      - {id: bare, priority: 5, a: [192.0.2.5]}
checks:
  - {name: web, type: tcp, address: "192.0.2.1:80", interval: 1s, fall: 3}
  - {name: slow, type: tcp, address: "192.0.2.2:80", interval: 2s, fall: 2}
  - {name: calc, type: calculated, children: [web, slow], min_healthy: 2}
  - {name: pushed, type: external}
  - {name: old, type: tcp, address: "192.0.2.4:80", interval: 1s}
`

// TestEndpointDownMeasures: what a failover is measured from, by the kind
// of check, and what is no failover of the checks.
func TestEndpointDownMeasures(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return t0.Add(-d) }
	down := func(since time.Time) health.Observation { return health.Observation{Status: health.Down, Since: since} }
	// n2 and n3 see web down 2 s and 1.5 s ago (the second tips the 0.5
	// quorum); only n2 sees slow down, 1 s ago, n3 up; both have seen old
	// down for 11 minutes.
	stored := map[string]map[string]health.Observation{
		"n2": {"web": down(ago(2 * time.Second)), "slow": down(ago(time.Second)), "old": down(ago(11 * time.Minute))},
		"n3": {"web": down(ago(1500 * time.Millisecond)), "slow": {Status: health.Up}, "old": down(ago(11 * time.Minute))},
	}
	tests := []struct {
		endpoint, check string
		override        bool
		// startedAgo is how long before t0 the node started (0: never).
		startedAgo time.Duration
		// total and propagation are the sample wanted; none when total
		// is 0.
		total, propagation time.Duration
	}{
		// web: first down 2 s ago less (fall 3 − 1) × 1 s; propagation
		// from the tipping down, 1.5 s ago.
		{endpoint: "web", check: "web", total: 4 * time.Second, propagation: 1500 * time.Millisecond},
		// calc: slow failed last (its first probe 1 s + 1 × 2 s ago,
		// after web's 4 s ago), so slow tipped it.
		{endpoint: "calc", check: "calc", total: 3 * time.Second, propagation: time.Second},
		{endpoint: "web", check: "web", override: true},
		{endpoint: "pushed", check: "pushed"},
		{endpoint: "old", check: "old"},
		// The node started 1 s ago, after web's failure tipped: not
		// measured.
		{endpoint: "web", check: "web", startedAgo: time.Second},
		// Started 3 s ago, before it tipped: measured.
		{endpoint: "web", check: "web", startedAgo: 3 * time.Second, total: 4 * time.Second, propagation: 1500 * time.Millisecond},
		{endpoint: "bare", check: ""},
	}
	for _, tc := range tests {
		name := tc.endpoint
		if tc.override {
			name += " drained"
		}
		if tc.startedAgo > 0 {
			name += " started " + tc.startedAgo.String() + " ago"
		}
		t.Run(name, func(t *testing.T) {
			n := measureNode(t, t0, stored)
			k := health.EndpointKey{Service: "www.example.", Endpoint: tc.endpoint}
			if tc.override {
				n.state.Overrides = map[health.EndpointKey]health.Override{k: {State: health.OverrideDown}}
			}
			if tc.startedAgo > 0 {
				n.watchingSince = ago(tc.startedAgo)
			}
			n.mu.Lock()
			n.endpointDownLocked(k, tc.check)
			n.mu.Unlock()
			count, sum := histogramOf(t, n, "www.example.")
			p := n.failover.propagation()
			if tc.total == 0 {
				if count != 0 || p.Samples != 0 {
					t.Errorf("measured %d failovers (%v s), want none", count, sum)
				}
				return
			}
			if count != 1 || sum != tc.total.Seconds() || p.Samples != 1 || p.P99 != tc.propagation {
				t.Errorf("measured %d failovers of %vs in all, propagation %v; want 1 of %v, propagation %v", count, sum, p.P99, tc.total, tc.propagation)
			}
		})
	}
}

// measureNode is a node, not started, that serves measureTraffic at t0
// and counts the results stored for n2 and n3.
func measureNode(t *testing.T, t0 time.Time, stored map[string]map[string]health.Observation) *Node {
	t.Helper()
	doc, err := config.ParseTraffic("measure.yaml", []byte(measureTraffic), "")
	if err != nil {
		t.Fatal(err)
	}
	c := config.DefaultNode()
	c.Node.ID, c.DNS.Listen, c.Admin.Listen = "n1", nil, ""
	n, err := New(Options{Config: &c})
	if err != nil {
		t.Fatal(err)
	}
	// Start would make it; this node has no result of its own.
	n.sched = health.NewScheduler(health.Options{})
	t.Cleanup(n.sched.Close)
	n.now = func() time.Time { return t0 }
	st := &cluster.State{Members: map[string]cluster.Member{}, Observations: stored, Written: map[string]int64{}}
	for id := range stored {
		st.Members[id], st.Written[id] = cluster.Member{ID: id}, 2
	}
	n.serveLocked(doc, nil, 1, nil, nil)
	n.state, n.trust = st, health.Trust{}.Connected(true, 1)
	n.rebuildLocked()
	return n
}

// histogramOf reads gtmd_failover_seconds for service from n's registry.
func histogramOf(t *testing.T, n *Node, service string) (count uint64, sum float64) {
	t.Helper()
	return histogramSeries(t, n, "gtmd_failover_seconds", "service", service)
}

// histogramSeries reads the series of histogram metric whose label is
// value from n's registry: its count and sum, zero when there is none.
func histogramSeries(t *testing.T, n *Node, metric, label, value string) (count uint64, sum float64) {
	t.Helper()
	mfs, err := n.gather.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
				}
			}
		}
	}
	return 0, 0
}
