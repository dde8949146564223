package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/regiontarget"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// These tests run whole nodes (startNode, as `gtmd serve` does) against a
// real etcd in the test process, and talk to them as clients and operators
// would: DNS over UDP and the admin API over HTTP.

// gtmZone is the zone of the tests' documents, up to the services list.
const gtmZone = `
zones:
  - name: gtm.test.
    ttl: 300
    soa: {mname: ns1.gtm.test., rname: hostmaster.gtm.test.}
    ns: [ns1.gtm.test.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
services:`

// clusterTraffic is a failover service whose primary region is checked
// against an HTTP target the test flips.
func clusterTraffic(target string) string {
	return fmt.Sprintf(gtmZone+`
  - name: www.gtm.test.
    policy: failover
    ttl: 5
    endpoints:
      - {id: us-east, priority: 1, a: [192.0.2.1], check: us}
      - {id: eu-west, priority: 2, a: [192.0.2.2]}
checks:
  - {name: us, type: http, url: "http://%s/", interval: 200ms, timeout: 150ms, fall: 2, rise: 2}
`, target)
}

// startTarget serves a region's health endpoint on a free loopback port,
// to be taken down and up again.
func startTarget(t *testing.T) *regiontarget.Target {
	t.Helper()
	tg, err := regiontarget.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Down)
	return tg
}

// liveNode is a node started as serve starts one.
type liveNode struct {
	*Node
	id string
}

func (n *liveNode) dnsAddr() string   { return n.dns.Addrs()[0] }
func (n *liveNode) adminBase() string { return "http://" + n.adminAddr }

// startTestNode runs a node with its DNS and API on free loopback ports,
// using the etcd at endpoints; trafficFile, when set, is applied if the
// store is empty.
func startTestNode(t *testing.T, id string, endpoints []string, trafficFile string) *liveNode {
	t.Helper()
	return startTestNodeIn(t, id, endpoints, trafficFile, t.TempDir())
}

// startTestNodeIn is startTestNode with the data directory given, and
// the node file changed by edit.
func startTestNodeIn(t *testing.T, id string, endpoints []string, trafficFile, dataDir string, edit ...func(*config.Node)) *liveNode {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", id)
	}
	return startTestNodeLogged(t, id, endpoints, trafficFile, dataDir, log, edit...)
}

// startTestNodeLogged is startTestNodeIn logging to log.
func startTestNodeLogged(t *testing.T, id string, endpoints []string, trafficFile, dataDir string, log *slog.Logger, edit ...func(*config.Node)) *liveNode {
	t.Helper()
	n := config.DefaultNode()
	n.Node.ID, n.Node.Region = id, "test"
	n.DNS.Listen = []string{"127.0.0.1:0"}
	n.DNS.UDPListeners = 1
	n.Admin.Listen = "127.0.0.1:0"
	n.Store.EtcdEndpoints = endpoints
	n.Store.Prefix = "/gtmd-test/"
	n.DataDir = dataDir
	n.TrafficFile = trafficFile
	n.Log.Level = "warn"
	for _, e := range edit {
		e(&n)
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	r, err := startNode(context.Background(), &n, log)
	if err != nil {
		t.Fatalf("starting node %s: %v", id, err)
	}
	t.Cleanup(r.stop)
	return &liveNode{Node: r, id: id}
}

// startServingNode runs node n1 alone on an etcd of its own with
// clusterTraffic, and returns once it answers with the primary region;
// doc is the document it serves, as YAML.
func startServingNode(t *testing.T) (n *liveNode, doc string) {
	t.Helper()
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	doc = clusterTraffic(target.Addr())
	n = startTestNode(t, "n1", etcd, writeTraffic(t, doc))
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return answersWith(t, n, "192.0.2.1") })
	return n, doc
}

// answer asks a node for name A and returns the addresses, "" rcode
// aside.
func answer(t *testing.T, server, name string) ([]string, *dns.Msg) {
	t.Helper()
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	c := &dns.Client{Timeout: time.Second}
	resp, _, err := c.Exchange(q, server)
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out, resp
}

func answersWith(t *testing.T, n *liveNode, ip string) bool {
	got, _ := answer(t, n.dnsAddr(), "www.gtm.test.")
	return slices.Equal(got, []string{ip})
}

