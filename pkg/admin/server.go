package admin

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Readiness reports whether the node can answer, and why not or why only
// in part.
type Readiness interface {
	// Ready returns false before the first snapshot is loaded; a non-empty
	// degraded reason means the node answers but something is amiss.
	Ready() (ready bool, degraded string)
}

// Options are what the API is built with.
type Options struct {
	// Gatherer is scraped by GET /metrics.
	Gatherer  prometheus.Gatherer
	Readiness Readiness
}

// New returns the API's handler.
func New(opts Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ready, degraded := opts.Readiness.Ready()
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
	})
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such call: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// apiError is the JSON body of every refused request.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Error: msg})
}
