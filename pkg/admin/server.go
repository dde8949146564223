package admin

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gtmd/gtmd/pkg/config"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 4 << 20
	DefaultWaitTimeout  = 30 * time.Second
	// MaxWaitTimeout bounds ?wait_timeout=.
	MaxWaitTimeout     = 10 * time.Minute
	DefaultHeartbeat   = 15 * time.Second
	defaultNodeTimeout = 10 * time.Second
)

// Options are what the API is built with.
type Options struct {
	// Backend is the node the API operates. Required.
	Backend Backend
	// Gatherer is scraped by GET /metrics; nil serves an empty registry.
	Gatherer prometheus.Gatherer
	// TokensFile, when set, is read by New (see LoadTokens): every /v1
	// call then needs a bearer token, and writes a token with the write
	// role. Empty leaves the API open, so the listener must be loopback.
	TokensFile string
	// Tokens are used instead of TokensFile when not nil.
	Tokens *Tokens
	// Logger receives a debug line per request and warnings for failures
	// of the node; nil discards.
	Logger *slog.Logger
	// NodeID is this node's member id: ?all_nodes=1 explains locally for
	// it and asks every other member over HTTP.
	NodeID string
	// Peers are the other nodes ?all_nodes=1 may ask with the caller's
	// token; nil asks none (every other member is listed as not asked).
	Peers *Peers
	// PeerTimeout bounds each call to a peer (default 10 s): a peer that
	// takes longer is listed as unreachable.
	PeerTimeout time.Duration
	// MaxBodyBytes bounds request bodies (default 4 MiB); larger ones are
	// refused with 413.
	MaxBodyBytes int64
	// MaxZoneFileBytes bounds the master file PUT
	// /v1/zones/{zone}/records takes (default MaxZoneFileBytes).
	MaxZoneFileBytes int64
	// WaitTimeout is how long PUT /v1/config?wait=insync waits when the
	// request gives no wait_timeout (default 30 s).
	WaitTimeout time.Duration
	// Heartbeat is the interval of comments on GET /v1/events that keep
	// idle proxies from closing the stream (default 15 s).
	Heartbeat time.Duration
	// Limits are the node file's admin.limits: New uses the requests per
	// token, the event streams and the write timeout (given again to each
	// write of an event stream and to an answer after wait=insync);
	// NewHTTPServer the rest. Zero fields take the node file's defaults.
	Limits config.AdminLimits
	// MetricsToken puts GET /metrics behind a token of any role when the
	// API has tokens, for a node whose metrics say more than it should
	// to whoever can reach the port.
	MetricsToken bool
	// Metrics counts the requests the limits refuse; nil counts nothing.
	Metrics *Metrics
}

// server holds what the handlers share.
type server struct {
	backend Backend
	// dnssec is the backend's DNSSECBackend, nil when it has none.
	dnssec DNSSECBackend
	// zones is the backend's ZonesBackend, nil when it has none.
	zones ZonesBackend
	// operator is the backend's OperatorBackend, nil when it has none.
	operator  OperatorBackend
	gatherer  http.Handler
	tokens    *Tokens
	log       *slog.Logger
	nodeID    string
	peers     *Peers
	client    *http.Client // asks the peers; nil without them
	maxBody   int64
	maxZone   int64
	wait      time.Duration
	heartbeat time.Duration
	// metricsAuth is true when GET /metrics needs a token.
	metricsAuth bool
	// perToken bounds the requests in progress per token or client.
	perToken *inFlight
	// streams holds a place for each open event stream.
	streams chan struct{}
	// writeTimeout bounds each write of an event stream, and the answer
	// of PUT /v1/config after its wait=insync.
	writeTimeout time.Duration
	// counts are the metrics of refused requests (nil: none).
	counts *Metrics
	// crossOrigin refuses writes a browser sends from another origin.
	crossOrigin *http.CrossOriginProtection
}

