package admin_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

const (
	readToken  = "r-0123456789abcdef"
	writeToken = "w-fedcba9876543210"
)

func tokensFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHashToken(t *testing.T) {
	// printf %s abc | sha256sum
	if got := admin.HashToken("abc"); got != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashToken(abc) = %s", got)
	}
}

func TestParseTokens(t *testing.T) {
	h1, h2 := admin.HashToken("one"), admin.HashToken("two")
	hex1 := strings.TrimPrefix(h1, "sha256:")
	for _, tc := range []struct{ name, in, err string }{
		{"ok", "# ops tokens\n\nci read " + h1 + "\n  ops   write   " + strings.ToUpper(h2[:7]) + h2[7:] + "  \n", ""},
		{"uppercase hex", "ci read sha256:" + strings.ToUpper(hex1) + "\n", ""},
		{"two fields", "ci read\n", "tokens:1: want NAME ROLE sha256:HEX, found 2 fields"},
		{"four fields", "# c\nci read " + h1 + " extra\n", "tokens:2: want NAME ROLE sha256:HEX, found 4 fields"},
		{"role", "ci admin " + h1 + "\n", `tokens:1: token ci: role "admin" is neither read nor write`},
		{"plain token", "ci read one\n", "tokens:1: token ci: want sha256:HEX, the SHA-256 of the token (printf %s TOKEN | sha256sum), not the token itself"},
		{"short hash", "ci read sha256:abcd\n", "tokens:1: token ci: sha256:abcd is not 64 hexadecimal digits"},
		{"not hex", "ci read sha256:" + strings.Repeat("zz", 32) + "\n", "tokens:1: token ci: sha256:" + strings.Repeat("zz", 32) + " is not 64 hexadecimal digits"},
		{"same name", "ci read " + h1 + "\nci write " + h2 + "\n", "tokens:2: token ci is already listed on line 1"},
		{"same hash", "ci read " + h1 + "\n\nops write " + h1 + "\n", "tokens:3: token ops has the same hash as token ci on line 1"},
		{"empty", "# nothing\n\n", "tokens: no tokens: every /v1 call would be refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := admin.ParseTokens("tokens", strings.NewReader(tc.in))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Fatalf("error:\n got %v\nwant %s", err, tc.err)
			}
		})
	}
}

func TestLoadTokens(t *testing.T) {
	good := "ci read " + admin.HashToken("one") + "\n"
	if _, err := admin.LoadTokens(tokensFile(t, good, 0o644)); err != nil {
		t.Errorf("a file of hashes readable by all: %v", err)
	}
	if _, err := admin.LoadTokens(tokensFile(t, good, 0o600)); err != nil {
		t.Errorf("mode 0600: %v", err)
	}
	for _, mode := range []os.FileMode{0o664, 0o646} {
		p := tokensFile(t, good, mode)
		_, err := admin.LoadTokens(p)
		want := fmt.Sprintf("%s: the tokens file may be written by group or others (mode %04o): anyone who can write it can let themselves in; run chmod go-w %s", p, mode, p)
		if err == nil || err.Error() != want {
			t.Errorf("mode %o:\n got %v\nwant %s", mode, err, want)
		}
	}
	p := tokensFile(t, "ci read x\n", 0o600)
	if _, err := admin.LoadTokens(p); err == nil || err.Error() != p+":1: token ci: want sha256:HEX, the SHA-256 of the token (printf %s TOKEN | sha256sum), not the token itself" {
		t.Errorf("malformed: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none")
	if _, err := admin.LoadTokens(missing); err == nil || !strings.HasPrefix(err.Error(), "reading the tokens file: open "+missing) {
		t.Errorf("missing: %v", err)
	}
	if _, err := admin.New(admin.Options{Backend: admintest.New("n1", nil), TokensFile: p}); err == nil || !strings.HasPrefix(err.Error(), p+":1:") {
		t.Errorf("New with a malformed tokens file: %v", err)
	}
}

func TestAuth(t *testing.T) {
	file := tokensFile(t, "# test\nviewer read "+admin.HashToken(readToken)+"\nops write "+admin.HashToken(writeToken)+"\n", 0o600)
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{TokensFile: file})

	// Open without a token.
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := a.get(p); r.status != 200 {
			t.Errorf("%s without a token: %d", p, r.status)
		}
	}
	// Every /v1 call needs one.
	for _, rt := range admin.Routes() {
		if !rt.Auth || rt.Page {
			continue // the status page refuses in HTML: TestUICookie
		}
		path := strings.NewReplacer("{service}", "www.example.com", "{endpoint}", "us-east", "{name}", "pushed").Replace(rt.Path)
		r := a.do(rt.Method, path, "")
		r.refused(t, 401, "this call needs a token: send Authorization: Bearer TOKEN")
		if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="gtmd"` {
			t.Errorf("%s %s: WWW-Authenticate %q", rt.Method, path, got)
		}
	}
	a.get("/v1/nothing").refused(t, 401, "")

	r := a.get("/v1/members", "Authorization", "Bearer nope")
	r.refused(t, 401, "the token is not one of this node's tokens")
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="gtmd", error="invalid_token"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	a.get("/v1/members", "Authorization", "Basic "+readToken).refused(t, 401, "the Authorization header must be Bearer TOKEN")
	a.get("/v1/members", "Authorization", "Bearer ").refused(t, 401, "the Authorization header must be Bearer TOKEN")
	// The hash itself is not a token.
	a.get("/v1/members", "Authorization", "Bearer "+admin.HashToken(readToken)).refused(t, 401, "")

	// A read token reads, and cannot write.
	a.token = readToken
	if r := a.get("/v1/members"); r.status != 200 {
		t.Errorf("read token reading: %d %s", r.status, r.body)
	}
	a.get("/v1/nothing").refused(t, 404, "")
	a.do(http.MethodPost, "/v1/config", "").refused(t, 405, "")
	a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/yaml").
		refused(t, 403, "PUT /v1/config changes the cluster and needs a token with the write role; token viewer has the read role")
	a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":"down"}`).refused(t, 403, "")
	a.do(http.MethodDelete, "/v1/overrides/www.example.com/us-east", "").refused(t, 403, "")
	a.putJSON("/v1/checks/pushed/status", `{"healthy":true,"ttl":"30s"}`).refused(t, 403, "")
	if b.Applies() != 0 {
		t.Errorf("a read token stored a document")
	}
	if _, ok := b.Override("www.example.com.", "us-east"); ok {
		t.Errorf("a read token set an override")
	}

	// A write token writes; the scheme is case-insensitive.
	a.token = ""
	r = a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/yaml", "Authorization", "bearer "+writeToken)
	if r.status != 200 {
		t.Errorf("write token: %d %s", r.status, r.body)
	}
	a.token = writeToken
	if r := a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":"down"}`); r.status != 200 {
		t.Errorf("write token override: %d %s", r.status, r.body)
	}
}
