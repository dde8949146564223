package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/regiontarget"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// traffic is a failover service whose us-east region is checked against
// target.
func traffic(target string) string {
	return fmt.Sprintf(`zones:
  - name: gtm.test.
    soa: {mname: ns1.gtm.test., rname: hostmaster.gtm.test.}
    ns: [ns1.gtm.test.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
services:
  - name: www.gtm.test.
    policy: failover
    ttl: 5
    endpoints:
      - {id: us-east, priority: 1, a: [192.0.2.1], check: us}
      - {id: eu-west, priority: 2, a: [192.0.2.2]}
checks:
  - {name: us, type: http, url: "http://%s/", interval: 200ms, timeout: 150ms}
`, target)
}

// startNode runs the example's node "id" on etcd, on port 0.
func startNode(t *testing.T, id string, etcd []string, trafficFile string) *Node {
	t.Helper()
	cfg := config.DefaultNode()
	cfg.Node.ID, cfg.Store.EtcdEndpoints, cfg.DataDir, cfg.TrafficFile = id, etcd, t.TempDir(), trafficFile
	n, err := StartNode(context.Background(), &cfg, "127.0.0.1:0", "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := n.Close(ctx); err != nil {
			t.Errorf("closing %s: %v", id, err)
		}
	})
	return n
}

// answer is the address n gives for www.gtm.test over UDP and TCP, ""
// when they differ or fail.
func answer(n *Node) string {
	var got []string
	for _, network := range []string{"udp", "tcp"} {
		resp, _, err := (&dns.Client{Net: network, Timeout: time.Second}).Exchange(new(dns.Msg).SetQuestion("www.gtm.test.", dns.TypeA), n.DNSAddr)
		if err != nil || len(resp.Answer) != 1 {
			return ""
		}
		got = append(got, resp.Answer[0].(*dns.A).A.String())
	}
	if got[0] != got[1] {
		return ""
	}
	return got[0]
}

func waitAnswer(t *testing.T, n *Node, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for answer(n) != want {
		if time.Now().After(deadline) {
			t.Fatalf("no answer %s from %s within 15s (last %q)", want, n.DNSAddr, answer(n))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDrainReachesTheOtherNode: two programs embed a node each on one
// etcd; a drain sent to the first one's admin API, served by the
// program, moves the second one's answer.
func TestDrainReachesTheOtherNode(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target, err := regiontarget.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(target.Down)
	file := filepath.Join(t.TempDir(), "traffic.yaml")
	if err := os.WriteFile(file, []byte(traffic(target.Addr())), 0o600); err != nil {
		t.Fatal(err)
	}
	first := startNode(t, "first", etcd, file)
	second := startNode(t, "second", etcd, "")
	waitAnswer(t, first, "192.0.2.1")
	waitAnswer(t, second, "192.0.2.1")

	drain := func(method string) {
		req, err := http.NewRequest(method, "http://"+first.AdminAddr+"/v1/overrides/www.gtm.test./us-east", strings.NewReader(`{"state": "down", "reason": "maintenance"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s override through the first program: %s", method, resp.Status)
		}
	}
	drain(http.MethodPut)
	waitAnswer(t, second, "192.0.2.2")
	drain(http.MethodDelete)
	waitAnswer(t, second, "192.0.2.1")

	resp, err := http.Get("http://" + second.AdminAddr + "/mytool/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the program's own page: %s", resp.Status)
	}
}
