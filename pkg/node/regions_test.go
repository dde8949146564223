package node

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// regionTraffic has two services whose first endpoints are both in
// region us-east: one by its id (the default), one by its region field.
const regionTraffic = gtmZone + `
  - {name: www.gtm.test., policy: failover, ttl: 5, endpoints: [{id: us-east, priority: 1, a: [192.0.2.1]}, {id: eu-west, priority: 2, a: [192.0.2.2]}]}
  - name: api.gtm.test.
    policy: failover
    ttl: 5
    endpoints:
      - {id: use1, region: us-east, priority: 1, a: [192.0.2.11]}
      - {id: euw1, region: eu-west, priority: 2, a: [192.0.2.12]}
`

// tokenAPI calls a node's admin API with a bearer token, decoding a JSON
// answer into out.
func tokenAPI(t *testing.T, token, method, url, body string, out any) int {
	t.Helper()
	code, b := tokenCall(t, token, method, url, body)
	if out != nil && code == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return code
}

// tokenCall is tokenAPI's request, returning the status and the body.
func tokenCall(t *testing.T, token, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.Contains(body, "zones:") {
		req.Header.Set("Content-Type", "application/yaml")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// writeTokens writes a tokens file with a write token "ops" and a read
// token "viewer".
func writeTokens(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens")
	body := "ops write " + admin.HashToken("ops-secret") + "\nviewer read " + admin.HashToken("viewer-secret") + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRegionDrainAcrossNodes: a region drained through one node's API
// takes its endpoints out of every service on both nodes, as DNS answers
// show; an endpoint's own override beats its region's; undrain brings
// them back; every change is in the audit trail with who, when, from
// where, what and why; a read token reads the trail but cannot drain.
func TestRegionDrainAcrossNodes(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	tokens := writeTokens(t)
	withTokens := func(n *config.Node) { n.Admin.TokensFile = tokens }
	file := writeTraffic(t, regionTraffic)
	nodes := []*liveNode{
		startTestNodeIn(t, "n1", etcd, file, t.TempDir(), withTokens),
		startTestNodeIn(t, "n2", etcd, "", t.TempDir(), withTokens),
	}
	serve := func(www, apiIP string) func() bool {
		return func() bool {
			for _, n := range nodes {
				a, _ := answer(t, n.dnsAddr(), "www.gtm.test.")
				b, _ := answer(t, n.dnsAddr(), "api.gtm.test.")
				if !slices.Equal(a, []string{www}) || !slices.Equal(b, []string{apiIP}) {
					return false
				}
			}
			return true
		}
	}
	testwait.Eventually(t, 10*time.Second, "both nodes answer us-east", serve("192.0.2.1", "192.0.2.11"))
	start := time.Now().Add(-time.Second)

	var applied struct {
		Revision int64 `json:"revision"`
	}
	if code := tokenAPI(t, "ops-secret", "PUT", nodes[0].adminBase()+"/v1/config?reason=ttl+review&wait=insync", strings.Replace(regionTraffic, "ttl: 5, endpoints", "ttl: 6, endpoints", 1), &applied); code != 200 {
		t.Fatalf("apply: %d", code)
	}

	region := nodes[1].adminBase() + "/v1/regions/us-east/override"
	drain := `{"state": "down", "reason": "maintenance"}`
	mars := nodes[1].adminBase() + "/v1/regions/mars/override"
	const notMars = `"no endpoint has region mars; the document's regions are eu-west, us-east: not found"`
	for _, tc := range []struct {
		name, token, method, url, body string
		want                           int
		wantBody                       string // a substring of the answer
	}{
		{"read token cannot drain", "viewer-secret", "PUT", region, drain, http.StatusForbidden, "the write role"},
		{"unknown region", "ops-secret", "PUT", mars, drain, http.StatusNotFound, notMars},
		{"unknown region to clear", "ops-secret", "DELETE", mars, "", http.StatusNotFound, notMars},
		{"no override to clear", "ops-secret", "DELETE", region, "", http.StatusOK, `"no_override": true`},
		{"bad state", "ops-secret", "PUT", region, `{"state": "sideways"}`, http.StatusBadRequest, "want down (drain) or up"},
	} {
		if code, body := tokenCall(t, tc.token, tc.method, tc.url, tc.body); code != tc.want || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, code, body, tc.want, tc.wantBody)
		}
	}

	drained := time.Now()
	if code := tokenAPI(t, "ops-secret", "PUT", region, drain, nil); code != 200 {
		t.Fatalf("region drain: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "both nodes leave us-east out of both services", serve("192.0.2.2", "192.0.2.12"))
	// Said, not asserted: the machine is shared.
	t.Logf("both nodes answered without us-east %s after the PUT was sent", time.Since(drained).Round(time.Millisecond))

	var hl admin.HealthList
	if code := tokenAPI(t, "viewer-secret", "GET", nodes[0].adminBase()+"/v1/health", "", &hl); code != 200 {
		t.Fatalf("health: %d", code)
	}
	for _, e := range hl.Endpoints {
		inRegion := e.Endpoint == "us-east" || e.Endpoint == "use1"
		if inRegion != strings.Contains(e.Reason, "region us-east: maintenance") || inRegion == e.Healthy {
			t.Errorf("%s/%s: healthy %v, reason %q", e.Service, e.Endpoint, e.Healthy, e.Reason)
		}
	}

	// Explain says why an endpoint is out: the drain, not a failed check.
	var ex admin.Explanation
	if code := tokenAPI(t, "viewer-secret", "GET", nodes[0].adminBase()+"/v1/explain?name=www.gtm.test.&type=A&client=192.0.2.9", "", &ex); code != 200 {
		t.Fatalf("explain: %d", code)
	}
	if len(ex.Endpoints) != 2 {
		t.Errorf("explain lists %d endpoints, want 2", len(ex.Endpoints))
	}
	for _, e := range ex.Endpoints {
		if (e.ID == "us-east") != strings.Contains(e.Reason, "region us-east: maintenance") {
			t.Errorf("explain: endpoint %s healthy %v, reason %q", e.ID, e.Healthy, e.Reason)
		}
	}
	if ex.Client.Subnet == "invalid IP" {
		t.Errorf("explain: client subnet %q", ex.Client.Subnet)
	}

	// The most specific decision wins: an endpoint forced up serves
	// though its region is drained, and follows the region again once
	// its own override is cleared.
	ep := nodes[0].adminBase() + "/v1/overrides/www.gtm.test/us-east"
	if code := tokenAPI(t, "ops-secret", "PUT", ep, `{"state": "up", "reason": "canary"}`, nil); code != 200 {
		t.Fatalf("force up: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "www's us-east forced up, api's still drained", serve("192.0.2.1", "192.0.2.12"))
	if code := tokenAPI(t, "ops-secret", "DELETE", ep, "", nil); code != 200 {
		t.Fatalf("clear endpoint override: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "www's us-east drained with its region again", serve("192.0.2.2", "192.0.2.12"))

	if code := tokenAPI(t, "ops-secret", "DELETE", region+"?reason=done", "", nil); code != 200 {
		t.Fatalf("region undrain: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "both nodes answer us-east again", serve("192.0.2.1", "192.0.2.11"))

	var trail []audit.Entry
	if code := tokenAPI(t, "viewer-secret", "GET", nodes[0].adminBase()+"/v1/audit", "", &trail); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	want := []audit.Entry{
		{Who: "ops", From: "127.0.0.1", Action: "apply", Target: "revision " + strconv.FormatInt(applied.Revision, 10), Reason: "ttl review", Node: "n1"},
		{Who: "ops", From: "127.0.0.1", Action: "drain", Target: "region:us-east", Reason: "maintenance", Node: "n2"},
		{Who: "ops", From: "127.0.0.1", Action: "force-up", Target: "www.gtm.test/us-east", Reason: "canary", Node: "n1"},
		{Who: "ops", From: "127.0.0.1", Action: "undrain", Target: "www.gtm.test/us-east", Node: "n1"},
		{Who: "ops", From: "127.0.0.1", Action: "undrain", Target: "region:us-east", Reason: "done", Node: "n2"},
	}
	if len(trail) != len(want) {
		t.Fatalf("audit trail has %d entries, want %d: %+v", len(trail), len(want), trail)
	}
	for i, e := range trail {
		if e.When.Before(start) || e.When.After(time.Now().Add(time.Second)) || (i > 0 && e.When.Before(trail[i-1].When)) {
			t.Errorf("entry %d at %s: not between the test's start and now, in order", i, e.When)
		}
		e.When = time.Time{}
		if e != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, e, want[i])
		}
	}
	var last []audit.Entry
	if code := tokenAPI(t, "viewer-secret", "GET", nodes[1].adminBase()+"/v1/audit?limit=2", "", &last); code != 200 || len(last) != 2 || last[1].Target != "region:us-east" || last[0].Action != "undrain" {
		t.Errorf("audit?limit=2: %d %+v", code, last)
	}
}
