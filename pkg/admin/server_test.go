package admin_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

func TestNewNeedsBackend(t *testing.T) {
	if _, err := admin.New(admin.Options{}); err == nil || err.Error() != "admin: Options.Backend is required" {
		t.Fatalf("err = %v", err)
	}
}

func TestProbes(t *testing.T) {
	b := admintest.New("n1", nil)
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "gtmd_test_things_total", Help: "Things."})
	reg.MustRegister(c)
	a := newAPI(t, b, admin.Options{Gatherer: reg})

	for _, tc := range []struct {
		ready    bool
		degraded string
		status   int
		body     string
	}{
		{true, "", 200, "ready\n"},
		{true, "store unreachable", 200, "degraded: store unreachable\n"},
		{false, "", 503, "not ready: no traffic document loaded\n"},
	} {
		b.SetReady(tc.ready, tc.degraded)
		r := a.get("/readyz")
		if r.status != tc.status || string(r.body) != tc.body {
			t.Errorf("readyz with ready=%v degraded=%q: %d %q, want %d %q", tc.ready, tc.degraded, r.status, r.body, tc.status, tc.body)
		}
	}
	if r := a.get("/healthz"); r.status != 200 || string(r.body) != "ok\n" {
		t.Errorf("healthz: %d %q", r.status, r.body)
	}
	if r := a.get("/metrics"); r.status != 200 || !strings.Contains(string(r.body), "gtmd_test_things_total 0") {
		t.Errorf("metrics: %d %s", r.status, r.body)
	}
	if r := a.do(http.MethodHead, "/healthz", ""); r.status != 200 {
		t.Errorf("HEAD /healthz: %d", r.status)
	}
}

func TestNotFound(t *testing.T) {
	a := newAPI(t, admintest.New("n1", nil), admin.Options{})
	a.get("/v1/nothing").refused(t, 404, "no such call: GET /v1/nothing")
	a.get("/v2/config").refused(t, 404, "no such call: GET /v2/config")
	a.get("/v1/config/").refused(t, 404, "no such call: GET /v1/config/")
}

func TestMethodNotAllowed(t *testing.T) {
	a := newAPI(t, admintest.New("n1", nil), admin.Options{})
	for _, tc := range []struct{ method, path, allow string }{
		{"POST", "/v1/config", "GET, HEAD, PUT"},
		{"DELETE", "/v1/config", "GET, HEAD, PUT"},
		{"GET", "/v1/overrides/www.example.com/us-east", "DELETE, PUT"},
		{"POST", "/v1/members", "GET, HEAD"},
		{"GET", "/v1/checks/pushed/status", "PUT"},
		{"PUT", "/metrics", "GET, HEAD"},
	} {
		r := a.do(tc.method, tc.path, "")
		want := fmt.Sprintf("%s does not take %s; it takes %s", tc.path, tc.method, tc.allow)
		r.refused(t, 405, want)
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

func TestUnavailableAndInternalErrors(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})
	b.SetErr(admin.ErrUnavailable)
	for _, tc := range []struct{ method, path, body, msg string }{
		{"GET", "/v1/config", "", "traffic document: the store is unreachable"},
		{"PUT", "/v1/config", admintest.TrafficYAML, "applying the document: the store is unreachable"},
		{"GET", "/v1/health", "", "health: the store is unreachable"},
		{"GET", "/v1/members", "", "members: the store is unreachable"},
		{"GET", "/v1/explain?name=www.example.com", "", "explain: the store is unreachable"},
		{"GET", "/v1/explain?name=www.example.com&all_nodes=1", "", "members: the store is unreachable"},
		{"PUT", "/v1/overrides/www.example.com/us-east", `{"state":"down"}`, "endpoint us-east of service www.example.com.: the store is unreachable"},
		{"DELETE", "/v1/overrides/www.example.com/us-east", "", "override of endpoint us-east of service www.example.com.: the store is unreachable"},
		{"PUT", "/v1/checks/pushed/status", `{"healthy":true,"ttl":"30s"}`, "check pushed: the store is unreachable"},
		{"GET", "/v1/events", "", "events: the store is unreachable"},
	} {
		ct := "application/json"
		if strings.HasPrefix(tc.body, "zones") {
			ct = "application/yaml"
		}
		r := a.do(tc.method, tc.path, tc.body, "Content-Type", ct)
		r.refused(t, 503, tc.msg)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s %s: no Retry-After", tc.method, tc.path)
		}
	}
	b.SetErr(admintest.ErrBoom)
	a.get("/v1/members").refused(t, 500, "members: boom")
}

func TestRequestLogAtDebugOnly(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tokens, err := admin.ParseTokens("tokens", strings.NewReader("ops write "+admin.HashToken("s3cret-token")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := newAPI(t, admintest.New("n1", nil), admin.Options{Logger: log, Tokens: tokens})
	a.token = "s3cret-token"
	a.get("/v1/members?x=1")
	out := buf.String()
	for _, want := range []string{"admin request", "method=GET", "path=/v1/members", "status=200", "token=ops"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("the log holds the token:\n%s", out)
	}

	buf.Reset()
	quiet := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a = newAPI(t, admintest.New("n1", nil), admin.Options{Logger: quiet})
	a.get("/v1/members")
	if buf.Len() != 0 {
		t.Errorf("request logged at info level:\n%s", buf.String())
	}
}
