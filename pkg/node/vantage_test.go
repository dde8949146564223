package node

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// countingTarget is a region's health endpoint that counts the probes
// it gets and answers 200 or, while failing, 503.
type countingTarget struct {
	srv     *httptest.Server
	probes  atomic.Int64
	failing atomic.Bool
}

func startCountingTarget(t *testing.T) *countingTarget {
	t.Helper()
	ct := &countingTarget{}
	ct.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct.probes.Add(1)
		if ct.failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(ct.srv.Close)
	return ct
}

func (ct *countingTarget) addr() string { return strings.TrimPrefix(ct.srv.URL, "http://") }

// probeCount is how many probes of check the node has made, from its
// gtmd_health_checks_total (none once it stopped probing it, since a
// check the scheduler drops takes its series along).
func (n *liveNode) probeCount(t *testing.T, check string) float64 {
	sum := 0.0
	n.eachSeries(t, "gtmd_health_checks_total", func(labels map[string]string, v float64) {
		if labels["check"] == check {
			sum += v
		}
	})
	return sum
}

// probed is the node's gtmd_health_checks_probed, -1 when it has none.
func (n *liveNode) probed(t *testing.T) float64 {
	got := -1.0
	n.eachSeries(t, "gtmd_health_checks_probed", func(_ map[string]string, v float64) { got = v })
	return got
}

// eachSeries calls f with the labels and value of every series of a
// counter or gauge in the node's registry.
func (n *liveNode) eachSeries(t *testing.T, name string, f func(labels map[string]string, v float64)) {
	t.Helper()
	mfs, err := n.gather.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			// The getters of the kind a metric is not give 0.
			f(labels, m.GetCounter().GetValue()+m.GetGauge().GetValue())
		}
	}
}

