package node

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestFailoverPropagationPercentile: the p99 is the nearest rank over the
// latest failoverRing samples, the oldest dropped first.
func TestFailoverPropagationPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name    string
		samples []time.Duration
		want    admin.Propagation
	}{
		{"none", nil, admin.Propagation{}},
		{"one", []time.Duration{ms(40)}, admin.Propagation{P99: ms(40), Samples: 1}},
		{"a hundred: the largest but one", seq(100, 0), admin.Propagation{P99: ms(99), Samples: 100}},
		{"two hundred: the second largest", seq(200, 0), admin.Propagation{P99: ms(198), Samples: 200}},
		// 300 samples 1..300 ms: the ring keeps 45..300, whose p99 (rank
		// 254 of 256) is 298 ms.
		{"past the ring", seq(300, 0), admin.Propagation{P99: ms(298), Samples: failoverRing}},
		// The slow ones are the oldest and fall out of the ring.
		{"slow ones forgotten", append(seq(10, 5000), seq(failoverRing, 0)...), admin.Propagation{P99: ms(254), Samples: failoverRing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := newFailovers(nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.samples {
				f.record("www.example.com.", d+time.Second, d)
			}
			if got := f.propagation(); got != tc.want {
				t.Errorf("propagation %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestFailoverMetricLint: the histogram passes promlint, and a second
// node on the same registry shares it rather than failing.
func TestFailoverMetricLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	f, err := newFailovers(reg)
	if err != nil {
		t.Fatal(err)
	}
	f.record("www.example.com.", 2*time.Second, 300*time.Millisecond)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
	g, err := newFailovers(reg)
	if err != nil {
		t.Fatal(err)
	}
	g.record("www.example.com.", time.Second, 0)
	if n := testutil.CollectAndCount(reg, "gtmd_failover_seconds"); n != 1 {
		t.Errorf("%d series, want the one both nodes observe into", n)
	}
}

// TestFailoverSeriesOfRemovedServices: a service the document no longer
// has loses its series; the others keep theirs.
func TestFailoverSeriesOfRemovedServices(t *testing.T) {
	reg := prometheus.NewRegistry()
	f, err := newFailovers(reg)
	if err != nil {
		t.Fatal(err)
	}
	f.record("kept.example.com.", 2*time.Second, 0)
	f.record("removed.example.com.", 2*time.Second, 0)
	f.retain(func(s string) bool { return s == "kept.example.com." })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			left = append(left, m.GetLabel()[0].GetValue())
		}
	}
	if !slices.Equal(left, []string{"kept.example.com."}) {
		t.Errorf("series left %v, want kept.example.com.'s only", left)
	}
	// A service recorded again after removal gets a series again.
	f.record("removed.example.com.", time.Second, 0)
	if n := testutil.CollectAndCount(reg, "gtmd_failover_seconds"); n != 2 {
		t.Errorf("%d series, want 2", n)
	}
}

// seq is n samples of 1..n ms, each plus base ms.
func seq(n, base int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(base+i+1) * time.Millisecond
	}
	return out
}

// TestFailoverMeasured: a region that goes dark under two real nodes is a
// sample of gtmd_failover_seconds on each, and the failover bound they
// publish turns from assumed to measured; a drain is no failover of the
// checks and adds no sample.
func TestFailoverMeasured(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	nodes := []*liveNode{startTestNode(t, "n1", etcd, file), startTestNode(t, "n2", etcd, "")}
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" answers us-east", func() bool { return answersWith(t, n, "192.0.2.1") })
	}
	var fb admin.FailoverBound
	if code := api(t, "GET", nodes[0].adminBase()+"/v1/services/www.gtm.test/failover", "", "", &fb); code != 200 {
		t.Fatalf("failover bound: %d", code)
	}
	if fb.Samples != 0 || fb.PropagationP99 != nil || len(fb.Endpoints) != 2 || fb.Endpoints[0].PropagationMeasured {
		t.Fatalf("before any failover: %+v", fb)
	}
	// fall 2 × interval 200ms + timeout 150ms, 1 s assumed, TTL 5 s.
	if e := fb.Endpoints[0]; e.ID != "us-east" || *e.DetectionSeconds != 0.55 || *e.WorstCaseSeconds != 0.55+1+5 {
		t.Errorf("us-east: %+v", e)
	}

	target.Down()
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" drops us-east", func() bool { return answersWith(t, n, "192.0.2.2") })
	}
	for _, n := range nodes {
		count, sum := histogramOf(t, n.Node, "www.gtm.test.")
		if count != 1 {
			t.Fatalf("%s: %d failovers recorded, want 1", n.id, count)
		}
		if code := api(t, "GET", n.adminBase()+"/v1/services/www.gtm.test./failover", "", "", &fb); code != 200 {
			t.Fatalf("%s failover bound: %d", n.id, code)
		}
		e := fb.Endpoints[0]
		t.Logf("%s: failover measured at %.3fs, propagation %.3fs (detection bound 0.55s)", n.id, sum, e.PropagationP99)
		if fb.Samples != 1 || fb.PropagationP99 == nil || !e.PropagationMeasured || e.PropagationP99 != *fb.PropagationP99 ||
			fmt.Sprintf("%.6f", *e.WorstCaseSeconds) != fmt.Sprintf("%.6f", 0.55+e.PropagationP99+5) {
			t.Errorf("%s after a failover: %+v %+v", n.id, fb, e)
		}
		if *fb.PropagationP99 > sum {
			t.Errorf("%s: propagation %.3fs is more than the whole failover, %.3fs", n.id, *fb.PropagationP99, sum)
		}
	}

	upTarget(t, target)
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" takes us-east back", func() bool { return answersWith(t, n, "192.0.2.1") })
	}
	if code := api(t, "PUT", nodes[0].adminBase()+"/v1/overrides/www.gtm.test/us-east", "application/json", `{"state":"down"}`, nil); code != 200 {
		t.Fatalf("drain: %d", code)
	}
	for _, n := range nodes {
		testwait.Eventually(t, 5*time.Second, n.id+" drained", func() bool { return answersWith(t, n, "192.0.2.2") })
		if count, _ := histogramOf(t, n.Node, "www.gtm.test."); count != 1 {
			t.Errorf("%s: %d failovers after a drain, want still 1", n.id, count)
		}
	}
}

