package node

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestStoreBombAndCeilingOnANode runs a node on a real etcd. A bomb
// written straight into the store is refused: the node keeps answering
// with the document it had, /readyz and /metrics say which revision it
// refuses, and a dry run still answers, with the refused revision.
// Through the API, a dry run and an apply agree on the document ceiling:
// the document just under it is stored (and ends the refusal), the one
// just over it is refused with 413 by both, and nothing changes.
func TestStoreBombAndCeilingOnANode(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	n := startTestNode(t, "n1", etcd, writeTraffic(t, clusterTraffic(target.Addr())))
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return answersWith(t, n, "192.0.2.1") })
	serial := soaSerial(t, n)
	get := func(path string) string {
		resp, err := http.Get(n.adminBase() + path)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}

	put, err := clustertest.Client(t, etcd).Put(t.Context(), "/gtmd-test/traffic", sizeddoc.MergeBomb())
	if err != nil {
		t.Fatal(err)
	}
	bad := put.Header.Revision
	want := fmt.Sprintf("200 degraded: the traffic document stored at revision %d is refused (invalid; see the log); the one before is served\n", bad)
	testwait.Eventually(t, 10*time.Second, "/readyz names the refused revision", func() bool { return get("/readyz") == want })
	if !strings.Contains(get("/metrics"), fmt.Sprintf("gtmd_cluster_document_rejected_revision %d\n", bad)) {
		t.Errorf("/metrics does not name revision %d as refused", bad)
	}
	if !answersWith(t, n, "192.0.2.1") || soaSerial(t, n) != serial {
		t.Errorf("after the bomb: answers or serial changed (serial %d, want %d)", soaSerial(t, n), serial)
	}

	under, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	// A dry run needs only the stored document's revision, so the refused
	// one does not fail it: If-Match is checked against its revision.
	for _, c := range []struct {
		ifMatch int64
		code    int
		body    string
	}{
		{0, 200, fmt.Sprintf(`"revision": %d,`, bad)},
		{bad, 200, fmt.Sprintf(`"revision": %d,`, bad)},
		{bad - 1, 412, "the stored revision is not the one given in If-Match"},
	} {
		code, body := dryRunWithIfMatch(t, n.adminBase(), under.Source, c.ifMatch)
		if code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("dry run with If-Match %d while revision %d is refused: %d %s, want %d and %s", c.ifMatch, bad, code, body, c.code, c.body)
		}
	}

	// A valid document stored through the API ends the refusal.
	var applied struct {
		Revision int64 `json:"revision"`
	}
	if code := api(t, "PUT", n.adminBase()+"/v1/config", "application/json", string(under.Source), &applied); code != 200 || applied.Revision <= bad {
		t.Fatalf("apply just under the ceiling: %d %+v", code, applied)
	}
	testwait.Eventually(t, 10*time.Second, "the document under the ceiling is served", func() bool { return get("/readyz") == "200 ready\n" })
	if !strings.Contains(get("/metrics"), "gtmd_cluster_document_rejected_revision 0\n") {
		t.Error("/metrics still names a refused revision")
	}
	var dry struct {
		Valid    bool  `json:"valid"`
		Revision int64 `json:"revision"`
	}
	if code := api(t, "PUT", n.adminBase()+"/v1/config?dry_run=1", "application/json", string(under.Source), &dry); code != 200 || !dry.Valid || dry.Revision != applied.Revision {
		t.Fatalf("dry run just under the ceiling: %d %+v", code, dry)
	}
	tooLarge := fmt.Sprintf("the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of 1500000 bytes: the cluster store (etcd) refuses a write over 1.5 MiB", len(over.Stored))
	for _, path := range []string{"/v1/config?dry_run=1", "/v1/config"} {
		var refused struct {
			Error string `json:"error"`
		}
		if code := api(t, "PUT", n.adminBase()+path, "application/json", string(over.Source), &refused); code != 413 || refused.Error != tooLarge {
			t.Errorf("PUT %s just over the ceiling: %d %q, want 413 %q", path, code, refused.Error, tooLarge)
		}
	}
	var stored struct {
		Zones []struct {
			Records []any `json:"records"`
		} `json:"zones"`
	}
	if code := api(t, "GET", n.adminBase()+"/v1/config", "", "", &stored); code != 200 || len(stored.Zones) != 1 || len(stored.Zones[0].Records) != strings.Count(string(under.Source), `"type"`) {
		t.Errorf("GET /v1/config after the refusals: %d, want the document under the ceiling", code)
	}
}

// dryRunWithIfMatch sends doc to PUT /v1/config?dry_run=1, with If-Match
// when ifMatch is not 0, and returns the status and the body.
func dryRunWithIfMatch(t *testing.T, base string, doc []byte, ifMatch int64) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, base+"/v1/config?dry_run=1", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if ifMatch != 0 {
		req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, ifMatch))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
