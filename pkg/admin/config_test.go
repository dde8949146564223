package admin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
)

// changed is TrafficYAML with the service's TTL changed.
var changed = strings.Replace(admintest.TrafficYAML, "ttl: 30\n", "ttl: 45\n", 1)

func TestGetConfig(t *testing.T) {
	a := newAPI(t, admintest.New("n1", nil), admin.Options{})

	r := a.get("/v1/config")
	doc := decodeDoc(t, r)
	if r.header.Get("ETag") != `"1"` || r.header.Get("X-Gtmd-Revision") != "1" {
		t.Errorf("ETag %q, X-Gtmd-Revision %q", r.header.Get("ETag"), r.header.Get("X-Gtmd-Revision"))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if len(doc.Services) != 1 || doc.Services[0].Name != "www.example.com." {
		t.Errorf("document: %+v", doc)
	}

	for _, accept := range []string{"application/yaml", "text/yaml", "application/json;q=0.5, application/yaml", "*/*, application/yaml"} {
		r = a.get("/v1/config", "Accept", accept)
		if r.status != 200 || r.header.Get("Content-Type") != "application/yaml" {
			t.Fatalf("Accept %s: %d %s", accept, r.status, r.header.Get("Content-Type"))
		}
		var ydoc config.Traffic
		if err := yaml.Unmarshal(r.body, &ydoc); err != nil || len(ydoc.Zones) != 1 {
			t.Fatalf("Accept %s: not the YAML document: %v\n%s", accept, err, r.body)
		}
	}
	for _, accept := range []string{"*/*", "application/json, application/yaml", "text/html", "application/yaml;q=0"} {
		if r = a.get("/v1/config", "Accept", accept); r.header.Get("Content-Type") != "application/json" {
			t.Errorf("Accept %s: Content-Type %s, want JSON", accept, r.header.Get("Content-Type"))
		}
	}

	if r = a.get("/v1/config", "If-None-Match", `"1"`); r.status != http.StatusNotModified {
		t.Errorf("If-None-Match the stored revision: %d", r.status)
	}
	if r = a.get("/v1/config", "If-None-Match", `"7"`); r.status != 200 {
		t.Errorf("If-None-Match another revision: %d", r.status)
	}
}

// decodeDoc reads a traffic document as gtmd does (config.Duration has no
// UnmarshalJSON, so encoding/json cannot).
func decodeDoc(t *testing.T, r *reply) *config.Traffic {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	doc, err := config.ParseTraffic("response", r.body, "")
	if err != nil {
		t.Fatalf("the document does not parse: %v\n%s", err, r.body)
	}
	return doc
}

func TestGetConfigRoundTrips(t *testing.T) {
	a := newAPI(t, admintest.New("n1", nil), admin.Options{})
	for _, accept := range []string{"application/json", "application/yaml"} {
		r := a.get("/v1/config", "Accept", accept)
		put := a.do(http.MethodPut, "/v1/config", string(r.body), "Content-Type", accept, "If-Match", r.header.Get("ETag"))
		var res admin.ApplyResult
		put.decode(t, 200, &res)
	}
}

func TestPutConfig(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})

	r := a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/yaml")
	var res admin.ApplyResult
	r.decode(t, 200, &res)
	if res.Revision != 2 || res.Status != admin.StatusInSync || !res.InSync || len(res.Members) != 1 || res.NotInSync != nil || res.Waited != "" {
		t.Errorf("result: %+v", res)
	}
	if r.header.Get("ETag") != `"2"` || r.header.Get("X-Gtmd-Revision") != "2" {
		t.Errorf("ETag %q", r.header.Get("ETag"))
	}
	doc := decodeDoc(t, a.get("/v1/config"))
	if *doc.Services[0].TTL != 45 {
		t.Errorf("the stored document was not replaced")
	}

	// The stored document again, as JSON with a charset and a bare
	// If-Match: unchanged, nothing stored.
	js, _ := json.Marshal(doc)
	r = a.do(http.MethodPut, "/v1/config", string(js), "Content-Type", "application/json; charset=utf-8", "If-Match", "2")
	res = admin.ApplyResult{}
	r.decode(t, 200, &res)
	if res.Revision != 2 || !res.Unchanged || b.Revision() != 2 || r.header.Get("ETag") != `"2"` {
		t.Errorf("the stored document again: %+v, stored revision %d, ETag %q; want unchanged at 2", res, b.Revision(), r.header.Get("ETag"))
	}
	// If-Match: * is any revision.
	r = a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/x-yaml", "If-Match", "*")
	r.decode(t, 200, &res)

	// A member that lags: PENDING without waiting.
	b.AddMember(member.Member{ID: "n2"})
	b.SetLagging("n2", true)
	r = a.do(http.MethodPut, "/v1/config", admintest.TrafficWithTTL(46), "Content-Type", "application/yaml")
	res = admin.ApplyResult{}
	r.decode(t, 200, &res)
	if res.Unchanged || res.Status != admin.StatusPending || res.InSync || len(res.NotInSync) != 1 || res.NotInSync[0] != "n2" {
		t.Errorf("with a lagging member: %+v", res)
	}
}

