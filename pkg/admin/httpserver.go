package admin

import (
	"context"
	"crypto/tls"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// ServerOptions are what NewHTTPServer builds the API's HTTP server with.
type ServerOptions struct {
	// Limits are the node file's admin.limits: the timeouts and
	// MaxConnections are used here. Zero fields take the defaults.
	Limits config.AdminLimits
	// TLS, when set, is the server's TLS configuration (serve with
	// ServeTLS(l, "", "")).
	TLS *tls.Config
	// Logger receives the server's errors and the warning of running out
	// of descriptors; nil discards.
	Logger *slog.Logger
	// Metrics counts connections; nil counts nothing.
	Metrics *Metrics
	// FileLimit is the process's descriptor limit, named in the warning
	// when the API cannot accept for want of descriptors; 0 if unknown.
	FileLimit uint64
	// Now is the clock of idle times and of that warning's rate limit
	// (default time.Now).
	Now func() time.Time
}

// NewHTTPServer returns the server of the API's handler h, with the
// timeouts of the limits, and l wrapped to hold at most
// Limits.MaxConnections: serve the listener it returns. A client can then
// hold neither a connection that sends nothing (read_header_timeout), nor
// one that sends slowly (read_timeout), nor one that reads slowly
// (write_timeout), nor an idle one past idle_timeout or beyond the cap.
func NewHTTPServer(h http.Handler, l net.Listener, o ServerOptions) (*http.Server, net.Listener) {
	lim := limitsOrDefault(o.Limits)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	cl := newConnLimiter(l, lim.MaxConnections, log, o.Metrics, o.FileLimit, now)
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         o.TLS,
		ReadHeaderTimeout: lim.ReadHeaderTimeout.Std(),
		ReadTimeout:       lim.ReadTimeout.Std(),
		WriteTimeout:      lim.WriteTimeout.Std(),
		IdleTimeout:       lim.IdleTimeout.Std(),
		// Headers are small; a client sending more is not an operator.
		MaxHeaderBytes: 64 << 10,
		ConnState:      cl.connState,
		ErrorLog:       stdlog.New(serverLog{log}, "", 0),
	}
	return srv, cl
}

// serverLog takes net/http's error lines. A failed TLS handshake is the
// client's affair, and one a stranger can cause per connection: it goes
// to debug, so it cannot flood the log; the rest (a handler's panic) are
// warnings.
type serverLog struct{ log *slog.Logger }

func (s serverLog) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	level := slog.LevelWarn
	if strings.HasPrefix(msg, "http: TLS handshake error") {
		level = slog.LevelDebug
	}
	s.log.Log(context.Background(), level, msg)
	return len(p), nil
}
