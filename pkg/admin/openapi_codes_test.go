package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestOpenAPIDocumentsWhatRoutesAnswer calls every route of a served API
// the ways that draw its refusals (no token, a read token, bodies of each
// kind, too many requests in progress) and holds api/openapi.yaml to
// documenting, for that route, every status it answered. It also checks
// that the refusals each route must give were drawn: 429 from every
// route, 401 from those behind a token (and /metrics with metrics_token),
// 403 from writes, 413 from those that read a body.
func TestOpenAPIDocumentsWhatRoutesAnswer(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	documented := map[string][]string{}
	for _, rt := range admin.Routes() {
		var op operation
		node, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			continue // TestOpenAPIMatchesRoutes says so
		}
		if err := node.Decode(&op); err != nil {
			t.Fatalf("%s %s: %v", rt.Method, rt.Path, err)
		}
		for code := range op.Responses {
			documented[rt.Method+" "+rt.Path] = append(documented[rt.Method+" "+rt.Path], code)
		}
	}

	answered := map[string][]string{}
	record := func(rt admin.Route, code int, how string) {
		key, c := rt.Method+" "+rt.Path, fmt.Sprint(code)
		if !slices.Contains(documented[key], c) {
			t.Errorf("%s answers %s to %s; api/openapi.yaml does not say so", key, c, how)
		}
		answered[key] = append(answered[key], c)
	}

	// The API as gtmd serve serves it, with tokens, /metrics behind one,
	// and a small body limit.
	const maxBody = 1024
	withTokens := serveLimited(t, admintest.New("n1", nil), config.AdminLimits{},
		admin.Options{Tokens: testTokens(t), MetricsToken: true, MaxBodyBytes: maxBody, MaxZoneFileBytes: maxBody}, admin.ServerOptions{})
	c := clientFrom("127.0.0.1")
	for _, rt := range admin.Routes() {
		for _, p := range []struct {
			how, token, contentType, body string
		}{
			{"no token", "", "", ""},
			{"a read token", "alice-token", "", ""},
			{"a write token", "ops-token", "", ""},
			{"a JSON body", "ops-token", "application/json", "{}"},
			{"a body over the limit", "ops-token", "application/json", strings.Repeat(" ", maxBody+1)},
			{"a body of another type", "ops-token", "text/plain", "x"},
		} {
			record(rt, status(t, c, withTokens.url(routePath(rt)), rt.Method, p.token, p.contentType, p.body), p.how)
		}
	}

	// The DNSSEC calls over a backend that signs zones: the 501s above
	// were of one that does not.
	signing := serveLimited(t, admintest.NewDNSSEC("n1", nil), config.AdminLimits{},
		admin.Options{Tokens: testTokens(t), MaxBodyBytes: maxBody}, admin.ServerOptions{})
	for _, rt := range admin.Routes() {
		if !strings.HasPrefix(rt.Path, "/v1/dnssec/") {
			continue
		}
		for _, p := range []struct{ how, token, zone string }{
			{"a read token", "alice-token", "example.com"},
			{"a write token", "ops-token", "example.com"},
			{"a write token, again", "ops-token", "example.com"},
			{"a zone not served", "ops-token", "example.net"},
			{"a name that is no domain name", "ops-token", "a..b"},
		} {
			path := strings.ReplaceAll(rt.Path, "{zone}", p.zone)
			record(rt, status(t, c, signing.url(path), rt.Method, p.token, "", ""), p.how+" over a signing backend")
		}
	}

	// Without tokens the requests in progress count by client address: an
	// event stream holds the only place, and every call is one too many.
	busy := serveLimited(t, admintest.New("n1", nil), config.AdminLimits{MaxRequestsPerToken: 1}, admin.Options{}, admin.ServerOptions{})
	openStream(t, c, busy.url("/v1/events"), "")
	for _, rt := range admin.Routes() {
		record(rt, status(t, c, busy.url(routePath(rt)), rt.Method, "", "", ""), "a request beyond max_requests_per_token")
	}

	for _, rt := range admin.Routes() {
		key := rt.Method + " " + rt.Path
		want := []string{"429"}
		if rt.Auth || rt.Path == "/metrics" {
			want = append(want, "401")
		}
		if rt.Write {
			want = append(want, "403")
		}
		if rt.Method == http.MethodPut {
			want = append(want, "413")
		}
		t.Logf("%s answered %v", key, answered[key])
		for _, code := range want {
			if !slices.Contains(answered[key], code) {
				t.Errorf("%s never answered %s (answered %v)", key, code, answered[key])
			}
		}
	}
}

// routePath fills a route's path parameters.
func routePath(rt admin.Route) string {
	return strings.NewReplacer("{service}", "www.example.com.", "{endpoint}", "a", "{name}", "c", "{zone}", "example.com", "{region}", "us-east").Replace(rt.Path)
}

// status sends one request and returns the status it was answered with,
// without reading the body: an event stream's never ends.
func status(t *testing.T, c *http.Client, url, method, token, contentType, body string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