func TestPutConfigIfMatch(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})
	a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/yaml")

	r := a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/yaml", "If-Match", `"1"`)
	e := r.refused(t, 412, `If-Match "1": the stored revision is 2; fetch the document again and apply your change to it`)
	if e.Revision != 2 || r.header.Get("ETag") != `"2"` {
		t.Errorf("412 revision %d, ETag %q", e.Revision, r.header.Get("ETag"))
	}
	if b.Revision() != 2 {
		t.Errorf("a stale If-Match stored a document")
	}
	for _, bad := range []string{`W/"2"`, `"x"`, `0`, `"1", "2"`} {
		r = a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/yaml", "If-Match", bad)
		e := r.refused(t, 400, "")
		if !strings.HasPrefix(e.Error, "If-Match: "+bad+" is") {
			t.Errorf("If-Match %s: %q", bad, e.Error)
		}
	}
}

func TestPutConfigInvalid(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})
	bad := strings.Replace(admintest.TrafficYAML, "check: us-web", "check: nope", 1)
	bad = strings.Replace(bad, "policy: failover", "policy: fastest", 1)
	for _, dry := range []string{"", "?dry_run=1"} {
		r := a.do(http.MethodPut, "/v1/config"+dry, bad, "Content-Type", "application/yaml")
		e := r.refused(t, 400, "the document is invalid: 2 faults")
		if len(e.Faults) != 2 {
			t.Fatalf("faults: %+v", e.Faults)
		}
		f := e.Faults[0]
		if f.File != "request body" || f.Line != 10 || f.Column != 13 || f.Field != "services[0].policy" || !strings.Contains(f.Message, "fastest") {
			t.Errorf("first fault: %+v", f)
		}
		f = e.Faults[1]
		if f.Line != 13 || f.Field != "services[0].endpoints[0].check" || !strings.Contains(f.Message, "nope") {
			t.Errorf("second fault: %+v", f)
		}
	}
	// One fault is said in full.
	one := strings.Replace(admintest.TrafficYAML, "check: us-web", "check: nope", 1)
	e := a.do(http.MethodPut, "/v1/config", one, "Content-Type", "application/yaml").refused(t, 400, "")
	if !strings.HasPrefix(e.Error, "the document is invalid: request body:13:") {
		t.Errorf("one fault: %q", e.Error)
	}
	// zone_file cannot be read from a request.
	zf := strings.Replace(admintest.TrafficYAML, "    ttl: 300\n", "    ttl: 300\n    zone_file: example.com.zone\n", 1)
	e = a.do(http.MethodPut, "/v1/config", zf, "Content-Type", "application/yaml").refused(t, 400, "")
	if len(e.Faults) != 1 || e.Faults[0].Field != "zones[0].zone_file" {
		t.Errorf("zone_file: %+v", e)
	}
	a.do(http.MethodPut, "/v1/config", "", "Content-Type", "application/yaml").refused(t, 400, "")
	a.do(http.MethodPut, "/v1/config", "{", "Content-Type", "application/json").refused(t, 400, "")
	if b.Revision() != 1 || b.Applies() != 0 {
		t.Errorf("an invalid document was stored")
	}
	doc := decodeDoc(t, a.get("/v1/config"))
	if doc.Services[0].Endpoints[0].Check != "us-web" {
		t.Errorf("GET config changed after a rejected document")
	}
}

