package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// crossSite returns why a request that changes the cluster must be
// refused as a cross-site request forgery, or "" when it may go on.
//
// A browser sends the status page's cookie, and to a node without
// tokens reaches the loopback API, on whatever page asks it to. The
// cookie is SameSite=Strict, so other sites' requests come without it;
// on top of that, a request a browser made says where it came from in
// Sec-Fetch-Site and Origin, and a write from another origin is refused.
// A write carried by the cookie must show it came from the page's own
// origin: the cookie alone is not enough. Clients that are no browser
// (gtmd, curl) send neither header and a bearer token, and pass.
func crossSite(r *http.Request, byCookie bool) string {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return fmt.Sprintf("Sec-Fetch-Site is %q: a write from another site is refused", site)
	}
	origin := r.Header.Get("Origin")
	if origin != "" {
		u, err := url.Parse(origin)
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		if err != nil || u.Scheme != scheme || !strings.EqualFold(u.Host, r.Host) {
			return fmt.Sprintf("Origin %q is not this node's %s://%s: a write from another origin is refused", origin, scheme, r.Host)
		}
	}
	if byCookie && site == "" && origin == "" {
		return "a write authenticated by the " + uiCookie + " cookie must come from the status page (Origin or Sec-Fetch-Site same-origin); other clients send Authorization: Bearer TOKEN"
	}
	return ""
}

// isRead reports whether a method only reads.
func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}
