package admin_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
)

func testTokens(t *testing.T) *admin.Tokens {
	t.Helper()
	tokens, err := admin.ParseTokens("tokens", strings.NewReader(
		"alice read "+admin.HashToken("alice-token")+"\n"+
			"bob read "+admin.HashToken("bob-token")+"\n"+
			"ops write "+admin.HashToken("ops-token")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// tooMany checks a 429: the JSON error body with the message, and
// Retry-After.
func tooMany(t *testing.T, status int, h http.Header, body, msg string) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body %s", status, body)
	}
	if got := h.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e admin.ErrorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("429 body is not the JSON error body: %v\n%s", err, body)
	}
	if e.Error != msg {
		t.Errorf("error:\n got %q\nwant %q", e.Error, msg)
	}
}

// TestRequestsPerTokenLimit: a token (without tokens, a client address)
// with max_requests_per_token requests in progress gets 429 for one more,
// while other tokens and addresses are served; once one ends, it is
// served again. Event streams, requests in progress for as long as they
// are open, hold the places.
func TestRequestsPerTokenLimit(t *testing.T) {
	for _, tc := range []struct {
		name          string
		tokens        bool
		holder, other *http.Client
		holderToken   string
		otherToken    string
		msg           string
	}{
		{
			name: "tokens", tokens: true,
			holder: clientFrom("127.0.0.1"), other: clientFrom("127.0.0.1"),
			holderToken: "alice-token", otherToken: "bob-token",
			msg: "token alice already has 2 requests in progress, the most admin.limits.max_requests_per_token allows; retry when one ends",
		},
		{
			name:   "client addresses",
			holder: clientFrom("127.0.0.1"), other: clientFrom("127.0.0.2"),
			msg: "client 127.0.0.1 already has 2 requests in progress, the most admin.limits.max_requests_per_token allows; retry when one ends",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := admintest.New("n1", nil)
			opts := admin.Options{}
			if tc.tokens {
				opts.Tokens = testTokens(t)
			}
			lim := config.AdminLimits{MaxRequestsPerToken: 2, MaxEventStreams: 10}
			a := serveLimited(t, b, lim, opts, admin.ServerOptions{})

			first := openStream(t, tc.holder, a.url("/v1/events"), tc.holderToken)
			openStream(t, tc.holder, a.url("/v1/events"), tc.holderToken)
			for _, path := range []string{"/v1/health", "/v1/events", "/healthz"} {
				if tc.tokens && path == "/healthz" {
					continue // an open call counts against the address, not the token
				}
				status, h, body := call(t, tc.holder, http.MethodGet, a.url(path), tc.holderToken)
				tooMany(t, status, h, body, tc.msg)
			}
			if got := a.metric("gtmd_admin_requests_limited_total", "token"); got < 2 {
				t.Errorf("gtmd_admin_requests_limited_total{limit=token} = %v after two refusals", got)
			}
			if status, _, body := call(t, tc.other, http.MethodGet, a.url("/v1/health"), tc.otherToken); status != http.StatusOK {
				t.Errorf("another client: %d %s", status, body)
			}
			first.close()
			waitFor(t, "the ended stream's place to be given back", func() bool {
				status, _, _ := call(t, tc.holder, http.MethodGet, a.url("/v1/health"), tc.holderToken)
				return status == http.StatusOK
			})
		})
	}
}

// TestEventStreamLimit: beyond max_event_streams open streams, a stream
// gets 429; other calls are served, and a stream opens again once one
// ends.
func TestEventStreamLimit(t *testing.T) {
	b := admintest.New("n1", nil)
	a := serveLimited(t, b, config.AdminLimits{MaxEventStreams: 2, MaxRequestsPerToken: 10}, admin.Options{}, admin.ServerOptions{})
	c := clientFrom("127.0.0.1")
	first := openStream(t, c, a.url("/v1/events"), "")
	openStream(t, c, a.url("/v1/events"), "")
	status, h, body := call(t, c, http.MethodGet, a.url("/v1/events"), "")
	tooMany(t, status, h, body, "2 event streams are open, the most admin.limits.max_event_streams allows; retry when one ends")
	if got := a.metric("gtmd_admin_requests_limited_total", "event_streams"); got != 1 {
		t.Errorf("gtmd_admin_requests_limited_total{limit=event_streams} = %v, want 1", got)
	}
	if status, _, body := call(t, c, http.MethodGet, a.url("/v1/health"), ""); status != http.StatusOK {
		t.Errorf("GET /v1/health with the streams full: %d %s", status, body)
	}
	first.close()
	waitFor(t, "a stream's place to be given back", func() bool { return b.Subscribers() == 1 })
	openStream(t, c, a.url("/v1/events"), "")
}