func TestPutConfigDryRun(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})
	for _, q := range []string{"?dry_run=1", "?dry_run=true", "?dry_run"} {
		r := a.do(http.MethodPut, "/v1/config"+q, changed, "Content-Type", "application/yaml")
		var res admin.DryRunResult
		r.decode(t, 200, &res)
		if res != (admin.DryRunResult{Valid: true, DryRun: true, Revision: 1, Zones: 1, Services: 1, Checks: 2}) {
			t.Errorf("%s: %+v", q, res)
		}
		if r.header.Get("ETag") != "" {
			t.Errorf("a dry run answered an ETag")
		}
	}
	if b.Revision() != 1 || b.Applies() != 0 {
		t.Errorf("a dry run stored the document")
	}
	// A dry run checks If-Match too.
	a.do(http.MethodPut, "/v1/config?dry_run=1", changed, "Content-Type", "application/yaml", "If-Match", `"9"`).refused(t, 412, "")
	a.do(http.MethodPut, "/v1/config?dry_run=maybe", changed, "Content-Type", "application/yaml").refused(t, 400, `dry_run="maybe": want 1 or 0`)
	a.do(http.MethodPut, "/v1/config?dry_run=1&wait=insync", changed, "Content-Type", "application/yaml").refused(t, 400, "a dry run stores nothing to wait for: drop wait=insync or dry_run")
}

func TestPutConfigMediaTypeAndSize(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{MaxBodyBytes: 2048})
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "bad/"} {
		var hdr []string
		if ct != "" {
			hdr = []string{"Content-Type", ct}
		}
		r := a.do(http.MethodPut, "/v1/config", admintest.TrafficYAML, hdr...)
		r.refused(t, 415, `send the traffic document as application/yaml or application/json, not "`+ct+`"`)
	}
	big := admintest.TrafficYAML + "# " + strings.Repeat("x", 2048) + "\n"
	a.do(http.MethodPut, "/v1/config", big, "Content-Type", "application/yaml").refused(t, 413, "the body is larger than the limit of 2048 bytes")

	// Without Content-Length (chunked), the limit holds as the body is read.
	req, _ := http.NewRequest(http.MethodPut, a.srv.URL+"/v1/config", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked body over the limit: %d", resp.StatusCode)
	}
	if b.Applies() != 0 {
		t.Errorf("a refused body was stored")
	}
	a.do(http.MethodPut, "/v1/config?wait=forever", admintest.TrafficYAML, "Content-Type", "application/yaml").refused(t, 400, `wait="forever": the only wait is insync`)
	a.do(http.MethodPut, "/v1/config?wait=insync&wait_timeout=1h", admintest.TrafficYAML, "Content-Type", "application/yaml").refused(t, 400, `wait_timeout="1h": want a duration such as 30s, at most 10m0s`)
}

