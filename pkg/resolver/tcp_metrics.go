package resolver

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// closeReason is why the server closed (or refused) a TCP connection: a
// small fixed set, so it can label a metric.
type closeReason int

const (
	// closeClient: the client closed or reset the connection.
	closeClient closeReason = iota
	// closePerSource: refused at once, its source already holds
	// TCPMaxConnectionsPerSource connections.
	closePerSource
	// closeEvicted: the connection idle the longest, closed to admit a new
	// one into a full table.
	closeEvicted
	// closeIdle: no complete query within the idle timeout, whether
	// silent or trickling bytes.
	closeIdle
	// closeMaxQueries: TCPMaxQueries answered (and what was already
	// received), then closed cleanly.
	closeMaxQueries
	// closeWriteTimeout: the client did not read its answers in time.
	closeWriteTimeout
	// closeHandler: the handler closed or hijacked the connection.
	closeHandler
	// closeShutdown: the server is shutting down.
	closeShutdown
	numCloseReasons
)

// String names the reason as the metrics label does.
func (r closeReason) String() string {
	return [...]string{"client", "per_source", "evicted", "idle", "max_queries", "write_timeout", "handler", "shutdown"}[r]
}

// TCPMetrics counts the DNS server's TCP connections: how many are open
// and why the server closed the others. A nil *TCPMetrics counts nothing.
type TCPMetrics struct {
	open   prometheus.Gauge
	closed [numCloseReasons]prometheus.Counter
}

// NewTCPMetrics registers the TCP connection metrics on reg.
func NewTCPMetrics(reg prometheus.Registerer) (*TCPMetrics, error) {
	m := &TCPMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gtmd_dns_tcp_connections", Help: "TCP connections open to the DNS server, on all addresses.",
		}),
	}
	closed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gtmd_dns_tcp_connections_closed_total",
		Help: "TCP connections closed or refused, by reason: client, per_source, evicted, idle, max_queries, write_timeout, handler, shutdown.",
	}, []string{"reason"})
	// Every reason exists from the start, so a rate over it is defined
	// before the first event.
	for r := range numCloseReasons {
		m.closed[r] = closed.WithLabelValues(r.String())
	}
	for _, c := range []prometheus.Collector{m.open, closed} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering the DNS TCP metrics: %w", err)
		}
	}
	return m, nil
}

func (m *TCPMetrics) opened() {
	if m != nil {
		m.open.Inc()
	}
}

// gone counts a connection that was open and is no longer.
func (m *TCPMetrics) gone(r closeReason) {
	if m != nil {
		m.open.Dec()
		m.closed[r].Inc()
	}
}

// refused counts a connection closed before it was admitted.
func (m *TCPMetrics) refused(r closeReason) {
	if m != nil {
		m.closed[r].Inc()
	}
}
