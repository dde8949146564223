package admin

import (
	"fmt"
	"net/http"
	"strings"
)

// uiCookie is the cookie that carries a token for a browser, which cannot
// send an Authorization header when it opens a page or an EventSource.
const uiCookie = "gtmd_token"

// refusal is why a request's credentials do not let it through; the JSON
// API and the status page answer it each in their own form.
type refusal struct {
	status int
	msg    string
	// challenge is the WWW-Authenticate header of a 401.
	challenge string
	// missing is true when the request presented no credentials at all.
	missing bool
}

// credentialOf is the token a request presents: its bearer token, or
// else the status page's cookie (fromCookie). An Authorization header
// that is not Bearer TOKEN is refused even when a cookie is there too,
// so that a client learns its header is wrong.
func credentialOf(r *http.Request) (token string, fromCookie bool, ref *refusal) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, found := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return "", false, &refusal{status: http.StatusUnauthorized, msg: "the Authorization header must be Bearer TOKEN", challenge: `Bearer realm="gtmd", error="invalid_request"`}
		}
		return token, false, nil
	}
	if token, ok := cookieToken(r); ok {
		return token, true, nil
	}
	return "", false, &refusal{status: http.StatusUnauthorized, msg: "this call needs a token: send Authorization: Bearer TOKEN", challenge: `Bearer realm="gtmd"`, missing: true}
}

// check returns the role of the request's credentials, or why they are
// refused. Without tokens, any request to a loopback Host has the write
// role.
func (s *server) check(r *http.Request) (role string, ref *refusal) {
	if s.tokens == nil {
		// Without tokens only the loopback listener guards the API; a web
		// page that rebinds its own name to 127.0.0.1 would get through
		// it, so the Host a browser sends must be a loopback one too.
		if !loopbackHost(r.Host) {
			return "", &refusal{status: http.StatusForbidden, msg: fmt.Sprintf("Host %q is not a loopback address: without a tokens file the API answers only requests addressed to 127.0.0.1, ::1 or localhost", r.Host)}
		}
		requestInfoFrom(r.Context()).role = RoleWrite
		return RoleWrite, nil
	}
	token, fromCookie, ref := credentialOf(r)
	if ref != nil {
		return "", ref
	}
	name, role, ok := s.tokens.lookup(token)
	if !ok {
		what := "the token"
		if fromCookie {
			what = "the token of the " + uiCookie + " cookie"
		}
		return "", &refusal{status: http.StatusUnauthorized, msg: what + " is not one of this node's tokens", challenge: `Bearer realm="gtmd", error="invalid_token"`}
	}
	ri := requestInfoFrom(r.Context())
	ri.token = name
	ri.cookie = fromCookie
	ri.role = role
	return role, nil
}

// authenticate checks the request's credentials (see check) and returns
// their role. It answers a refusal itself, in JSON.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (role string, ok bool) {
	role, ref := s.check(r)
	if ref != nil {
		ref.writeJSON(w)
		return "", false
	}
	return role, true
}

func (ref *refusal) writeJSON(w http.ResponseWriter) {
	if ref.challenge != "" {
		w.Header().Set("WWW-Authenticate", ref.challenge)
	}
	refuseAuth(w, ref.status, ref.msg)
}

// peerAuth is the Authorization header a call made for r sends to the
// other members: r's own, or its cookie's token as a bearer token.
func peerAuth(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		return h
	}
	if token, ok := cookieToken(r); ok && requestInfoFrom(r.Context()).cookie {
		return "Bearer " + token
	}
	return ""
}