// New returns the API's handler. It reads opts.TokensFile, and fails when
// the file cannot be read or holds a malformed line, naming file:line.
func New(opts Options) (http.Handler, error) {
	if opts.Backend == nil {
		return nil, errors.New("admin: Options.Backend is required")
	}
	s := &server{
		backend:   opts.Backend,
		tokens:    opts.Tokens,
		log:       opts.Logger,
		nodeID:    opts.NodeID,
		peers:     opts.Peers,
		maxBody:   opts.MaxBodyBytes,
		maxZone:   opts.MaxZoneFileBytes,
		wait:      opts.WaitTimeout,
		heartbeat: opts.Heartbeat,

		crossOrigin: http.NewCrossOriginProtection(),
	}
	s.dnssec, _ = opts.Backend.(DNSSECBackend)
	s.zones, _ = opts.Backend.(ZonesBackend)
	s.operator, _ = opts.Backend.(OperatorBackend)
	if s.tokens == nil && opts.TokensFile != "" {
		t, err := LoadTokens(opts.TokensFile)
		if err != nil {
			return nil, err
		}
		s.tokens = t
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.peers != nil {
		s.client = s.peers.Client(cmp.Or(opts.PeerTimeout, defaultNodeTimeout))
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.maxZone <= 0 {
		s.maxZone = MaxZoneFileBytes
	}
	if s.wait <= 0 {
		s.wait = DefaultWaitTimeout
	}
	if s.heartbeat <= 0 {
		s.heartbeat = DefaultHeartbeat
	}
	g := opts.Gatherer
	if g == nil {
		g = prometheus.NewRegistry()
	}
	s.gatherer = promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	lim := limitsOrDefault(opts.Limits)
	s.perToken = newInFlight(lim.MaxRequestsPerToken)
	s.streams = make(chan struct{}, lim.MaxEventStreams)
	s.writeTimeout = lim.WriteTimeout.Std()
	s.metricsAuth = opts.MetricsToken && s.tokens != nil
	s.counts = opts.Metrics

	// One handler per path, choosing among the methods itself, so that a
	// wrong method gets 405 with Allow and a JSON body.
	mux := http.NewServeMux()
	var paths []string
	byPath := map[string][]Route{}
	for _, rt := range routes {
		if _, ok := byPath[rt.Path]; !ok {
			paths = append(paths, rt.Path)
		}
		byPath[rt.Path] = append(byPath[rt.Path], rt)
	}
	for _, p := range paths {
		mux.Handle(p, s.dispatch(byPath[p]))
	}
	mux.HandleFunc("/", s.notFound)
	return s.logRequests(mux), nil
}

// dispatch serves the routes of one path.
func (s *server) dispatch(rts []Route) http.Handler {
	var allow []string
	for _, rt := range rts {
		allow = append(allow, rt.Method)
		if rt.Method == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	allowHeader := strings.Join(allow, ", ")
	auth := rts[0].Auth || (s.metricsAuth && rts[0].Path == "/metrics")
	page := rts[0].Page
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if page && isRead(r.Method) && r.URL.Query().Has("token") {
			s.exchangeToken(w, r)
			return
		}
		role := ""
		if auth {
			var ref *refusal
			if role, ref = s.check(r); ref != nil {
				if page {
					ref.writeHTML(w)
				} else {
					ref.writeJSON(w)
				}
				return
			}
		}
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		i := slices.IndexFunc(rts, func(rt Route) bool { return rt.Method == method })
		if i < 0 {
			w.Header().Set("Allow", allowHeader)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s does not take %s; it takes %s", r.URL.Path, r.Method, allowHeader))
			return
		}
		rt := rts[i]
		if rt.Write && s.tokens != nil && role != RoleWrite {
			refuseAuth(w, http.StatusForbidden, fmt.Sprintf("%s %s changes the cluster and needs a token with the write role; token %s has the %s role", rt.Method, rt.Path, requestInfoFrom(r.Context()).token, role))
			return
		}
		if !isRead(rt.Method) {
			if why := crossSite(s.crossOrigin, r, requestInfoFrom(r.Context()).cookie); why != "" {
				refuseAuth(w, http.StatusForbidden, why)
				return
			}
		}
		release, ok := s.admitRequest(w, r)
		if !ok {
			return
		}
		defer release()
		if auth {
			r = r.WithContext(WithCaller(r.Context(), s.callerOf(r)))
		}
		rt.handle(s, w, r)
	})
}

// notFound answers paths the API does not have. Under /v1 it asks for a
// token first, so the API's shape is not shown to strangers.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/") {
		if _, ok := s.authenticate(w, r); !ok {
			return
		}
	}
	writeError(w, http.StatusNotFound, "no such call: "+r.Method+" "+r.URL.Path)
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	ready, degraded := s.backend.Ready()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case !ready:
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: no traffic document loaded\n"))
	case degraded != "":
		_, _ = w.Write([]byte("degraded: " + degraded + "\n"))
	default:
		_, _ = w.Write([]byte("ready\n"))
	}
}

func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	s.gatherer.ServeHTTP(w, r)
}

// ErrorBody is the JSON body of every refused request, as clients decode
// it.
type ErrorBody struct {
	Error string `json:"error"`
	// Faults lists every fault of a rejected traffic document.
	Faults []config.Fault `json:"faults,omitempty"`
	// Revision is the stored revision, on 412.
	Revision int64 `json:"revision,omitempty"`
}

// refuseAuth answers a request its token does not let through, and
// closes the connection after it: a client without a good token gets no
// connection to hold on to.
func refuseAuth(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Connection", "close")
	writeError(w, status, msg)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorBody{Error: "encoding the response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// fail answers an error of the backend with the status it calls for.
// what says what the call was about, for errors that do not say it.
func (s *server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	// A backend error that wraps another says what it is about; a bare
	// one (a sentinel) gets the handler's context.
	msg := err.Error()
	if what != "" && errors.Unwrap(err) == nil {
		msg = what + ": " + msg
	}
	var verr *config.ValidationError
	switch {
	case errors.As(err, &verr):
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: faultSummary(verr), Faults: verr.Faults})
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, msg)
	case errors.Is(err, ErrNotExternal), errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, msg)
	case errors.Is(err, ErrRevisionMismatch):
		writeError(w, http.StatusPreconditionFailed, msg)
	case errors.Is(err, ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, msg)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client has gone; nobody reads the answer.
		writeError(w, 499, "the request was canceled")
	default:
		s.log.Warn("admin call failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, msg)
	}
}

func faultSummary(e *config.ValidationError) string {
	if len(e.Faults) == 1 {
		return "the document is invalid: " + e.Faults[0].Error()
	}
	return fmt.Sprintf("the document is invalid: %d faults", len(e.Faults))
}

// loopbackHost reports whether a Host header names a loopback address or
// localhost, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
