package admin_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
)

// uiCookieName is the status page's cookie, as browsers see it.
const uiCookieName = "gtmd_token"

// uiCookieOf is the cookie a browser holds after opening /ui/?token=.
func uiCookieOf(token string) string {
	return uiCookieName + "=" + base64.RawURLEncoding.EncodeToString([]byte(token))
}

// uiAnswer is one answer of the status page or the API, read whole,
// redirects not followed.
type uiAnswer struct {
	status int
	header http.Header
	body   string
}

func uiCall(t *testing.T, srv *httptest.Server, method, path, body string, hdr ...string) uiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return uiAnswer{resp.StatusCode, resp.Header, string(b)}
}

// TestUICookie: ?token= trades a good token for a cookie and nothing
// else; the page and the API take the cookie as they take a bearer token,
// with the same roles; a write carried by the cookie must come from the
// page's own origin.
func TestUICookie(t *testing.T) {
	b := admintest.New("n1", nil)
	plain := admintest.NewServer(t, b, admin.Options{Tokens: testTokens(t)})
	h, err := admin.New(admin.Options{Backend: b, NodeID: "n1", Tokens: testTokens(t)})
	if err != nil {
		t.Fatal(err)
	}
	secure := httptest.NewTLSServer(h)
	t.Cleanup(secure.Close)

	read, write := uiCookieOf("alice-token"), uiCookieOf("ops-token")
	override := "/v1/overrides/www.example.com./us-east"
	drain := `{"state":"down","reason":"ui test"}`
	sameOrigin := func(srv *httptest.Server) string { return srv.URL }

	for _, c := range []struct {
		name         string
		tls          bool
		method, path string
		body         string
		hdr          []string
		// origin, when true, sends the server's own Origin.
		origin     bool
		wantStatus int
		// wantCookie is the Set-Cookie wanted, "" for none.
		wantCookie string
		wantType   string
		wantBody   string
	}{
		{name: "a read token is traded for a cookie", method: "GET", path: "/ui/?token=alice-token", wantStatus: 303,
			wantCookie: uiCookieOf("alice-token") + "; Path=/; HttpOnly; SameSite=Strict"},
		{name: "over TLS the cookie is Secure", tls: true, method: "GET", path: "/ui/?token=ops-token", wantStatus: 303,
			wantCookie: uiCookieOf("ops-token") + "; Path=/; HttpOnly; Secure; SameSite=Strict"},
		{name: "a bad token gets no cookie", method: "GET", path: "/ui/?token=nope", wantStatus: 401,
			wantType: "text/html; charset=utf-8", wantBody: "the token given in ?token= is not one of this node&#39;s tokens"},
		{name: "an empty token gets no cookie", method: "GET", path: "/ui/?token=", wantStatus: 401, wantType: "text/html; charset=utf-8"},
		{name: "the page without a token says how to open it", method: "GET", path: "/ui/", wantStatus: 401,
			wantType: "text/html; charset=utf-8", wantBody: "<p>this page needs a token.</p>\n<p>Open the page with a token of this node's tokens file, once:\n<code>/ui/?token=YOUR_TOKEN</code>"},
		{name: "a file of the page without a token", method: "GET", path: "/ui/app.js", wantStatus: 401, wantType: "text/html; charset=utf-8"},
		{name: "a cookie of no token", method: "GET", path: "/ui/", hdr: []string{"Cookie", uiCookieOf("nope")}, wantStatus: 401,
			wantBody: "the token of the gtmd_token cookie is not one of this node&#39;s tokens"},
		{name: "a cookie that is not base64", method: "GET", path: "/v1/members", hdr: []string{"Cookie", uiCookieName + "=%%%"}, wantStatus: 401,
			wantType: "application/json", wantBody: "this call needs a token"},
		{name: "the page with a read cookie", method: "GET", path: "/ui/", hdr: []string{"Cookie", read}, wantStatus: 200,
			wantType: "text/html; charset=utf-8", wantBody: `data-role="read"`},
		{name: "the page with a write bearer token", method: "GET", path: "/ui/", hdr: []string{"Authorization", "Bearer ops-token"}, wantStatus: 200,
			wantBody: `data-role="write"`},
		{name: "a script of the page", method: "GET", path: "/ui/app.js", hdr: []string{"Cookie", read}, wantStatus: 200,
			wantType: "text/javascript; charset=utf-8"},
		{name: "a file the page does not have", method: "GET", path: "/ui/secret.txt", hdr: []string{"Cookie", read}, wantStatus: 404,
			wantType: "text/html; charset=utf-8"},
		{name: "/v1 reads with a read cookie", method: "GET", path: "/v1/members", hdr: []string{"Cookie", read}, wantStatus: 200,
			wantType: "application/json", wantBody: `"id": "n1"`},
		{name: "a read cookie cannot drain", method: "PUT", path: override, body: drain, origin: true,
			hdr: []string{"Cookie", read, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin"}, wantStatus: 403,
			wantBody: "needs a token with the write role; token alice has the read role"},
		{name: "a write cookie drains from the page", method: "PUT", path: override, body: drain, origin: true,
			hdr: []string{"Cookie", write, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin"}, wantStatus: 200},
		{name: "a write cookie without Origin or Sec-Fetch-Site", method: "PUT", path: override, body: drain,
			hdr: []string{"Cookie", write, "Content-Type", "application/json"}, wantStatus: 403,
			wantBody: "must come from the status page"},
		{name: "a write cookie from another origin", method: "PUT", path: override, body: drain,
			hdr: []string{"Cookie", write, "Content-Type", "application/json", "Origin", "http://evil.example"}, wantStatus: 403,
			wantBody: "a write from another origin is refused: cross-origin request detected, and/or browser is out of date"},
		{name: "a write cookie from another site", method: "DELETE", path: override,
			hdr: []string{"Cookie", write, "Sec-Fetch-Site", "cross-site"}, wantStatus: 403,
			wantBody: "a write from another origin is refused: cross-origin request detected from Sec-Fetch-Site header"},
		{name: "a bearer token writes without Origin, as the CLI does", method: "PUT", path: override, body: drain,
			hdr: []string{"Authorization", "Bearer ops-token", "Content-Type", "application/json"}, wantStatus: 200},
		{name: "a bearer token wins over a cookie", method: "PUT", path: override, body: drain, origin: true,
			hdr: []string{"Authorization", "Bearer alice-token", "Cookie", write, "Content-Type", "application/json"}, wantStatus: 403,
			wantBody: "token alice has the read role"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := plain
			if c.tls {
				srv = secure
			}
			hdr := c.hdr
			if c.origin {
				hdr = append(hdr, "Origin", sameOrigin(srv))
			}
			got := uiCall(t, srv, c.method, c.path, c.body, hdr...)
			if got.status != c.wantStatus {
				t.Fatalf("status %d, want %d; body: %s", got.status, c.wantStatus, got.body)
			}
			if sc := got.header.Get("Set-Cookie"); sc != c.wantCookie {
				t.Errorf("Set-Cookie %q, want %q", sc, c.wantCookie)
			}
			if c.wantStatus == 303 {
				if loc := got.header.Get("Location"); loc != "/ui/" {
					t.Errorf("Location %q, want /ui/", loc)
				}
			}
			if ct := got.header.Get("Content-Type"); c.wantType != "" && ct != c.wantType {
				t.Errorf("Content-Type %q, want %q", ct, c.wantType)
			}
			if !strings.Contains(got.body, c.wantBody) {
				t.Errorf("body does not hold %q:\n%s", c.wantBody, got.body)
			}
		})
	}
}

// TestUICookieFollowsRedirect: a browser's way through, with a cookie jar
// and redirects followed: ?token= lands on the page.
func TestUICookieFollowsRedirect(t *testing.T) {
	srv := admintest.NewServer(t, admintest.New("n1", nil), admin.Options{Tokens: testTokens(t)})
	c := newBrowser(t)
	resp, err := c.Get(srv.URL + "/ui/?token=ops-token")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.RawQuery != "" || !strings.Contains(string(b), `data-role="write"`) {
		t.Fatalf("landed on %s with %d:\n%s", resp.Request.URL, resp.StatusCode, b)
	}
	// The event stream, as EventSource opens it: with the cookie only.
	resp, err = c.Get(srv.URL + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("events with the cookie: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestUIWithoutTokens: without a tokens file the page is open on a
// loopback Host, as the API is, and ?token= sets no cookie.
func TestUIWithoutTokens(t *testing.T) {
	srv := admintest.NewServer(t, admintest.New("n1", nil), admin.Options{})
	for _, c := range []struct {
		name, path, host string
		wantStatus       int
		wantBody         string
	}{
		{"loopback", "/ui/", "", 200, `data-role="write"`},
		{"localhost", "/ui/", "localhost", 200, `data-role="write"`},
		{"a token is no use", "/ui/?token=x", "", 303, ""},
		{"a rebound name", "/ui/", "gtmd.evil.example", 403, "is not a loopback address"},
		{"a rebound name with a token", "/ui/?token=x", "gtmd.evil.example", 403, "is not a loopback address"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.host != "" {
				hdr = []string{"Host", c.host}
			}
			got := uiCall(t, srv, "GET", c.path, "", hdr...)
			if got.status != c.wantStatus || !strings.Contains(got.body, c.wantBody) {
				t.Errorf("%d, want %d with %q:\n%s", got.status, c.wantStatus, c.wantBody, got.body)
			}
			if sc := got.header.Get("Set-Cookie"); sc != "" {
				t.Errorf("Set-Cookie %q without tokens", sc)
			}
		})
	}
}

// TestWriteFromAnotherOrigin: without tokens, the loopback API is all a
// web page of another site needs to reach; a write its browser sends is
// refused, while the CLI's and the page's own go through.
func TestWriteFromAnotherOrigin(t *testing.T) {
	srv := admintest.NewServer(t, admintest.New("n1", nil), admin.Options{})
	override := "/v1/overrides/www.example.com./us-east"
	for _, c := range []struct {
		name       string
		hdr        []string
		wantStatus int
	}{
		{"the CLI", nil, 200},
		{"the page", []string{"Origin", srv.URL, "Sec-Fetch-Site", "same-origin"}, 200},
		{"another origin", []string{"Origin", "http://evil.example"}, 403},
		{"another port", []string{"Origin", "http://127.0.0.1:1"}, 403},
		{"another site, no Origin", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"a sibling site", []string{"Origin", srv.URL, "Sec-Fetch-Site", "same-site"}, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := uiCall(t, srv, "PUT", override, `{"state":"down"}`, append([]string{"Content-Type", "application/json"}, c.hdr...)...)
			if got.status != c.wantStatus {
				t.Errorf("%d, want %d: %s", got.status, c.wantStatus, got.body)
			}
		})
	}
}

// TestUICookieExplainAllNodes: an explain of every node asked with the
// cookie reaches the other members with its token, as a bearer token.
func TestUICookieExplainAllNodes(t *testing.T) {
	b1, b2 := admintest.New("n1", nil), admintest.New("n2", nil)
	s2 := admintest.NewServer(t, b2, admin.Options{Tokens: testTokens(t)})
	b1.AddMember(member.Member{ID: "n2", Admin: s2.URL})
	s1 := admintest.NewServer(t, b1, admin.Options{Tokens: testTokens(t), Peers: peerClient(t, nil, s2.URL)})
	got := uiCall(t, s1, "GET", "/v1/explain?name=www.example.com&all_nodes=1", "", "Cookie", uiCookieOf("alice-token"))
	var all admin.ExplainAll
	(&reply{status: got.status, header: got.header, body: []byte(got.body)}).decode(t, 200, &all)
	if !all.Agree || len(all.Nodes) != 2 || all.Nodes[1].Explanation == nil {
		t.Errorf("n2 did not answer for the cookie's token: %+v", all)
	}
}

// newBrowser is a client that keeps cookies and follows redirects, as a
// browser does.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}
