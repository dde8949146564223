package admin

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/gtmd/gtmd/pkg/config"
)

// retryAfter is the Retry-After of a 429, in seconds: requests in
// progress usually end well within it.
const retryAfter = 1

// limitsOrDefault fills the zero fields of l with the node file's
// defaults, so that an API built without limits still has them.
func limitsOrDefault(l config.AdminLimits) config.AdminLimits {
	d := config.DefaultNode().Admin.Limits
	for _, f := range []struct{ v, def *config.Duration }{
		{&l.ReadHeaderTimeout, &d.ReadHeaderTimeout},
		{&l.ReadTimeout, &d.ReadTimeout},
		{&l.WriteTimeout, &d.WriteTimeout},
		{&l.IdleTimeout, &d.IdleTimeout},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *int }{
		{&l.MaxConnections, &d.MaxConnections},
		{&l.MaxRequestsPerToken, &d.MaxRequestsPerToken},
		{&l.MaxEventStreams, &d.MaxEventStreams},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// inFlight counts the requests each key (a token, or a client address)
// has in progress and refuses one beyond max. A key is forgotten when its
// count drops to zero, so the map never holds more keys than there are
// requests in progress.
type inFlight struct {
	max   int
	mu    sync.Mutex
	count map[string]int
}

func newInFlight(max int) *inFlight {
	return &inFlight{max: max, count: map[string]int{}}
}

// acquire takes a place for key, or reports false when key already has
// max requests in progress.
func (f *inFlight) acquire(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count[key] >= f.max {
		return false
	}
	f.count[key]++
	return true
}

func (f *inFlight) release(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count[key] <= 1 {
		delete(f.count, key)
		return
	}
	f.count[key]--
}

// admitRequest takes one of the places of the request's token (or,
// without one, of its client address) and returns what gives it back. It
// answers 429 itself when the places are taken.
func (s *server) admitRequest(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	who, key := "client "+clientAddr(r), "addr:"+clientAddr(r)
	if name := requestInfoFrom(r.Context()).token; name != "" {
		who, key = "token "+name, "token:"+name
	}
	if !s.perToken.acquire(key) {
		s.counts.refused(limitToken)
		tooMany(w, fmt.Sprintf("%s already has %d requests in progress, the most admin.limits.max_requests_per_token allows; retry when one ends", who, s.perToken.max))
		return nil, false
	}
	return func() { s.perToken.release(key) }, true
}

// admitStream takes one of the places of /v1/events streams, answering
// 429 itself when they are all taken.
func (s *server) admitStream(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case s.streams <- struct{}{}:
		return func() { <-s.streams }, true
	default:
		s.counts.refused(limitEventStreams)
		tooMany(w, fmt.Sprintf("%d event streams are open, the most admin.limits.max_event_streams allows; retry when one ends", cap(s.streams)))
		return nil, false
	}
}

func tooMany(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	writeError(w, http.StatusTooManyRequests, msg)
}

// clientAddr is the address a request came from, without its port.
func clientAddr(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
