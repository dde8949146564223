package node

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health/healthtest"
)

// targetTraffic serves the zone's apex from a load balancer named by
// hostname, with a static backup.
const targetTraffic = gtmZone + `
  - {name: gtm.test., policy: failover, ttl: 5, endpoints: [{id: lb, priority: 1, target: lb-123.example.net.}, {id: backup, priority: 2, a: [192.0.2.2]}]}
`

const lbName = "lb-123.example.net."

// apexAnswer asks a node for the zone apex's qtype records; it returns
// the addresses, and every record type the answer section holds.
func apexAnswer(t *testing.T, n *liveNode, qtype uint16) (addrs []string, types []string) {
	t.Helper()
	q := new(dns.Msg).SetQuestion("gtm.test.", qtype)
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, n.dnsAddr())
	if err != nil {
		return nil, nil
	}
	for _, rr := range resp.Answer {
		types = append(types, dns.TypeToString[rr.Header().Rrtype])
		switch v := rr.(type) {
		case *dns.A:
			addrs = append(addrs, v.A.String())
		case *dns.AAAA:
			addrs = append(addrs, v.AAAA.String())
		}
	}
	return addrs, types
}

// lbStatus is the lb endpoint as GET /v1/health shows it.
func lbStatus(t *testing.T, n *liveNode) admin.EndpointStatus {
	t.Helper()
	var hl admin.HealthList
	if code := api(t, "GET", n.adminBase()+"/v1/health", "", "", &hl); code != 200 {
		t.Fatalf("GET /v1/health: %d", code)
	}
	for _, e := range hl.Endpoints {
		if e.Endpoint == "lb" {
			return e
		}
	}
	t.Fatal("GET /v1/health has no endpoint lb")
	return admin.EndpointStatus{}
}

