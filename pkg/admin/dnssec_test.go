package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

// newDNSSECAPI serves the API over a backend that signs every zone.
func newDNSSECAPI(t *testing.T, opts admin.Options) (*admintest.DNSSEC, *api) {
	t.Helper()
	d := admintest.NewDNSSEC("n1", nil)
	return d, &api{t: t, srv: admintest.NewDNSSECServer(t, d, opts)}
}

// dsLine is one DS record as the parent's zone file takes it.
var dsLine = regexp.MustCompile(`^example\.com\.\s+3600\s+IN\s+DS\s+\d+ 13 2 [0-9A-F]{64}$`)

// TestDNSSECZoneNormalised: the zone of every call reaches the backend
// lower case with its final dot, however the path spells it.
func TestDNSSECZoneNormalised(t *testing.T) {
	for _, zone := range []string{"example.com", "example.com.", "Example.COM", "EXAMPLE.COM."} {
		for _, suffix := range []string{"", "/ds"} {
			t.Run(zone+suffix, func(t *testing.T) {
				d, a := newDNSSECAPI(t, admin.Options{})
				if r := a.get("/v1/dnssec/" + zone + suffix); r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				if got := d.Calls(); !slices.Equal(got, []string{"example.com."}) {
					t.Errorf("the backend got %q, want [example.com.]", got)
				}
			})
		}
	}
}

// TestDNSSECDS: the DS records as plain text, one a line, ready to paste;
// a zone not served is a JSON 404.
func TestDNSSECDS(t *testing.T) {
	_, a := newDNSSECAPI(t, admin.Options{})
	r := a.get("/v1/dnssec/example.com/ds")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/plain; charset=utf-8", ct)
	}
	body := string(r.body)
	if !strings.HasSuffix(body, "\n") {
		t.Errorf("the body does not end with a newline: %q", body)
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != 1 || !dsLine.MatchString(lines[0]) {
		t.Errorf("DS lines %q, want one matching %s", lines, dsLine)
	}
	if r := a.do(http.MethodHead, "/v1/dnssec/example.com/ds", ""); r.status != 200 || len(r.body) != 0 {
		t.Errorf("HEAD: %d with %d bytes", r.status, len(r.body))
	}

	a.get("/v1/dnssec/example.net/ds").refused(t, 404, "zone example.net. is not served: not found")
	a.get("/v1/dnssec/%20/ds").refused(t, 400, "the path needs a zone: /v1/dnssec/{zone}")
	a.get("/v1/dnssec/a..b/ds").refused(t, 400, `zone "a..b" is not a domain name`)
}

// TestDNSSECRollover walks a rollover through the API: started once,
// refused while in progress, DS submitted once; the status tells each
// step, and the DS lines follow the keys.
func TestDNSSECRollover(t *testing.T) {
	_, a := newDNSSECAPI(t, admin.Options{})
	status := func(r *reply, code int) admin.DNSSECStatus {
		t.Helper()
		var st admin.DNSSECStatus
		r.decode(t, code, &st)
		return st
	}
	st := status(a.get("/v1/dnssec/example.com"), 200)
	if st.Zone != "example.com." || !st.Enabled || !st.SigningReady || st.Rollover != nil || len(st.Keys) != 1 || st.Keys[0].Tag != admintest.FirstKeyTag {
		t.Fatalf("before: %+v", st)
	}

	st = status(a.do(http.MethodPost, "/v1/dnssec/example.com/rollover", ""), 200)
	if st.Rollover == nil || st.Rollover.WaitingFor != admin.DNSSECWaitingForDS || st.Rollover.Hint == "" || len(st.Keys) != 2 {
		t.Fatalf("after rollover: %+v", st)
	}
	if got := status(a.get("/v1/dnssec/example.com."), 200); got.Rollover == nil || got.Rollover.Step != st.Rollover.Step {
		t.Errorf("the status does not show the rollover: %+v", got)
	}
	if n := strings.Count(string(a.get("/v1/dnssec/example.com/ds").body), "\n"); n != 2 {
		t.Errorf("%d DS lines during the rollover, want the old and the new key's", n)
	}
	a.do(http.MethodPost, "/v1/dnssec/example.com/rollover", "").
		refused(t, 409, "zone example.com.: a key rollover is in progress (step ds-wait): not possible in the current state")

	st = status(a.do(http.MethodPost, "/v1/dnssec/example.com/submitted", ""), 200)
	if st.Rollover == nil || st.Rollover.WaitingFor != "" {
		t.Errorf("after submitted: %+v", st.Rollover)
	}
	a.do(http.MethodPost, "/v1/dnssec/example.com/submitted", "").
		refused(t, 409, "zone example.com.: no key rollover waits for a DS at the parent: not possible in the current state")
	a.do(http.MethodPost, "/v1/dnssec/example.net/rollover", "").refused(t, 404, "")
	a.do(http.MethodPut, "/v1/dnssec/example.com/rollover", "").refused(t, 405, "")
}