func TestPutConfigWaitInSync(t *testing.T) {
	b := admintest.New("n1", nil)
	b.AddMember(member.Member{ID: "n2"})
	b.SetLagging("n2", true)
	a := newAPI(t, b, admin.Options{WaitTimeout: 50 * time.Millisecond})

	// n2 never catches up: PENDING after the timeout, saying who lags.
	start := time.Now()
	r := a.do(http.MethodPut, "/v1/config?wait=insync", changed, "Content-Type", "application/yaml")
	var res admin.ApplyResult
	r.decode(t, 200, &res)
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("returned before the wait timeout")
	}
	if res.Status != admin.StatusPending || res.InSync || len(res.NotInSync) != 1 || res.NotInSync[0] != "n2" || res.Waited == "" {
		t.Errorf("timed out: %+v", res)
	}
	for _, m := range res.Members {
		if m.ID == "n2" && (m.InSync || m.Revision != 1) {
			t.Errorf("n2: %+v", m)
		}
	}

	// n2 catches up after the second poll: INSYNC.
	var calls atomic.Int32
	b.OnInSync(func(n int) {
		if calls.Add(1) == 2 {
			b.SetLagging("n2", false)
		}
	})
	r = a.do(http.MethodPut, "/v1/config?wait=insync&wait_timeout=10s", admintest.TrafficWithTTL(46), "Content-Type", "application/yaml")
	res = admin.ApplyResult{}
	r.decode(t, 200, &res)
	if res.Status != admin.StatusInSync || !res.InSync || res.NotInSync != nil || res.Revision != 3 {
		t.Errorf("in sync: %+v", res)
	}
	if calls.Load() < 3 {
		t.Errorf("InSync asked %d times, want at least 3", calls.Load())
	}
}

// TestPutConfigCeiling checks that a dry run and an apply agree on the
// document ceiling: a document whose stored form is just under
// config.MaxDocumentBytes passes both, one just over it (from a smaller
// body) is refused by both with 413 and its size, before the backend is
// asked; a body over the ceiling is refused unread.
func TestPutConfigCeiling(t *testing.T) {
	under, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})

	var dry admin.DryRunResult
	a.putJSON("/v1/config?dry_run=1", string(under.Source)).decode(t, http.StatusOK, &dry)
	if !dry.Valid {
		t.Errorf("dry run of the document under the ceiling: %+v", dry)
	}
	var res admin.ApplyResult
	a.putJSON("/v1/config", string(under.Source)).decode(t, http.StatusOK, &res)
	applies := b.Applies()

	want := fmt.Sprintf("the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of 1500000 bytes: the cluster store (etcd) refuses a write over 1.5 MiB", len(over.Stored))
	a.putJSON("/v1/config?dry_run=1", string(over.Source)).refused(t, http.StatusRequestEntityTooLarge, want)
	a.putJSON("/v1/config", string(over.Source)).refused(t, http.StatusRequestEntityTooLarge, want)

	body := string(under.Source) + strings.Repeat(" ", config.MaxDocumentBytes+1-len(under.Source))
	tooBig := "the body is larger than the limit of 1500000 bytes of a traffic document: the cluster store (etcd) refuses a write over 1.5 MiB"
	a.putJSON("/v1/config?dry_run=1", body).refused(t, http.StatusRequestEntityTooLarge, tooBig)
	a.putJSON("/v1/config", body).refused(t, http.StatusRequestEntityTooLarge, tooBig)
	if b.Applies() != applies {
		t.Errorf("%d applies after the refusals, want %d", b.Applies(), applies)
	}
}

// TestPutConfigBomb checks that documents built to expand without end are
// refused with one fault at the place, by a dry run and an apply alike.
func TestPutConfigBomb(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})
	var bomb strings.Builder
	bomb.WriteString("services:\n  - name: www.example.com.\n    endpoints:\n      - &e0 {id: a}\n")
	for l := 1; l <= 12; l++ {
		fmt.Fprintf(&bomb, "      - &e%d {<<: [%s]}\n", l, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*e%d, ", l-1), 10), ", "))
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"merge bomb", bomb.String(), "the document is invalid: request body:8:34: services[0].endpoints[4].<<: aliases expand the document past 10923 values, the most a document of 923 bytes may stand for; write out fewer values through anchors"},
		{"merge cycle", "services:\n  - &x {<<: *x}\n", "the document is invalid: request body:2:13: services[0].<<: alias *x is inside the value it names, which would repeat without end"},
	} {
		for _, path := range []string{"/v1/config?dry_run=1", "/v1/config"} {
			a.do(http.MethodPut, path, tc.doc, "Content-Type", "application/yaml").refused(t, http.StatusBadRequest, tc.want)
		}
	}
	if b.Applies() != 0 {
		t.Errorf("a refused document was stored")
	}
}
