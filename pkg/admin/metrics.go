package admin

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Limit names, the values of the limit label of
// gtmd_admin_requests_limited_total.
const (
	limitToken        = "token"
	limitEventStreams = "event_streams"
)

// Metrics are the API's own metrics: what its limits hold back. A nil
// *Metrics counts nothing.
type Metrics struct {
	connections *prometheus.GaugeVec
	evicted     prometheus.Counter
	limited     *prometheus.CounterVec
	acceptFails prometheus.Counter
}

// NewMetrics registers the API's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_admin_connections",
			Help: "Open admin API connections, by state: active (serving a request), idle (kept alive between requests) or new.",
		}, []string{"state"}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gtmd_admin_connections_evicted_total",
			Help: "Idle admin API connections closed to make room for a new one (admin.limits.max_connections) or for a descriptor.",
		}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_admin_requests_limited_total",
			Help: "Admin API requests refused with 429, by the limit they hit: token (admin.limits.max_requests_per_token) or event_streams (admin.limits.max_event_streams).",
		}, []string{"limit"}),
		acceptFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gtmd_admin_accept_errors_total",
			Help: "Times the admin API could not accept a connection because the process or system ran out of file descriptors.",
		}),
	}
	for _, c := range []prometheus.Collector{m.connections, m.evicted, m.limited, m.acceptFails} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering the admin API's metrics: %w", err)
		}
	}
	// Every label value exists from the start, so a dashboard sees 0
	// rather than nothing.
	for _, s := range []string{connActive, connIdle, connNew} {
		m.connections.WithLabelValues(s)
	}
	for _, l := range []string{limitToken, limitEventStreams} {
		m.limited.WithLabelValues(l)
	}
	return m, nil
}

func (m *Metrics) refused(limit string) {
	if m != nil {
		m.limited.WithLabelValues(limit).Inc()
	}
}

func (m *Metrics) connState(from, to string) {
	if m == nil {
		return
	}
	if from != "" {
		m.connections.WithLabelValues(from).Dec()
	}
	if to != "" {
		m.connections.WithLabelValues(to).Inc()
	}
}

func (m *Metrics) evictedConn() {
	if m != nil {
		m.evicted.Inc()
	}
}

func (m *Metrics) acceptFailed() {
	if m != nil {
		m.acceptFails.Inc()
	}
}