// TestMetricsToken: with admin.metrics_token and tokens, /metrics needs a
// token of any role; the probes stay open; without either, /metrics is
// open.
func TestMetricsToken(t *testing.T) {
	for _, tc := range []struct {
		name         string
		tokens       bool
		metricsToken bool
		token        string
		want         int
	}{
		{"no token", true, true, "", 401},
		{"unknown token", true, true, "nobody", 401},
		{"read token", true, true, "alice-token", 200},
		{"write token", true, true, "ops-token", 200},
		{"metrics_token off", true, false, "", 200},
		{"no tokens file", false, true, "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := admin.Options{MetricsToken: tc.metricsToken}
			if tc.tokens {
				opts.Tokens = testTokens(t)
			}
			a := newAPI(t, admintest.New("n1", nil), opts)
			a.token = tc.token
			r := a.get("/metrics")
			if r.status != tc.want {
				t.Fatalf("GET /metrics: %d, want %d; %s", r.status, tc.want, r.body)
			}
			if tc.want == 401 {
				r.refused(t, 401, "")
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			}
			a.token = ""
			for _, p := range []string{"/healthz", "/readyz"} {
				if r := a.get(p); r.status != 200 && r.status != 503 {
					t.Errorf("GET %s without a token: %d %s", p, r.status, r.body)
				}
			}
		})
	}
}

// TestConnectionClosedAfterRefusal: after a 401 or 403 the server closes
// the connection, so a client without a good token holds nothing; an
// answered request keeps it open for the next.
func TestConnectionClosedAfterRefusal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		req    string
		status int
		closed bool
	}{
		{"no token", "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 401, true},
		{"unknown token", "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer nobody\r\n\r\n", 401, true},
		{"read token on a write call", "DELETE /v1/overrides/www.example.com/us-east HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer alice-token\r\n\r\n", 403, true},
		{"good token", "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer alice-token\r\n\r\n", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := serveLimited(t, admintest.New("n1", nil), config.AdminLimits{}, admin.Options{Tokens: testTokens(t)}, admin.ServerOptions{})
			c := dialRaw(t, a.addr)
			resp, body := c.send(t, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			// ReadResponse takes Connection: close into resp.Close.
			if resp.Close != tc.closed {
				t.Errorf("Connection: close is %v, want %v", resp.Close, tc.closed)
			}
			if tc.closed {
				if rest := c.closedByServer(t); rest != "" {
					t.Errorf("after the refusal the server wrote %q", rest)
				}
				return
			}
			if resp, body := c.get(t, "/healthz"); resp.StatusCode != 200 {
				t.Errorf("second request on the connection: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestEventStreamOutlivesTimeouts: a stream open far longer than the
// read and write timeouts still delivers events: neither deadline of the
// server cuts it.
func TestEventStreamOutlivesTimeouts(t *testing.T) {
	b := admintest.New("n1", nil)
	short := config.Duration(100 * time.Millisecond)
	lim := config.AdminLimits{ReadHeaderTimeout: short, ReadTimeout: short, WriteTimeout: short}
	a := serveLimited(t, b, lim, admin.Options{Heartbeat: 10 * time.Millisecond}, admin.ServerOptions{})
	c := dialRaw(t, a.addr)
	if _, err := c.Write([]byte("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(closeWait))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v1/events: %v %v", resp, err)
	}
	// Heartbeats, each 10 ms apart, until 40 have come: the stream has
	// then been open four times the timeouts.
	lines := newLineReader(resp)
	for n := 0; n < 40; {
		line, err := lines.next()
		if err != nil {
			t.Fatalf("the stream ended after %d heartbeats: %v", n, err)
		}
		if line == ": heartbeat" {
			n++
		}
	}
	b.Publish(admin.ConfigApplied{Revision: 7})
	for {
		line, err := lines.next()
		if err != nil {
			t.Fatalf("the stream ended before the event: %v", err)
		}
		if line == "event: config" {
			return
		}
	}
}

// TestWaitOutlivesWriteTimeout: PUT /v1/config?wait=insync may wait
// longer than the write timeout and still answer.
func TestWaitOutlivesWriteTimeout(t *testing.T) {
	b := admintest.New("n1", nil)
	b.AddMember(member.Member{ID: "n2"})
	b.SetLagging("n2", true)
	lim := config.AdminLimits{WriteTimeout: config.Duration(100 * time.Millisecond)}
	a := serveLimited(t, b, lim, admin.Options{}, admin.ServerOptions{})
	req, err := http.NewRequest(http.MethodPut, a.url("/v1/config?wait=insync&wait_timeout=400ms"), strings.NewReader(admintest.TrafficWithTTL(46)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := clientFrom("127.0.0.1").Do(req)
	if err != nil {
		t.Fatalf("PUT /v1/config?wait=insync waiting past the write timeout: %v", err)
	}
	defer resp.Body.Close()
	var res admin.ApplyResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d, %v", resp.StatusCode, err)
	}
	if res.Status != admin.StatusPending || res.Waited == "" {
		t.Errorf("%+v, want PENDING after waiting for n2", res)
	}
}
