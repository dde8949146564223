package node

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

// ruleHolds reports whether the node's health, kept current change by
// change, is what the one health rule gives from everything it knows, and
// whether what it published agrees; else it says how it differs.
func (n *Node) ruleHolds() (bool, string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.eval == nil {
		return false, "nothing evaluated yet"
	}
	in := health.Inputs{Traffic: n.traffic, Observations: n.countedLocked(), Vantages: n.vantages, Now: n.now()}
	if st := n.state; st != nil {
		in.Overrides, in.External = st.Overrides, st.External
	}
	want := health.Evaluate(in)
	if got := n.eval.Evaluation(); !reflect.DeepEqual(got, want) {
		return false, fmt.Sprintf("evaluator %+v, rule %+v", got, want)
	}
	for k, v := range want.Endpoints {
		if es := n.endpoints[k]; es.healthy != v.Healthy || es.reason != v.Reason {
			return false, fmt.Sprintf("%v published %+v, rule %+v", k, es, v)
		}
	}
	return true, ""
}

// TestIncrementalHealthFollowsTheRule drives three nodes (one behind a
// proxy that is cut and restored) through failures, a drain and an
// outage, and checks at every step that each node's health, followed
// one change at a time, is what the whole rule gives.
func TestIncrementalHealthFollowsTheRule(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, strings.TrimPrefix(etcd[0], "http://"))
	target := startTarget(t)
	doc := clusterTraffic(target.Addr()) + `  - {name: always, type: calculated, children: [us], min_healthy: 1}
`
	doc = strings.Replace(doc, "{id: eu-west, priority: 2, a: [192.0.2.2]}", "{id: eu-west, priority: 2, a: [192.0.2.2]}\n      - {id: ap, priority: 3, a: [192.0.2.3], check: always}", 1)
	file := writeTraffic(t, doc)
	nodes := []*liveNode{startTestNode(t, "n1", etcd, file), startTestNode(t, "n2", etcd, ""), startTestNode(t, "n3", []string{proxy.Endpoint()}, "")}
	holds := func(step string) {
		t.Helper()
		for _, n := range nodes {
			var why string
			testwait.Eventually(t, 10*time.Second, step+": "+n.id+" follows the rule ("+fmt.Sprint(&why)+")", func() bool {
				ok, w := n.ruleHolds()
				why = w
				return ok
			})
		}
	}
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" answers us-east", func() bool { return answersWith(t, n, "192.0.2.1") })
	}
	holds("started")

	target.Down()
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" drops us-east", func() bool { return answersWith(t, n, "192.0.2.2") })
	}
	holds("region down")

	upTarget(t, target)
	if code := api(t, "PUT", nodes[0].adminBase()+"/v1/overrides/www.gtm.test/us-east", "application/json", `{"state":"down","reason":"maintenance"}`, nil); code != 200 && code != 204 {
		t.Fatalf("drain: %d", code)
	}
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" drained", func() bool { return answersWith(t, n, "192.0.2.2") })
	}
	holds("region up, drained")

	proxy.Cut()
	testwait.Eventually(t, 10*time.Second, "n3 degraded", func() bool {
		resp, err := http.Get(nodes[2].adminBase() + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.HasPrefix(string(b), "degraded: ")
	})
	if code := api(t, "DELETE", nodes[0].adminBase()+"/v1/overrides/www.gtm.test./us-east", "", "", nil); code != 200 && code != 204 {
		t.Fatalf("undrain: %d", code)
	}
	testwait.Eventually(t, 10*time.Second, "n1 undrained", func() bool { return answersWith(t, nodes[0], "192.0.2.1") })
	holds("n3 cut off, undrained")

	proxy.Restore()
	testwait.Eventually(t, 15*time.Second, "n3 undrained once back", func() bool { return answersWith(t, nodes[2], "192.0.2.1") })
	holds("n3 back")
}