func writeTraffic(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "traffic.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func soaSerial(t *testing.T, n *liveNode) uint32 {
	t.Helper()
	q := new(dns.Msg).SetQuestion("gtm.test.", dns.TypeSOA)
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, n.dnsAddr())
	if err != nil || len(resp.Answer) != 1 {
		return 0
	}
	return resp.Answer[0].(*dns.SOA).Serial
}

// api calls the admin API of a node and decodes a JSON answer into out.
func api(t *testing.T, method, url, contentType, body string, out any) int {
	t.Helper()
	return apiWith(t, method, url, contentType, "", body, out)
}

// apiWith is api with an If-Match header, when ifMatch is set.
func apiWith(t *testing.T, method, url, contentType, ifMatch, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

// TestNodesShareTheDocument: three nodes on one etcd serve the document
// one of them stored, with the same SOA serial; a document applied through
// one node's API reaches every node, its serial rises, and a rejected one
// changes nothing.
func TestNodesShareTheDocument(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	nodes := []*liveNode{
		startTestNode(t, "n1", etcd, file),
		startTestNode(t, "n2", etcd, ""),
		startTestNode(t, "n3", etcd, ""),
	}
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" answers", func() bool { return answersWith(t, n, "192.0.2.1") })
	}
	serial := soaSerial(t, nodes[0])
	for _, n := range nodes[1:] {
		if s := soaSerial(t, n); s != serial || s == 0 {
			t.Fatalf("%s serial %d, n1 %d", n.id, s, serial)
		}
	}
	var members struct {
		Members []struct {
			ID       string `json:"id"`
			Revision int64  `json:"revision"`
			Admin    string `json:"admin"`
		} `json:"members"`
	}
	testwait.Eventually(t, 5*time.Second, "three members", func() bool {
		api(t, "GET", nodes[2].adminBase()+"/v1/members", "", "", &members)
		return len(members.Members) == 3
	})
	for _, m := range members.Members {
		if !strings.HasPrefix(m.Admin, "http://127.0.0.1:") {
			t.Errorf("member %s admin URL %q", m.ID, m.Admin)
		}
	}

	// A new document through n2, waiting until every node serves it.
	doc := strings.Replace(clusterTraffic(target.Addr()), "ttl: 5", "ttl: 7", 1)
	var applied struct {
		Revision int64  `json:"revision"`
		Status   string `json:"status"`
		Waited   string `json:"waited"`
		Members  []struct {
			ID       string `json:"id"`
			Revision int64  `json:"revision"`
		} `json:"members"`
	}
	if code := api(t, "PUT", nodes[1].adminBase()+"/v1/config?wait=insync", "application/yaml", doc, &applied); code != 200 || applied.Status != "INSYNC" {
		t.Fatalf("apply: %d %+v", code, applied)
	}
	for _, n := range nodes {
		_, resp := answer(t, n.dnsAddr(), "www.gtm.test.")
		if resp == nil || len(resp.Answer) != 1 || resp.Answer[0].Header().Ttl != 7 {
			t.Errorf("%s after apply: %v", n.id, resp)
		}
		if s := soaSerial(t, n); s != uint32(applied.Revision) || s <= serial {
			t.Errorf("%s serial %d, want %d (> %d)", n.id, s, applied.Revision, serial)
		}
	}

	// A bad document is refused and changes nothing anywhere.
	var fault struct {
		Faults []config.Fault `json:"faults"`
	}
	bad := strings.Replace(doc, "policy: failover", "policy: fastest", 1)
	if code := api(t, "PUT", nodes[0].adminBase()+"/v1/config", "application/yaml", bad, &fault); code != 400 || len(fault.Faults) == 0 {
		t.Fatalf("bad document: %d %+v", code, fault)
	}
	for _, n := range nodes {
		if s := soaSerial(t, n); s != uint32(applied.Revision) {
			t.Errorf("%s serial moved to %d after a refused document", n.id, s)
		}
	}
}

