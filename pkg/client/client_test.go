package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/client"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/health"
)

// node serves the admin API over an in-memory backend on loopback and
// returns a client of it.
func node(t *testing.T, opts admin.Options, token string) (*admintest.Backend, *client.Client) {
	t.Helper()
	b := admintest.New("n1", nil)
	srv := admintest.NewServer(t, b, opts)
	return b, newClient(t, client.Options{URL: srv.URL, Token: token})
}

func newClient(t *testing.T, o client.Options) *client.Client {
	t.Helper()
	c, err := client.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// apiError returns err's *APIError, failing the test when it is none.
func apiError(t *testing.T, err error) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is no *client.APIError", err, err)
	}
	return ae
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewURL(t *testing.T) {
	for _, tc := range []struct {
		in, url, err string
	}{
		{"http://127.0.0.1:8300", "http://127.0.0.1:8300", ""},
		{"127.0.0.1:8300", "http://127.0.0.1:8300", ""},
		{"https://gtmd.example:8300/", "https://gtmd.example:8300", ""},
		{"http://proxy.example/gtmd/", "http://proxy.example/gtmd", ""},
		{"ftp://x", "", `admin API URL "ftp://x": want an http or https URL`},
		{"http://x/?a=b", "", `admin API URL "http://x/?a=b"`},
		{"", "", `admin API URL "http://"`},
	} {
		c, err := client.New(client.Options{URL: tc.in})
		if tc.err != "" {
			var ue *client.URLError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q): %v, want a *URLError with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || c.URL() != tc.url {
			t.Errorf("New(%q): %v %v, want %s", tc.in, c, err, tc.url)
		}
	}
}

func TestReadTokenFile(t *testing.T) {
	for _, tc := range []struct {
		name, content, token, err string
	}{
		{"plain", "tok", "tok", ""},
		{"blank space around", "  tok\n\n", "tok", ""},
		{"empty", "\n", "", "is empty"},
		{"two words", "tok other\n", "", "holds more than one word; it should hold the token alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token, err := client.ReadTokenFile(writeFile(t, "token", tc.content))
			if token != tc.token || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("got %q, %v; want %q, error with %q", token, err, tc.token, tc.err)
			}
		})
	}
	if _, err := client.ReadTokenFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v, want one that wraps os.ErrNotExist", err)
	}
}

func TestConfigAndApply(t *testing.T) {
	b, c := node(t, admin.Options{}, "")
	ctx := t.Context()

	doc, rev, err := c.Config(ctx)
	if err != nil || rev != 1 || len(doc.Services) != 1 {
		t.Fatalf("Config: %v, revision %d", err, rev)
	}
	y, err := c.Document(ctx, client.YAML)
	if err != nil || y.Revision != 1 || y.ContentType != client.YAML || !strings.HasPrefix(string(y.Body), "zones:\n") {
		t.Fatalf("Document(YAML): %v %+v", err, y)
	}

	dry, err := c.DryRun(ctx, []byte(admintest.TrafficYAML), client.ApplyOptions{ContentType: client.YAML})
	if err != nil || !dry.Valid || !dry.DryRun || dry.Revision != 1 || dry.Services != 1 || b.Revision() != 1 {
		t.Fatalf("DryRun: %v %+v, revision %d", err, dry, b.Revision())
	}
	// The stored document again: unchanged, nothing stored.
	res, err := c.Apply(ctx, y.Body, client.ApplyOptions{ContentType: client.YAML, IfMatch: y.Revision})
	if err != nil || res.Revision != 1 || !res.Unchanged || b.Revision() != 1 {
		t.Fatalf("Apply of the stored document: %v %+v, revision %d", err, res, b.Revision())
	}
	res, err = c.Apply(ctx, []byte(admintest.TrafficWithTTL(31)), client.ApplyOptions{ContentType: client.YAML, IfMatch: y.Revision})
	if err != nil || res.Revision != 2 || res.Unchanged || !res.InSync || res.Status != admin.StatusInSync {
		t.Fatalf("Apply: %v %+v", err, res)
	}
	// A stale If-Match is a 412 that names the stored revision.
	_, err = c.Apply(ctx, []byte(admintest.TrafficWithTTL(32)), client.ApplyOptions{ContentType: client.YAML, IfMatch: 1})
	if ae := apiError(t, err); ae.Status != http.StatusPreconditionFailed || ae.Revision != 2 || b.Revision() != 2 {
		t.Errorf("stale If-Match: %+v, revision %d", ae, b.Revision())
	}

	// A document with two faults: every fault, each on its own line.
	bad := strings.Replace(strings.Replace(admintest.TrafficYAML, "check: us-web", "check: nope", 1), "check: pushed", "check: nada", 1)
	_, err = c.DryRun(ctx, []byte(bad), client.ApplyOptions{ContentType: client.YAML})
	ae := apiError(t, err)
	if ae.Status != http.StatusBadRequest || len(ae.Faults) != 2 || strings.Count(err.Error(), "\n  ") != 2 {
		t.Errorf("invalid document: %d %q %+v", ae.Status, err, ae.Faults)
	}
}

