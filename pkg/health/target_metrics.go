package health

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/promreg"
)

// targetMetrics are the collectors of Targets. None is labelled by host
// name: the names come from the document, and a count by state says
// what an alert needs; /v1/health names them.
type targetMetrics struct {
	lookups   *prometheus.CounterVec
	targets   *prometheus.GaugeVec
	addresses *prometheus.GaugeVec
}

func newTargetMetrics(reg prometheus.Registerer) (*targetMetrics, error) {
	m := &targetMetrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_target_lookups_total",
			Help: "Lookups of endpoint targets (A and AAAA), by result: ok, nxdomain, nodata, servfail, timeout or error.",
		}, []string{"result"}),
		targets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_target_names",
			Help: "Endpoint targets this node looks up, by state: pending, resolved, stale (last addresses served after a failed lookup) or failed (their endpoints are out).",
		}, []string{"state"}),
		addresses: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_target_addresses",
			Help: "Addresses the endpoint targets resolve to, over every target, by family (ipv4, ipv6).",
		}, []string{"family"}),
	}
	var errs []error
	var err error
	m.lookups, err = promreg.Register(reg, m.lookups)
	errs = append(errs, err)
	m.targets, err = promreg.Register(reg, m.targets)
	errs = append(errs, err)
	m.addresses, err = promreg.Register(reg, m.addresses)
	errs = append(errs, err)
	return m, errors.Join(errs...)
}