// TestDNSSECTokens: GETs take a read token, the POSTs a write token.
func TestDNSSECTokens(t *testing.T) {
	_, a := newDNSSECAPI(t, admin.Options{Tokens: testTokens(t)})
	tests := []struct {
		token, method, path string
		status              int
	}{
		{"", http.MethodGet, "/v1/dnssec/example.com", 401},
		{"", http.MethodGet, "/v1/dnssec/example.com/ds", 401},
		{"", http.MethodPost, "/v1/dnssec/example.com/rollover", 401},
		{"alice-token", http.MethodGet, "/v1/dnssec/example.com", 200},
		{"alice-token", http.MethodGet, "/v1/dnssec/example.com/ds", 200},
		{"alice-token", http.MethodPost, "/v1/dnssec/example.com/rollover", 403},
		{"alice-token", http.MethodPost, "/v1/dnssec/example.com/submitted", 403},
		// The refused rollover changed nothing: none waits for a DS.
		{"ops-token", http.MethodPost, "/v1/dnssec/example.com/submitted", 409},
		{"ops-token", http.MethodPost, "/v1/dnssec/example.com/rollover", 200},
		{"ops-token", http.MethodPost, "/v1/dnssec/example.com/submitted", 200},
	}
	for _, tc := range tests {
		a.token = tc.token
		if r := a.do(tc.method, tc.path, ""); r.status != tc.status {
			t.Errorf("%s %s with %q: %d, want %d: %s", tc.method, tc.path, tc.token, r.status, tc.status, r.body)
		}
	}
	a.token = "alice-token"
	a.do(http.MethodPost, "/v1/dnssec/example.com/rollover", "").
		refused(t, 403, "POST /v1/dnssec/{zone}/rollover changes the cluster and needs a token with the write role; token alice has the read role")
}

// TestDNSSECNotAvailable: over a backend without DNSSEC every call
// answers 501 with the API's JSON error.
func TestDNSSECNotAvailable(t *testing.T) {
	a := newAPI(t, admintest.New("n1", nil), admin.Options{})
	for _, rt := range admin.Routes() {
		if !strings.HasPrefix(rt.Path, "/v1/dnssec/") {
			continue
		}
		path := strings.ReplaceAll(rt.Path, "{zone}", "example.com")
		a.do(rt.Method, path, "").refused(t, 501, "DNSSEC is not available on this node: its backend does not sign zones")
	}
}

// TestDNSSECBackendFailure: the store's absence is a 503, not a 500.
func TestDNSSECBackendFailure(t *testing.T) {
	d, a := newDNSSECAPI(t, admin.Options{})
	d.SetErr(admin.ErrUnavailable)
	for _, path := range []string{"/v1/dnssec/example.com", "/v1/dnssec/example.com/ds"} {
		r := a.get(path)
		r.refused(t, 503, "")
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", path)
		}
	}
}

// TestDNSSECEvents: a rollover and a submitted DS through the API are
// streamed as dnssec events that decode to DNSSECChanged.
func TestDNSSECEvents(t *testing.T) {
	_, a := newDNSSECAPI(t, admin.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+"/v1/events", nil)
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan sseEvent, 4)
	go readEvents(bufio.NewReader(resp.Body), events, make(chan string, 4))

	a.do(http.MethodPost, "/v1/dnssec/example.com/rollover", "")
	a.do(http.MethodPost, "/v1/dnssec/example.com/submitted", "")
	for _, action := range []string{admin.DNSSECActionRollover, admin.DNSSECActionSubmitted} {
		ev := <-events
		var e admin.Event
		if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
			t.Fatalf("%s: %v", ev.data, err)
		}
		got, ok := e.Data.(admin.DNSSECChanged)
		if ev.typ != "dnssec" || !ok || got.Action != action || got.Zone != "example.com." || got.Rollover == nil {
			t.Errorf("event %s %s, decoded %#v; want a dnssec %s of example.com.", ev.typ, ev.data, e.Data, action)
		}
	}
}
