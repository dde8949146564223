package admin_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

// TestUIPageSelfContained: every file the page names is one of its own,
// served from the binary, and nothing names another origin; the headers
// keep the browser to the page's origin.
func TestUIPageSelfContained(t *testing.T) {
	srv := admintest.NewServer(t, admintest.New("n1", nil), admin.Options{Tokens: testTokens(t)})
	cookie := uiCookieOf("alice-token")
	page := uiCall(t, srv, "GET", "/ui/", "", "Cookie", cookie)
	if page.status != 200 {
		t.Fatalf("/ui/: %d", page.status)
	}
	for _, want := range []string{`<meta name="viewport"`, `<output id="explain-output"`, `<dialog id="drain-dialog"`, `<html lang="en">`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page has no %s", want)
		}
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page.body, -1)
	if len(refs) < 3 {
		t.Fatalf("the page names %d files, want its style sheet and scripts", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		u, err := url.Parse(ref)
		if err != nil {
			t.Errorf("%q: %v", ref, err)
			continue
		}
		switch {
		case u.Scheme == "data" || strings.HasPrefix(ref, "#"):
			continue
		case u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "/"):
			t.Errorf("the page names %q, not a file of its own", ref)
			continue
		}
		got := uiCall(t, srv, "GET", "/ui/"+ref, "", "Cookie", cookie)
		if got.status != 200 || got.body == "" {
			t.Errorf("/ui/%s: %d, %d bytes", ref, got.status, len(got.body))
		}
	}
	// The scripts talk to the API by path only.
	for _, f := range []string{"app.js", "world.js", "style.css"} {
		body := uiCall(t, srv, "GET", "/ui/"+f, "", "Cookie", cookie).body
		if loc := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(body); loc != "" && !strings.Contains(loc, "www.w3.org") {
			t.Errorf("%s names another origin: %s", f, loc)
		}
	}
}