// TestEpisodeStart: a failure starts with the earliest down near the one
// that tipped the quorum; a node outvoted for long started none of it.
func TestEpisodeStart(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	window := 1200 * time.Millisecond // interval 1s + timeout 200ms
	tests := []struct {
		name   string
		downs  []time.Time
		up     int
		quorum float64
		first  time.Time
		tipped time.Time
		ok     bool
	}{
		{"none down", nil, 3, 0.5, time.Time{}, time.Time{}, false},
		{"one node alone", []time.Time{at(500)}, 0, 0.5, at(500), at(500), true},
		// Three nodes, quorum 0.5: the second down tips it.
		{"three at once", []time.Time{at(900), at(100), at(400)}, 0, 0.5, at(100), at(400), true},
		{"one outvoted for an hour, then two more", []time.Time{at(-3_600_000), at(300), at(800)}, 0, 0.5, at(300), at(300), true},
		{"outvoted one and the tipping one", []time.Time{at(-3_600_000), at(300)}, 1, 0.5, at(300), at(300), true},
		{"tipped by the second, third later", []time.Time{at(0), at(600), at(5000)}, 0, 0.5, at(0), at(600), true},
		{"quorum 1: the first down tips", []time.Time{at(-3_600_000), at(300)}, 2, 1, at(-3_600_000), at(-3_600_000), true},
		{"not down by the quorum: the latest", []time.Time{at(0), at(5000)}, 2, 0.5, at(5000), at(5000), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first, tipped, ok := episodeStart(tc.downs, tc.up, tc.quorum, window)
			if ok != tc.ok || !first.Equal(tc.first) || !tipped.Equal(tc.tipped) {
				t.Errorf("episodeStart = %v, %v, %v; want %v, %v, %v", first.Sub(t0), tipped.Sub(t0), ok, tc.first.Sub(t0), tc.tipped.Sub(t0), tc.ok)
			}
		})
	}
}

// BenchmarkEndpointDown is what measuring one failover adds to the run
// loop when an endpoint drops, at 10,000 checks and 20 nodes that all
// see its check down: a mass failover pays it once per endpoint.
func BenchmarkEndpointDown(b *testing.B) {
	const checks, nodes = 10000, 20
	var src strings.Builder
	src.WriteString("zones:\n  - name: example.\n    soa: {mname: ns.example., rname: h.example.}\n    ns: [ns.example.]\n    records:\n      - {name: ns, type: A, data: [192.0.2.53]}\nservices:\n")
	for i := range checks / 2 {
		fmt.Fprintf(&src, "  - name: s%d.example.\n    policy: failover\n    endpoints:\n      - {id: a, priority: 1, a: [192.0.2.1], check: c%da}\n      - {id: b, priority: 2, a: [192.0.2.2], check: c%db}\n", i, i, i)
	}
	src.WriteString("checks:\n")
	for i := range checks / 2 {
		fmt.Fprintf(&src, "  - {name: c%da, type: tcp, address: \"192.0.2.1:80\", interval: 1s}\n  - {name: c%db, type: tcp, address: \"192.0.2.2:80\", interval: 1s}\n", i, i)
	}
	doc, err := config.ParseTraffic("bench.yaml", []byte(src.String()), "")
	if err != nil {
		b.Fatal(err)
	}
	c := config.DefaultNode()
	c.Node.ID, c.DNS.Listen, c.Admin.Listen = "self", nil, ""
	n, err := New(Options{Config: &c})
	if err != nil {
		b.Fatal(err)
	}
	n.sched = health.NewScheduler(health.Options{})
	b.Cleanup(n.sched.Close)
	since := time.Now().Add(-time.Second)
	st := &cluster.State{Members: map[string]cluster.Member{}, Observations: map[string]map[string]health.Observation{}, Written: map[string]int64{}}
	for i := range nodes {
		id := fmt.Sprintf("node%02d", i)
		obs := make(map[string]health.Observation, checks)
		for _, ch := range doc.Checks {
			obs[ch.Name] = health.Observation{Status: health.Down, Since: since.Add(time.Duration(i) * time.Millisecond)}
		}
		st.Members[id], st.Observations[id], st.Written[id] = cluster.Member{ID: id}, obs, 2
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.serveLocked(doc, nil, 1, nil, nil)
	n.state, n.trust = st, health.Trust{}.Connected(true, 1)
	n.rebuildLocked()
	k := health.EndpointKey{Service: "s7.example.", Endpoint: "a"}
	b.ReportAllocs()
	for b.Loop() {
		n.endpointDownLocked(k, "c7a")
	}
	if p := n.failover.propagation(); p.Samples == 0 {
		b.Fatal("no failover measured")
	}
}
