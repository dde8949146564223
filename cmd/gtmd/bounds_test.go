package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// mergeBombYAML is a service whose endpoints each merge ten copies of the
// one before, twelve levels deep: hours of CPU before merges were bounded.
// Its first endpoint is on line 4.
func mergeBombYAML() string {
	var b strings.Builder
	b.WriteString("services:\n  - name: www.gtm.test.\n    endpoints:\n      - &e0 {id: a}\n")
	for l := 1; l <= 12; l++ {
		fmt.Fprintf(&b, "      - &e%d {<<: [%s]}\n", l, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*e%d, ", l-1), 10), ", "))
	}
	return b.String()
}

// TestValidateBoundsAndCeiling checks that `gtmd validate -f` refuses
// bombs with the place and a document the store could not hold with its
// size, and says how much of the ceiling a good one takes.
func TestValidateBoundsAndCeiling(t *testing.T) {
	under, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, doc, stdout, err string
	}{
		{"just under the ceiling", string(under.Source),
			fmt.Sprintf(": ok (1 zones, 0 services, 0 checks; %d of 1500000 bytes stored)\n", len(under.Stored)), ""},
		{"just over the ceiling", string(over.Source), "",
			fmt.Sprintf(" cannot be applied: the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of 1500000 bytes: the cluster store (etcd) refuses a write over 1.5 MiB", len(over.Stored))},
		{"merge bomb", mergeBombYAML(), "",
			":8:34: services[0].endpoints[4].<<: aliases expand the document past 10920 values, the most a document of 920 bytes may stand for; write out fewer values through anchors"},
		{"merge cycle", "services:\n  - &x {<<: *x}\n", "",
			":2:13: services[0].<<: alias *x is inside the value it names, which would repeat without end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml", tc.doc)
			var out bytes.Buffer
			err := validate([]string{"-f", file}, &out)
			if tc.err == "" {
				if err != nil || out.String() != file+tc.stdout {
					t.Errorf("validate: %v, printed %q; want %q", err, out.String(), file+tc.stdout)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), file+tc.err) {
				t.Errorf("validate: %v\nwant an error with %q", err, file+tc.err)
			}
		})
	}
}

// TestStoreBombAndCeilingOnANode runs a node on a real etcd. A bomb
// written straight into the store is refused: the node keeps answering
// with the document it had, /readyz and /metrics say which revision it
// refuses. Through the API, a dry run and an apply agree on the document
// ceiling: the document just under it is stored (and ends the refusal),
// the one just over it is refused with 413 by both, and nothing changes.
func TestStoreBombAndCeilingOnANode(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	n := startTestNode(t, "n1", etcd, writeTraffic(t, clusterTraffic(target.Addr())))
	eventually(t, 10*time.Second, "n1 answers", func() bool { return answersWith(t, n, "192.0.2.1") })
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

	put, err := clustertest.Client(t, etcd).Put(t.Context(), "/gtmd-test/traffic", mergeBombYAML())
	if err != nil {
		t.Fatal(err)
	}
	bad := put.Header.Revision
	want := fmt.Sprintf("200 degraded: the traffic document stored at revision %d is refused (invalid; see the log); the one before is served\n", bad)
	eventually(t, 10*time.Second, "/readyz names the refused revision", func() bool { return get("/readyz") == want })
	if !strings.Contains(get("/metrics"), fmt.Sprintf("gtmd_cluster_document_rejected_revision %d\n", bad)) {
		t.Errorf("/metrics does not name revision %d as refused", bad)
	}
	if !answersWith(t, n, "192.0.2.1") || soaSerial(t, n) != serial {
		t.Errorf("after the bomb: answers or serial changed (serial %d, want %d)", soaSerial(t, n), serial)
	}

	// A valid document stored through the API ends the refusal; a dry run
	// needs the stored document read, so it comes after.
	under, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	var applied struct {
		Revision int64 `json:"revision"`
	}
	if code := api(t, "PUT", n.adminBase()+"/v1/config", "application/json", string(under.Source), &applied); code != 200 || applied.Revision <= bad {
		t.Fatalf("apply just under the ceiling: %d %+v", code, applied)
	}
	eventually(t, 10*time.Second, "the document under the ceiling is served", func() bool { return get("/readyz") == "200 ready\n" })
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

// TestCLIApplyBoundsAndCeiling checks `gtmd apply -f`: a bomb is refused
// here with its place and not sent; a document over the ceiling is sent
// (the node decides) and refused by the node with 413, in a dry run and an
// apply alike. apply sends the stored form, so the node refuses the body
// unread.
func TestCLIApplyBoundsAndCeiling(t *testing.T) {
	b, env := testNode(t, admin.Options{})
	dir := t.TempDir()
	_, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	bomb := writeFile(t, dir, "bomb.yaml", mergeBombYAML())
	cli(t, env, "apply", "-f", bomb).want(t, 1, "", "gtmd apply: "+bomb+" is invalid, nothing was sent:\n"+bomb+":8:34: services[0].endpoints[4].<<: aliases expand the document past")
	big := writeFile(t, dir, "big.json", string(over.Source))
	tooLarge := "gtmd apply: the body is larger than the limit of 1500000 bytes of a traffic document: the cluster store (etcd) refuses a write over 1.5 MiB"
	cli(t, env, "apply", "-f", big, "--dry-run").want(t, 1, "", tooLarge)
	cli(t, env, "apply", "-f", big).want(t, 1, "", tooLarge)
	if b.Revision() != 1 {
		t.Errorf("revision %d after refusals, want 1", b.Revision())
	}
}