// TestEndpointByHostname: a node answers its apex with the addresses of
// a load balancer looked up through the resolver of its node file (A and
// AAAA records, never a CNAME); follows their changes within the TTL;
// takes the endpoint out, with the reason, when the name stops resolving
// and brings it back when it resolves again; and, the answer cached for
// its TTL, asks the resolver nothing per query.
func TestEndpointByHostname(t *testing.T) {
	up := healthtest.StartUpstream(t)
	up.Set(lbName, healthtest.Answer{A: []string{"203.0.113.10"}, TTL: 1})
	etcd := clustertest.StartEtcd(t)
	n := startTestNodeIn(t, "n1", etcd, writeTraffic(t, targetTraffic), t.TempDir(), func(c *config.Node) {
		c.Resolver.Servers = []string{up.Addr}
		// The floor lowered so that a TTL of 1 s is followed as given.
		c.Resolver.MinTTL = config.Duration(100 * time.Millisecond)
	})
	serves := func(qtype uint16, want ...string) func() bool {
		return func() bool {
			got, types := apexAnswer(t, n, qtype)
			for _, typ := range types {
				if typ == "CNAME" {
					t.Errorf("the apex answered with a CNAME: %v", types)
				}
			}
			return slices.Equal(got, want)
		}
	}
	testwait.Eventually(t, 10*time.Second, "the apex answers the balancer's address", serves(dns.TypeA, "203.0.113.10"))
	if st := lbStatus(t, n); !st.Healthy || st.Target == nil || st.Target.State != "resolved" || !slices.Equal(st.Target.Addresses, []string{"203.0.113.10"}) || st.Target.TTLSeconds != 1 {
		t.Errorf("GET /v1/health, lb: %+v target %+v", st, st.Target)
	}

	up.Set(lbName, healthtest.Answer{A: []string{"203.0.113.20", "203.0.113.21"}, TTL: 1})
	took := testwait.Eventually(t, 10*time.Second, "the apex follows the balancer's move", serves(dns.TypeA, "203.0.113.20", "203.0.113.21"))
	// Said, not asserted: the machine is shared.
	t.Logf("followed an address change %s after it was made (TTL 1s)", took.Round(time.Millisecond))

	up.Set(lbName, healthtest.Answer{Rcode: dns.RcodeNameError})
	testwait.Eventually(t, 10*time.Second, "an NXDOMAIN target's endpoint is out: the backup answers", serves(dns.TypeA, "192.0.2.2"))
	st := lbStatus(t, n)
	if want := "target " + lbName + " did not resolve: NXDOMAIN"; st.Healthy || st.Reason != want || st.Target == nil || st.Target.State != "failed" || st.Target.Failure != "NXDOMAIN" {
		t.Fatalf("GET /v1/health, lb: healthy %v reason %q target %+v; want out with %q", st.Healthy, st.Reason, st.Target, want)
	}
	// What the node answers for lb now is nothing; the addresses it had
	// are shown as the last good ones, older than the failure.
	if tg := st.Target; len(tg.Addresses) != 0 || tg.LastGood == nil ||
		!slices.Equal(tg.LastGood.Addresses, []string{"203.0.113.20", "203.0.113.21"}) ||
		tg.LastGood.Resolved.IsZero() || tg.FailingSince.Before(tg.LastGood.Resolved) || tg.LookedUp.Before(tg.FailingSince) {
		t.Errorf("GET /v1/health, lb's target after NXDOMAIN: addresses %v, failing since %s, looked up %s, last good %+v; want none answered, the old ones as last good before the failure",
			tg.Addresses, tg.FailingSince, tg.LookedUp, tg.LastGood)
	}

	up.Set(lbName, healthtest.Answer{A: []string{"203.0.113.30"}, AAAA: []string{"2001:db8::30"}, TTL: 3600})
	testwait.Eventually(t, 10*time.Second, "the target resolves again: back in", serves(dns.TypeA, "203.0.113.30"))
	if tg := lbStatus(t, n).Target; tg == nil || tg.State != "resolved" || tg.LastGood != nil || !tg.FailingSince.IsZero() || tg.Failure != "" {
		t.Errorf("GET /v1/health, lb's target resolved again: %+v, want no failure and no last good", tg)
	}
	testwait.Eventually(t, 10*time.Second, "AAAA at the apex too", serves(dns.TypeAAAA, "2001:db8::30"))

	var ex admin.Explanation
	if code := api(t, "GET", n.adminBase()+"/v1/explain?name=gtm.test&type=A&client=127.0.0.1", "", "", &ex); code != 200 {
		t.Fatalf("GET /v1/explain: %d", code)
	}
	if len(ex.Endpoints) != 2 || ex.Endpoints[0].Target == nil || !slices.Equal(ex.Endpoints[0].Target.Addresses, []string{"203.0.113.30", "2001:db8::30"}) || ex.Endpoints[1].Target != nil {
		t.Errorf("explain's endpoints: %+v", ex.Endpoints)
	}

	// A new document is published whole: the addresses the node holds
	// go into it at once, without a lookup.
	var applied struct{ Status string }
	if code := api(t, "PUT", n.adminBase()+"/v1/config?wait=insync", "application/yaml", strings.Replace(targetTraffic, "ttl: 5", "ttl: 6", 1), &applied); code != 200 || applied.Status != "INSYNC" {
		t.Fatalf("apply: %d %+v", code, applied)
	}
	if got, _ := apexAnswer(t, n, dns.TypeA); !slices.Equal(got, []string{"203.0.113.30"}) {
		t.Errorf("apex A under the new document: %v, want the balancer's address", got)
	}

	// The answer holds for an hour: queries are answered from the
	// snapshot, and the resolver is not asked again.
	asked := up.Queries(lbName)
	for range 50 {
		if got, _ := apexAnswer(t, n, dns.TypeA); !slices.Equal(got, []string{"203.0.113.30"}) {
			t.Fatalf("apex A: %v", got)
		}
	}
	if now := up.Queries(lbName); now != asked {
		t.Errorf("50 queries within the TTL asked the resolver %d more questions, want none", now-asked)
	}

	resp, err := http.Get(n.adminBase() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	for _, line := range []string{`gtmd_target_names{state="resolved"} 1`, `gtmd_target_addresses{family="ipv6"} 1`} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

// TestTargetsAreEachNodes: each node looks its targets up through its
// own resolvers and nothing of it goes through the store: a target that
// does not resolve on one node takes its endpoint out there alone.
func TestTargetsAreEachNodes(t *testing.T) {
	good, bad := healthtest.StartUpstream(t), healthtest.StartUpstream(t)
	good.Set(lbName, healthtest.Answer{A: []string{"203.0.113.10"}, TTL: 60})
	bad.Set(lbName, healthtest.Answer{Rcode: dns.RcodeServerFailure})
	etcd := clustertest.StartEtcd(t)
	resolver := func(server string) func(*config.Node) {
		return func(c *config.Node) { c.Resolver.Servers = []string{server} }
	}
	n1 := startTestNodeIn(t, "n1", etcd, writeTraffic(t, targetTraffic), t.TempDir(), resolver(good.Addr))
	n2 := startTestNodeIn(t, "n2", etcd, "", t.TempDir(), resolver(bad.Addr))
	for _, c := range []struct {
		n      *liveNode
		answer string
		reason string
	}{
		{n1, "203.0.113.10", "no check: always healthy"},
		{n2, "192.0.2.2", "target " + lbName + " did not resolve: SERVFAIL"},
	} {
		// A target not looked up yet takes its endpoint out too, with
		// another reason: wait for the lookup's.
		testwait.Eventually(t, 10*time.Second, c.n.id+" answers "+c.answer+" because "+c.reason, func() bool {
			got, _ := apexAnswer(t, c.n, dns.TypeA)
			return slices.Equal(got, []string{c.answer}) && lbStatus(t, c.n).Reason == c.reason
		})
	}
}
