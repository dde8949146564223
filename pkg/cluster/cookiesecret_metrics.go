package cluster

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/promreg"
)

// cookieMetrics show that the cluster's cookie secret is kept: an
// operator alerts when the rotation time falls more than two rotations
// behind.
type cookieMetrics struct {
	rotatedAt prometheus.Gauge
	writes    prometheus.Counter
}

func newCookieMetrics(reg prometheus.Registerer) (*cookieMetrics, error) {
	m := &cookieMetrics{
		rotatedAt: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gtmd_cluster_cookie_secret_rotated_timestamp_seconds", Help: "When the DNS cookie secret this node uses was made (Unix time), by the clock of the node that made it."}),
		writes:    prometheus.NewCounter(prometheus.CounterOpts{Name: "gtmd_cluster_cookie_secret_writes_total", Help: "DNS cookie secrets this node wrote to the store: the first one, rotations and replacements of an unreadable one."}),
	}
	var err error
	if m.rotatedAt, err = promreg.Register(reg, m.rotatedAt); err != nil {
		return nil, err
	}
	if m.writes, err = promreg.Register(reg, m.writes); err != nil {
		return nil, err
	}
	return m, nil
}