// usObservers lists the nodes whose results for us-east's check the
// node's /v1/health shows.
func (n *liveNode) usObservers(t *testing.T) []string {
	var health struct {
		Endpoints []struct {
			Endpoint     string `json:"endpoint"`
			Observations []struct {
				Node string `json:"node"`
			} `json:"observations"`
		} `json:"endpoints"`
	}
	api(t, "GET", n.adminBase()+"/v1/health", "", "", &health)
	var out []string
	for _, e := range health.Endpoints {
		if e.Endpoint == "us-east" {
			for _, o := range e.Observations {
				out = append(out, o.Node)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestVantageSharding runs three nodes, two in us and one in eu, on a
// check probed from one node per region, and checks that only the
// chosen nodes probe it while every node answers by their results; that
// a node cut off from etcd probes it itself again, without putting back
// a failing region meanwhile; and that when the chosen us node goes
// dark (its lease expires), the other takes over until it is back.
func TestVantageSharding(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, strings.TrimPrefix(etcd[0], "http://"))
	target := startCountingTarget(t)
	doc := strings.Replace(clusterTraffic(target.addr()), "fall: 2, rise: 2}", "fall: 2, rise: 2, vantage: {per_region: 1}}", 1)
	file := writeTraffic(t, doc)

	regions := map[string]string{"us-a": "us", "us-b": "us", "eu-a": "eu"}
	var fleet []health.VantageNode
	for _, id := range slices.Sorted(maps.Keys(regions)) {
		fleet = append(fleet, health.VantageNode{ID: id, Region: regions[id]})
	}
	chosen := health.Vantages("us", 1, fleet)
	var usChosen, spare string
	for _, id := range []string{"us-a", "us-b"} {
		if slices.Contains(chosen, id) {
			usChosen = id
		} else {
			spare = id
		}
	}
	if len(chosen) != 2 || !slices.Contains(chosen, "eu-a") || usChosen == "" || spare == "" {
		t.Fatalf("one per region of %v chose %v", fleet, chosen)
	}
	in := func(region string) func(*config.Node) {
		return func(c *config.Node) { c.Node.Region = region }
	}
	// The us nodes reach etcd through proxies the test cuts.
	darkProxy := clustertest.StartProxy(t, strings.TrimPrefix(etcd[0], "http://"))
	nodes := map[string]*liveNode{
		"eu-a":   startTestNodeIn(t, "eu-a", etcd, file, t.TempDir(), in("eu")),
		usChosen: startTestNodeIn(t, usChosen, []string{darkProxy.Endpoint()}, "", t.TempDir(), in("us")),
		spare:    startTestNodeIn(t, spare, []string{proxy.Endpoint()}, "", t.TempDir(), in("us")),
	}
	all := func(ids ...string) []*liveNode {
		var out []*liveNode
		for _, id := range ids {
			out = append(out, nodes[id])
		}
		return out
	}
	probing := func(step string, want map[string]float64) {
		t.Helper()
		for id, w := range want {
			testwait.Eventually(t, 10*time.Second, fmt.Sprintf("%s: %s probes %v checks", step, id, w), func() bool { return nodes[id].probed(t) == w })
		}
	}
	answerAll := func(step, ip string, ns []*liveNode) {
		t.Helper()
		for _, n := range ns {
			testwait.Eventually(t, 10*time.Second, step+": "+n.id+" answers "+ip, func() bool { return answersWith(t, n, ip) })
		}
	}
	agree := func(step string, ns []*liveNode) {
		t.Helper()
		for _, n := range ns {
			testwait.Eventually(t, 10*time.Second, step+": "+n.id+" follows the rule", func() bool {
				ok, _ := n.ruleHolds()
				return ok
			})
		}
	}
	flip := func(step string, ns []*liveNode) {
		t.Helper()
		target.failing.Store(true)
		answerAll(step+", target failing", "192.0.2.2", ns)
		agree(step+", target failing", ns)
		target.failing.Store(false)
		answerAll(step+", target back", "192.0.2.1", ns)
		agree(step+", target back", ns)
	}

	// One node per region probes; every node answers by their results.
	everyone := all("eu-a", usChosen, spare)
	answerAll("start", "192.0.2.1", everyone)
	probing("sharded", map[string]float64{"eu-a": 1, usChosen: 1, spare: 0})
	testwait.Eventually(t, 10*time.Second, "only the chosen nodes' results are shown", func() bool {
		return slices.Equal(nodes[spare].usObservers(t), chosen)
	})
	before := map[string]float64{}
	for id, n := range nodes {
		before[id] = n.probeCount(t, "us")
	}
	atTarget := target.probes.Load()
	testwait.Eventually(t, 10*time.Second, "the chosen nodes probe", func() bool {
		return nodes["eu-a"].probeCount(t, "us") >= before["eu-a"]+5 && nodes[usChosen].probeCount(t, "us") >= before[usChosen]+5
	})
	made := 0.0
	for _, id := range chosen {
		made += nodes[id].probeCount(t, "us") - before[id]
	}
	got := float64(target.probes.Load() - atTarget)
	if n := nodes[spare].probeCount(t, "us"); n != 0 {
		t.Errorf("%s, not chosen, made %v probes", spare, n)
	}
	// The target's count may run ahead of the nodes' by a probe each in
	// flight, never further: nobody else probes it.
	if got < made-2 || got > made+2 {
		t.Errorf("the target got %v probes while the chosen nodes made %v", got, made)
	}
	flip("sharded", everyone)

	// Cut off from etcd, the spare has no member view: it probes the
	// check itself and answers by its own results. It is cut off while
	// the region fails, and must not put the region back while its first
	// results come in: it starts from the verdict it served.
	target.failing.Store(true)
	answerAll("target failing before the cut", "192.0.2.2", everyone)
	proxy.Cut()
	testwait.Eventually(t, 10*time.Second, "the cut-off spare probes on its own", func() bool {
		// A query lost to a busy machine says nothing; an answer with
		// the failing region does.
		if got, resp := answer(t, nodes[spare].dnsAddr(), "www.gtm.test."); resp != nil && !slices.Equal(got, []string{"192.0.2.2"}) {
			t.Fatalf("the cut-off spare put the failing region back while taking over its check: answered %v (rcode %s)", got, dns.RcodeToString[resp.Rcode])
		}
		return nodes[spare].probed(t) == 1 && nodes[spare].probeCount(t, "us") >= 3
	})
	target.failing.Store(false)
	answerAll("target back while the spare is cut off", "192.0.2.1", everyone)
	flip("spare cut off", everyone)
	// It comes back while the region fails: going back to its share, it
	// must not count the check unknown (its own result withdrawn, the
	// others' not counted yet), which would put the region back.
	target.failing.Store(true)
	answerAll("target failing before the spare is back", "192.0.2.2", everyone)
	proxy.Restore()
	stillOut := func() {
		if !answersWith(t, nodes[spare], "192.0.2.2") {
			t.Fatal("the spare, back from its outage, put the failing region back")
		}
	}
	testwait.Eventually(t, 15*time.Second, "the spare back to its share", func() bool {
		stillOut()
		return nodes[spare].probed(t) == 0
	})
	for range 50 {
		stillOut()
	}
	probing("spare back", map[string]float64{spare: 0, usChosen: 1, "eu-a": 1})
	agree("spare back", everyone)
	target.failing.Store(false)
	answerAll("spare back, target back", "192.0.2.1", everyone)

	// The chosen us node goes dark: once its lease expires the spare
	// takes over, and statuses still reach every node, the dark one by
	// its own probes.
	darkProxy.Cut()
	probing("chosen us node dark", map[string]float64{spare: 1, "eu-a": 1, usChosen: 1})
	testwait.Eventually(t, 10*time.Second, "the spare's results are shown", func() bool {
		return slices.Equal(nodes["eu-a"].usObservers(t), []string{"eu-a", spare})
	})
	flip("chosen us node dark", everyone)

	// Back, it takes its share again and the spare stands down.
	darkProxy.Restore()
	probing("chosen us node back", map[string]float64{spare: 0, "eu-a": 1, usChosen: 1})
	testwait.Eventually(t, 10*time.Second, "the chosen nodes' results are shown again", func() bool {
		return slices.Equal(nodes["eu-a"].usObservers(t), chosen)
	})
	flip("chosen us node back", everyone)
}

// TestMemberView: a node chooses vantage points only from a view it can
// trust; without one it probes everything.
func TestMemberView(t *testing.T) {
	members := map[string]cluster.Member{"us-a": {ID: "us-a", Region: "us"}, "eu-a": {ID: "eu-a", Region: "eu"}}
	reachable := health.Trust{}.Connected(true, 1)
	// Back at revision 5 from an outage: a member counts once it has
	// written past 5.
	returned := reachable.Connected(false, 0).Connected(true, 5)
	tests := []struct {
		name  string
		state *cluster.State
		trust health.Trust
		want  []health.VantageNode
	}{
		{"no state yet", nil, reachable, nil},
		{"a state not read from the store (kept from the last run)", &cluster.State{Members: members}, reachable, nil},
		{"store unreachable", &cluster.State{Revision: 9, Members: members}, reachable.Connected(false, 0), nil},
		{"own entry gone: lease lost", &cluster.State{Revision: 9, Members: map[string]cluster.Member{"eu-a": members["eu-a"]}}, reachable, nil},
		{"back from an outage, a member not heard from since", &cluster.State{Revision: 9, Members: members, Written: map[string]int64{"eu-a": 4, "us-a": 8}}, returned, nil},
		{"back from an outage, every member heard from since", &cluster.State{Revision: 9, Members: members, Written: map[string]int64{"eu-a": 6, "us-a": 3}}, returned, []health.VantageNode{{ID: "eu-a", Region: "eu"}, {ID: "us-a", Region: "us"}}},
		{"a view", &cluster.State{Revision: 9, Members: members, Written: map[string]int64{"eu-a": 2}}, reachable, []health.VantageNode{{ID: "eu-a", Region: "eu"}, {ID: "us-a", Region: "us"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Node{id: "us-a"}
			n.state, n.trust = tt.state, tt.trust
			got, key := n.memberViewLocked()
			if !slices.Equal(got, tt.want) {
				t.Errorf("view %v, want %v", got, tt.want)
			}
			if (key == "") != (tt.want == nil) {
				t.Errorf("key %q for view %v", key, got)
			}
		})
	}
}
