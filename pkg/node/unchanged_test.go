package node

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testwait"
)

// TestApplyUnchangedStoresNothing: applying the document already stored,
// however it is written, answers "unchanged" with the stored revision and
// writes nothing: the document's key keeps its revision and the SOA
// serial stays. A changed document is stored at a new revision.
func TestApplyUnchangedStoresNothing(t *testing.T) {
	n, doc := startServingNode(t)

	// The same document in JSON, as `gtmd get config -o json` prints it.
	var asJSON json.RawMessage
	if code := api(t, "GET", n.adminBase()+"/v1/config", "", "", &asJSON); code != 200 {
		t.Fatalf("GET /v1/config: %d", code)
	}
	cases := []struct {
		name        string
		contentType string
		body        string
		ifMatch     string
		wantCode    int
		unchanged   bool
	}{
		{"the same YAML", "application/yaml", doc, "", 200, true},
		{"the same with comments and another order of keys", "application/yaml",
			"# applied again\n" + strings.Replace(doc, "soa: {mname: ns1.gtm.test., rname: hostmaster.gtm.test.}", "soa: {rname: hostmaster.gtm.test., mname: ns1.gtm.test.}", 1), "", 200, true},
		{"the same as JSON", "application/json", string(asJSON), "", 200, true},
		{"the same, If-Match a stale revision", "application/yaml", doc, `"1"`, 412, false},
		{"a changed TTL", "application/yaml", strings.Replace(doc, "ttl: 5", "ttl: 9", 1), "", 200, false},
		{"the changed one again", "application/yaml", strings.Replace(doc, "ttl: 5", "ttl: 9", 1), "", 200, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := storedRevision(t, n)
			serial := soaSerial(t, n)
			var res struct {
				Revision  int64 `json:"revision"`
				Unchanged bool  `json:"unchanged"`
			}
			code := apiWith(t, "PUT", n.adminBase()+"/v1/config", c.contentType, c.ifMatch, c.body, &res)
			if code != c.wantCode {
				t.Fatalf("PUT /v1/config: %d, want %d (%+v)", code, c.wantCode, res)
			}
			after := storedRevision(t, n)
			switch {
			case code != 200:
				if after != before {
					t.Errorf("refused apply moved the stored revision %d -> %d", before, after)
				}
			case c.unchanged:
				if !res.Unchanged || res.Revision != before || after != before {
					t.Errorf("unchanged apply: answer %+v, stored revision %d -> %d; want unchanged at %d", res, before, after, before)
				}
				if s := soaSerial(t, n); s != serial {
					t.Errorf("SOA serial moved %d -> %d on an unchanged apply", serial, s)
				}
			default:
				if res.Unchanged || res.Revision <= before || after != res.Revision {
					t.Errorf("changed apply: answer %+v, stored revision %d -> %d", res, before, after)
				}
				testwait.Eventually(t, 5*time.Second, "the new serial", func() bool { return soaSerial(t, n) == uint32(res.Revision) })
			}
		})
	}
}

// storedRevision is the revision of the stored traffic document's key,
// which any write of the document moves.
func storedRevision(t *testing.T, n *liveNode) int64 {
	t.Helper()
	rev, err := n.liveStore.Load().TrafficRevision(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return rev
}
