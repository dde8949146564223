package admin

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"path"
	"strings"
)

// uiFiles are the status page: one HTML page, its style sheet and its
// scripts, served from the binary so that the page needs nothing but the
// node it is opened on.
//
//go:embed ui/index.html ui/style.css ui/app.js ui/world.js
var uiFiles embed.FS

// uiPath is where the status page is served.
const uiPath = "/ui/"

// uiPolicy keeps the page to its own origin: no script, style, image or
// connection elsewhere, and no framing.
const uiPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// setUIHeaders sets the headers of every answer of the page: its content
// policy, and no sniffing, framing or referrer that could carry a token.
func setUIHeaders(h http.Header, policy string) {
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	// The page and its scripts change with the binary and the role: a
	// browser must not keep an old one.
	h.Set("Cache-Control", "no-store")
}

// uiType is the content type of one of the page's files.
func uiType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	default:
		return "text/html; charset=utf-8"
	}
}

// getUI serves the status page and its files. The page learns the role
// of its caller from the body's data-role, so that it shows the drain
// buttons only to a write token (the API refuses a read token's drain
// anyway).
func (s *server) getUI(w http.ResponseWriter, r *http.Request) {
	role := requestInfoFrom(r.Context()).role
	name := strings.TrimPrefix(r.URL.Path, uiPath)
	if name == "" {
		name = "index.html"
	}
	b, err := uiFiles.ReadFile("ui/" + name)
	if err != nil || strings.Contains(name, "/") {
		uiRefusal(http.StatusNotFound, "the status page has no file "+r.URL.Path).writeHTML(w)
		return
	}
	if name == "index.html" {
		b = bytes.Replace(b, []byte(`data-role="read"`), []byte(`data-role="`+role+`"`), 1)
	}
	setUIHeaders(w.Header(), uiPolicy)
	w.Header().Set("Content-Type", uiType(name))
	_, _ = w.Write(b)
}

// exchangeToken answers GET /ui/?token=T: a good token is put in an
// HttpOnly, SameSite=Strict cookie and the browser sent to /ui/, so the
// token leaves the address bar and the history; a bad one is refused
// without a cookie.
func (s *server) exchangeToken(w http.ResponseWriter, r *http.Request) {
	if s.tokens == nil {
		// Without tokens there is nothing to keep: the loopback Host is
		// the guard, as for the API.
		if _, ref := s.check(r); ref != nil {
			ref.writeHTML(w)
			return
		}
	} else {
		token := r.URL.Query().Get("token")
		if _, _, ok := s.tokens.lookup(token); !ok {
			uiRefusal(http.StatusUnauthorized, "the token given in ?token= is not one of this node's tokens").writeHTML(w)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: uiCookie,
			// Encoded, since a token may hold bytes a cookie cannot.
			Value:    base64.RawURLEncoding.EncodeToString([]byte(token)),
			Path:     "/",
			HttpOnly: true,
			Secure:   r.TLS != nil,
			SameSite: http.SameSiteStrictMode,
		})
	}
	setUIHeaders(w.Header(), uiPolicy)
	http.Redirect(w, r, uiPath, http.StatusSeeOther)
}

// cookieToken reads the token of the status page's cookie.
func cookieToken(r *http.Request) (string, bool) {
	c, err := r.Cookie(uiCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

func uiRefusal(status int, msg string) *refusal {
	ref := &refusal{status: status, msg: msg}
	if status == http.StatusUnauthorized {
		ref.challenge = `Bearer realm="gtmd"`
	}
	return ref
}

// writeHTML answers a refusal of the status page as a small page that
// says how to open it.
func (ref *refusal) writeHTML(w http.ResponseWriter) {
	h := w.Header()
	if ref.challenge != "" {
		h.Set("WWW-Authenticate", ref.challenge)
	}
	// The refusal page has no script and styles itself inline.
	setUIHeaders(h, "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Connection", "close")
	msg := ref.msg
	if ref.missing {
		msg = "this page needs a token"
	}
	w.WriteHeader(ref.status)
	_, _ = fmt.Fprintf(w, uiRefusalPage, http.StatusText(ref.status), html.EscapeString(msg))
}

// uiRefusalPage is the page of a refused request: its status text and
// the reason.
const uiRefusalPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gtmd status: %[1]s</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.5">
<h1>gtmd status page: %[1]s</h1>
<p>%[2]s.</p>
<p>Open the page with a token of this node's tokens file, once:
<code>/ui/?token=YOUR_TOKEN</code>. The node keeps it in a cookie of this
browser and sends you on to <code>/ui/</code>. A read token shows the page;
a write token also lets you drain endpoints and regions.</p>
</body></html>
`
