package admin

import (
	"net/http"
)

// crossSite returns why a request that changes the cluster must be
// refused as a cross-site request forgery, or "" when it may go on.
//
// A browser sends the status page's cookie, and to a node without
// tokens reaches the loopback API, on whatever page asks it to. The
// cookie is SameSite=Strict, so other sites' requests come without it;
// on top of that, a browser says where a request came from in
// Sec-Fetch-Site and Origin, and net/http's CrossOriginProtection refuses
// a write from another origin. A write carried by the cookie must also
// show it came from the page's own origin: the cookie alone is not
// enough. Clients that are no browser (gtmd, curl) send neither header
// and a bearer token, and pass.
func crossSite(cop *http.CrossOriginProtection, r *http.Request, byCookie bool) string {
	if err := cop.Check(r); err != nil {
		return "a write from another origin is refused: " + err.Error()
	}
	if byCookie && r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "" {
		return "a write authenticated by the " + uiCookie + " cookie must come from the status page (Origin or Sec-Fetch-Site same-origin); other clients send Authorization: Bearer TOKEN"
	}
	return ""
}

// isRead reports whether a method only reads.
func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}