func TestApplyWait(t *testing.T) {
	b, c := node(t, admin.Options{}, "")
	b.AddMember(member.Member{ID: "n2"})
	res, err := c.Apply(t.Context(), []byte(admintest.TrafficWithTTL(31)), client.ApplyOptions{ContentType: client.YAML, Wait: true})
	if err != nil || !res.InSync || len(res.Members) != 2 || res.Waited == "" {
		t.Fatalf("Apply with Wait: %v %+v", err, res)
	}
	b.SetLagging("n2", true)
	res, err = c.Apply(t.Context(), []byte(admintest.TrafficWithTTL(32)), client.ApplyOptions{ContentType: client.YAML, Wait: true, WaitTimeout: 1})
	if err != nil || res.InSync || res.Status != admin.StatusPending || strings.Join(res.NotInSync, ",") != "n2" {
		t.Errorf("Apply with Wait, n2 lagging: %v %+v", err, res)
	}
}

func TestHealthMembersOverrides(t *testing.T) {
	b, c := node(t, admin.Options{}, "")
	ctx := t.Context()
	b.AddMember(member.Member{ID: "n2", Region: "eu"})

	ms, err := c.Members(ctx)
	if err != nil || len(ms) != 2 {
		t.Fatalf("Members: %v %+v", err, ms)
	}
	res, err := c.Drain(ctx, "WWW.example.com", "us-east", "maintenance")
	if err != nil || res.Service != "www.example.com." || res.Override == nil || res.Override.State != "down" {
		t.Fatalf("Drain: %v %+v", err, res)
	}
	eps, err := c.Health(ctx)
	if err != nil || len(eps) != 2 {
		t.Fatalf("Health: %v %+v", err, eps)
	}
	for _, e := range eps {
		if drained := e.Endpoint == "us-east"; drained == e.Healthy || drained != (e.Override != nil) {
			t.Errorf("after draining us-east: %+v", e)
		}
	}
	if _, err := c.SetOverride(ctx, "www.example.com.", "eu-west", admin.OverrideRequest{State: "up"}); err != nil {
		t.Fatal(err)
	}
	if o, ok := b.Override("www.example.com.", "eu-west"); !ok || o.State != "up" {
		t.Errorf("SetOverride up: %+v %v", o, ok)
	}
	for _, ep := range []string{"us-east", "eu-west"} {
		if res, err := c.ClearOverride(ctx, "www.example.com", ep); err != nil || res.Override != nil {
			t.Errorf("ClearOverride %s: %v %+v", ep, err, res)
		}
	}
	// Nothing to clear is no error; an unknown endpoint is, naming the
	// service's endpoints.
	if res, err := c.ClearOverride(ctx, "www.example.com", "us-east"); err != nil || !res.NoOverride {
		t.Errorf("clearing no override: %v %+v", err, res)
	}
	_, err = c.ClearOverride(ctx, "www.example.com", "ap-south")
	if ae := apiError(t, err); ae.Status != http.StatusNotFound || ae.Message != "service www.example.com. has no endpoint ap-south; its endpoints are us-east, eu-west: not found" {
		t.Errorf("clearing an unknown endpoint: %+v", ae)
	}

	st, err := c.SetCheckStatus(ctx, "pushed", false, 30*time.Second)
	if healthy, ttl, ok := b.External("pushed"); err != nil || st.Healthy || !ok || healthy || ttl.String() != "30s" {
		t.Errorf("SetCheckStatus: %v %+v; backend: %v %v %v", err, st, healthy, ttl, ok)
	}
	_, err = c.SetCheckStatus(ctx, "us-web", true, 30*time.Second)
	if ae := apiError(t, err); ae.Status != http.StatusConflict {
		t.Errorf("status of a check that is not external: %+v", ae)
	}
}

