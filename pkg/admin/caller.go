package admin

import (
	"context"
	"net"
	"net/http"

	"github.com/gtmd/gtmd/pkg/cluster/audit"
)

// Caller is who made an API call, as the audit trail records it. The API
// puts it in each authenticated request's context, so a Backend learns it
// without a parameter on every method.
type Caller struct {
	// Name is the token's name in the tokens file, or audit.Anonymous
	// when the API has no tokens file.
	Name string
	// From is the client's address, without the port.
	From string
	// Reason is the ?reason= of the call, or the reason of its body.
	Reason string
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, and false when it carries
// none (a call made in-process, not through the API).
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// callerOf is the caller of r, once authenticate has named its token.
func (s *server) callerOf(r *http.Request) Caller {
	name := requestInfoFrom(r.Context()).token
	if s.tokens == nil || name == "" {
		name = audit.Anonymous
	}
	from := r.RemoteAddr
	if h, _, err := net.SplitHostPort(from); err == nil {
		from = h
	}
	return Caller{Name: name, From: from, Reason: r.URL.Query().Get("reason")}
}

// withReason returns r with its caller's reason set to reason, for calls
// whose body gives one.
func withReason(r *http.Request, reason string) *http.Request {
	c, _ := CallerFrom(r.Context())
	c.Reason = reason
	return r.WithContext(WithCaller(r.Context(), c))
}