// TestHealthAcrossNodes: the target fails and every node drops the region
// within fall × interval + 1 s; each node's observation is visible in
// /v1/health; a drain through one node's API takes the region out of every
// node's answers within a second, and clearing it brings it back.
func TestHealthAcrossNodes(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	nodes := []*liveNode{startTestNode(t, "n1", etcd, file), startTestNode(t, "n2", etcd, ""), startTestNode(t, "n3", etcd, "")}
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" answers us-east", func() bool { return answersWith(t, n, "192.0.2.1") })
	}

	// Timings are logged, not asserted (the machines are shared); the
	// goals are measured by bench/failover.sh.
	target.Down()
	start := time.Now()
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" drops us-east", func() bool { return answersWith(t, n, "192.0.2.2") })
	}
	t.Logf("every node dropped us-east %v after its target failed (goal fall × interval + 1s = 1.4s)", time.Since(start))
	var health struct {
		Endpoints []struct {
			Endpoint     string `json:"endpoint"`
			Healthy      bool   `json:"healthy"`
			Observations []struct {
				Node   string `json:"node"`
				Status string `json:"status"`
			} `json:"observations"`
		} `json:"endpoints"`
	}
	testwait.Eventually(t, 5*time.Second, "three down observations", func() bool {
		api(t, "GET", nodes[0].adminBase()+"/v1/health", "", "", &health)
		for _, e := range health.Endpoints {
			if e.Endpoint == "us-east" {
				down := 0
				for _, o := range e.Observations {
					if o.Status == "down" {
						down++
					}
				}
				return !e.Healthy && down == 3
			}
		}
		return false
	})

	upTarget(t, target)
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" takes us-east back", func() bool { return answersWith(t, n, "192.0.2.1") })
	}

	// A drain through n3 reaches n1 and n2 within a second.
	if code := api(t, "PUT", nodes[2].adminBase()+"/v1/overrides/www.gtm.test/us-east", "application/json", `{"state":"down","reason":"maintenance"}`, nil); code != 200 && code != 204 {
		t.Fatalf("drain: %d", code)
	}
	start = time.Now()
	for _, n := range nodes {
		testwait.Eventually(t, 5*time.Second, n.id+" drained", func() bool { return answersWith(t, n, "192.0.2.2") })
	}
	t.Logf("the drain reached every node in %v (goal 1s)", time.Since(start))
	if code := api(t, "DELETE", nodes[0].adminBase()+"/v1/overrides/www.gtm.test./us-east", "", "", nil); code != 200 && code != 204 {
		t.Fatalf("undrain: %d", code)
	}
	for _, n := range nodes {
		testwait.Eventually(t, 5*time.Second, n.id+" undrained", func() bool { return answersWith(t, n, "192.0.2.1") })
	}
}