func TestExplain(t *testing.T) {
	_, c := node(t, admin.Options{}, "")
	ex, err := c.Explain(t.Context(), client.ExplainQuery{Name: "www.example.com", Type: "A", Client: "192.0.2.9", ECS: "198.51.100.0/24"})
	if err != nil || ex.Node != "n1" || ex.Client.Address != "192.0.2.9" || ex.Client.Subnet != "198.51.100.0/24" || len(ex.Answer) != 1 {
		t.Fatalf("Explain: %v %+v", err, ex)
	}
	_, err = c.Explain(t.Context(), client.ExplainQuery{Name: "www.example.com", Type: "BOGUS"})
	if ae := apiError(t, err); ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, `type "BOGUS"`) {
		t.Errorf("a bad type: %+v", ae)
	}

	b2 := admintest.New("n2", nil)
	s2 := admintest.NewServer(t, b2, admin.Options{})
	peers, err := admin.NewPeers([]string{s2.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b1 := admintest.New("n1", nil)
	c = newClient(t, client.Options{URL: admintest.NewServer(t, b1, admin.Options{Peers: peers}).URL})
	b1.AddMember(member.Member{ID: "n2", Admin: s2.URL})
	if err := b2.SetOverride(t.Context(), "www.example.com.", "us-east", health.Override{State: "down"}); err != nil {
		t.Fatal(err)
	}
	all, err := c.ExplainAll(t.Context(), client.ExplainQuery{Name: "www.example.com"})
	if err != nil || all.Agree || len(all.Nodes) != 2 || !strings.HasPrefix(all.Disagreement, "n1 answers") {
		t.Errorf("ExplainAll: %v %+v", err, all)
	}
}

// TestRequests checks what goes on the wire: the token, the User-Agent,
// and a base URL's path prefix.
func TestRequests(t *testing.T) {
	tokens := writeFile(t, "tokens", "viewer read "+admin.HashToken("read-token")+"\n")
	b := admintest.New("n1", nil)
	h, err := admin.New(admin.Options{Backend: b, NodeID: "n1", TokensFile: tokens})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var agents []string
	mux := http.NewServeMux()
	mux.Handle("/gtmd/", http.StripPrefix("/gtmd", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		h.ServeHTTP(w, r)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		name, token, agent string
		status             int
	}{
		{"no token", "", "gtmd-client", http.StatusUnauthorized},
		{"unknown token", "wrong", "gtmd-client", http.StatusUnauthorized},
		{"read token", "read-token", "gtmd/1.2.3", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ua := ""
			if tc.agent != "gtmd-client" {
				ua = tc.agent
			}
			c := newClient(t, client.Options{URL: srv.URL + "/gtmd/", Token: tc.token, UserAgent: ua})
			_, err := c.Members(t.Context())
			if tc.status == 0 && err != nil {
				t.Errorf("Members: %v", err)
			}
			if tc.status != 0 && apiError(t, err).Status != tc.status {
				t.Errorf("Members: %v, want status %d", err, tc.status)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(agents) == 0 || agents[len(agents)-1] != tc.agent {
				t.Errorf("User-Agent %q, want %q", agents, tc.agent)
			}
		})
	}
	c := newClient(t, client.Options{URL: srv.URL + "/gtmd", Token: "read-token"})
	_, err = c.Drain(t.Context(), "www.example.com", "us-east", "")
	if ae := apiError(t, err); ae.Status != http.StatusForbidden || !strings.Contains(ae.Message, "needs a token with the write role") {
		t.Errorf("a read token drains: %+v", ae)
	}
}

// TestNotGtmd checks the errors of a node that cannot be reached, and of
// an answer that is not gtmd's.
func TestNotGtmd(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err := newClient(t, client.Options{URL: closed.URL}).Health(t.Context())
	var ae *client.APIError
	if err == nil || errors.As(err, &ae) || !strings.HasPrefix(err.Error(), "cannot reach the admin API at "+closed.URL+": ") {
		t.Errorf("a closed port: %v", err)
	}

	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		status  int
		msg     string
	}{
		{"an error page", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "teapot", http.StatusTeapot) }, http.StatusTeapot, "418 I'm a teapot from "},
		{"a JSON body of another shape", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"endpoints": 3}`)) }, 0, "the answer is not what this gtmd expects (another version?): "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			_, err := newClient(t, client.Options{URL: srv.URL}).Health(t.Context())
			if err == nil || !strings.HasPrefix(err.Error(), strings.ReplaceAll(tc.msg, "from ", "from "+srv.URL)) {
				t.Errorf("%v, want %q", err, tc.msg)
			}
			if got := errors.As(err, &ae); got != (tc.status != 0) || (got && ae.Status != tc.status) {
				t.Errorf("APIError: %v %+v, want status %d", got, ae, tc.status)
			}
		})
	}
}

func TestReady(t *testing.T) {
	b, c := node(t, admin.Options{}, "")
	for _, tc := range []struct {
		ready    bool
		degraded string
		status   string
	}{
		{true, "", "ready"},
		{true, "the store is unreachable", "degraded: the store is unreachable"},
		{false, "", "not ready: no traffic document loaded"},
	} {
		b.SetReady(tc.ready, tc.degraded)
		ready, status, err := c.Ready(t.Context())
		if err != nil || ready != tc.ready || status != tc.status {
			t.Errorf("Ready with (%v, %q): %v %q %v; want %v %q", tc.ready, tc.degraded, ready, status, err, tc.ready, tc.status)
		}
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if _, _, err := newClient(t, client.Options{URL: closed.URL}).Ready(t.Context()); err == nil {
		t.Error("Ready of a closed port: no error")
	}
}