// TestFailStatic: a node cut off from etcd keeps answering, says it is
// degraded, follows its own checks; back in touch it catches up with a
// document applied meanwhile.
func TestFailStatic(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, strings.TrimPrefix(etcd[0], "http://"))
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	connected := startTestNode(t, "n1", etcd, file)
	cut := startTestNode(t, "n2", []string{proxy.Endpoint()}, "")
	for _, n := range []*liveNode{connected, cut} {
		testwait.Eventually(t, 10*time.Second, n.id+" answers", func() bool { return answersWith(t, n, "192.0.2.1") })
	}

	proxy.Cut()
	readyz := func() string {
		resp, err := http.Get(cut.adminBase() + "/readyz")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	testwait.Eventually(t, 10*time.Second, "n2 degraded", func() bool { return strings.HasPrefix(readyz(), "200 degraded: ") })
	if !answersWith(t, cut, "192.0.2.1") {
		t.Fatal("n2 stopped answering when etcd went away")
	}

	// The region fails while n2 is cut off: n2 drops it on its own.
	target.Down()
	testwait.Eventually(t, 5*time.Second, "n2 applies its own check", func() bool { return answersWith(t, cut, "192.0.2.2") })
	upTarget(t, target)
	testwait.Eventually(t, 5*time.Second, "n2 takes the region back", func() bool { return answersWith(t, cut, "192.0.2.1") })

	// A document applied meanwhile through n1 reaches n2 once it is back.
	// (The region's address changes; its health is left alone, since n2's
	// last result, still under a live lease, counts for n1 too.)
	doc := strings.Replace(clusterTraffic(target.Addr()), "192.0.2.1]", "192.0.2.11]", 1)
	if code := api(t, "PUT", connected.adminBase()+"/v1/config", "application/yaml", doc, nil); code != 200 {
		t.Fatalf("apply: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "n1 serves the new document", func() bool { return answersWith(t, connected, "192.0.2.11") })
	if !answersWith(t, cut, "192.0.2.1") {
		t.Fatal("n2 saw a document while cut off")
	}
	proxy.Restore()
	took := testwait.Eventually(t, 15*time.Second, "n2 catches up", func() bool { return answersWith(t, cut, "192.0.2.11") })
	t.Logf("n2 served the document applied during the outage %v after etcd came back", took)
	testwait.Eventually(t, 5*time.Second, "n2 ready again", func() bool { return readyz() == "200 ready\n" })
}

// TestDeadNodeVoteLeaves: two nodes, and the one that says a region is up
// goes dark together with it (cut off from etcd, as a region's node is
// when the region goes dark). Its last vote must leave with its lease, so
// the other node drops the region within the lease TTL (2 s) and a
// second, rather than holding the 1-to-1 tie that keeps it healthy.
func TestDeadNodeVoteLeaves(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, strings.TrimPrefix(etcd[0], "http://"))
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	survivor := startTestNode(t, "eu", etcd, file)
	doomed := startTestNode(t, "us", []string{proxy.Endpoint()}, "")
	for _, n := range []*liveNode{survivor, doomed} {
		testwait.Eventually(t, 10*time.Second, n.id+" answers us-east", func() bool { return answersWith(t, n, "192.0.2.1") })
	}
	var health struct {
		Endpoints []struct {
			Endpoint     string `json:"endpoint"`
			Observations []struct {
				Node   string `json:"node"`
				Status string `json:"status"`
			} `json:"observations"`
		} `json:"endpoints"`
	}
	testwait.Eventually(t, 5*time.Second, "both nodes vote up", func() bool {
		api(t, "GET", survivor.adminBase()+"/v1/health", "", "", &health)
		for _, e := range health.Endpoints {
			if e.Endpoint == "us-east" {
				return len(e.Observations) == 2
			}
		}
		return false
	})

	proxy.Cut()
	target.Down()
	// Well short of the ten seconds a longer lease would hold the tie.
	took := testwait.Eventually(t, 8*time.Second, "the survivor drops us-east", func() bool { return answersWith(t, survivor, "192.0.2.2") })
	t.Logf("the survivor dropped the dark region %v after it went dark (lease TTL 2s)", took)
}

// TestRestartWhileEtcdDown: a node restarted while etcd is unreachable
// answers from the document it kept, says it is degraded, and joins the
// store when it returns.
func TestRestartWhileEtcdDown(t *testing.T) {
	etcd := clustertest.StartCluster(t, 1)
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	dir := t.TempDir()
	first := startTestNodeIn(t, "n1", etcd.Endpoints(), file, dir)
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return answersWith(t, first, "192.0.2.1") })
	serial := soaSerial(t, first)
	first.stop()
	etcd.Stop(0)

	again := startTestNodeIn(t, "n1", etcd.Endpoints(), "", dir)
	if !answersWith(t, again, "192.0.2.1") || soaSerial(t, again) != serial {
		t.Fatalf("restarted without etcd: no answer from the kept document (serial %d, want %d)", soaSerial(t, again), serial)
	}
	readyz := func() string {
		resp, err := http.Get(again.adminBase() + "/readyz")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	if got := readyz(); !strings.HasPrefix(got, "200 degraded: ") {
		t.Errorf("/readyz while etcd is away: %q", got)
	}
	// Its own checks still decide.
	target.Down()
	testwait.Eventually(t, 5*time.Second, "the restarted node follows its own check", func() bool { return answersWith(t, again, "192.0.2.2") })
	upTarget(t, target)

	etcd.Restart(0)
	testwait.Eventually(t, 15*time.Second, "ready once etcd is back", func() bool { return readyz() == "200 ready\n" })
	testwait.Eventually(t, 5*time.Second, "answers after etcd is back", func() bool { return answersWith(t, again, "192.0.2.1") })
}

func upTarget(t *testing.T, tg *regiontarget.Target) {
	t.Helper()
	if err := tg.Up(); err != nil {
		t.Fatal(err)
	}
}
