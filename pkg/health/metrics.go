package health

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/promreg"
)

// metrics are the Scheduler's collectors.
type metrics struct {
	checks  *prometheus.CounterVec
	up      *prometheus.GaugeVec
	changes *prometheus.CounterVec
	// checkDuration and checkLag are each check's last probe: which
	// checks are slow or fall behind. duration and lag, without labels,
	// are the distributions over every probe, for alerts on a
	// percentile. Per-check histograms would be 15 series a check
	// (150,000 at 10,000 checks, each gathered at every scrape) for what
	// the gauges and these tell.
	checkDuration *prometheus.GaugeVec
	checkLag      *prometheus.GaugeVec
	duration      prometheus.Histogram
	lag           prometheus.Histogram
	slots         prometheus.Gauge
	inFlight      prometheus.Gauge
	// probed shows sharding at work: a node probes all of the document's
	// probed checks less the sharded ones other nodes probe for it.
	probed prometheus.Gauge
}

// checkMetrics are one check's children, cached so a probe does no label
// lookup.
type checkMetrics struct {
	ok, fail prometheus.Counter
	duration prometheus.Gauge
	up       prometheus.Gauge
	lag      prometheus.Gauge
}

// newMetrics builds the collectors and registers them on reg, when not nil.
// A collector already registered by an earlier Scheduler is reused.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_health_checks_total",
			Help: "Health probes run, by check and result (ok or fail).",
		}, []string{"check", "result"}),
		checkDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_health_check_duration_seconds",
			Help: "Time taken by the last probe of a check, by check.",
		}, []string{"check"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gtmd_health_probe_duration_seconds",
			Help: "Time taken by health probes, over all checks.",
			// From a fast local probe to a timed-out one.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_health_check_up",
			Help: "Whether a check counts as healthy on this node: 1 when up or unknown, 0 when down.",
		}, []string{"check"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_health_state_changes_total",
			Help: "Status changes of health checks, by check and new status.",
		}, []string{"check", "to"}),
		checkLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_health_check_lag_seconds",
			Help: "How late the last probe of a check started after its due time (rounded up to the probe step), by check.",
		}, []string{"check"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gtmd_health_probe_lag_seconds",
			Help: "How late probes started after their due time (rounded up to the probe step), waiting for a probe slot or the scheduler, over all checks.",
			// From goroutine wake-up noise to a probe an interval late.
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		slots: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gtmd_health_probe_slots",
			Help: "Probes allowed in flight at once: sized from the checks' timeouts and intervals, within health.max_concurrent_probes.",
		}),
		probed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gtmd_health_checks_probed",
			Help: "Checks this node probes: the probed checks of the document, less the sharded ones (vantage) other nodes probe.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gtmd_health_probes_in_flight",
			Help: "Probes running now.",
		}),
	}
	var errs []error
	var err error
	m.checks, err = promreg.Register(reg, m.checks)
	errs = append(errs, err)
	m.checkDuration, err = promreg.Register(reg, m.checkDuration)
	errs = append(errs, err)
	m.duration, err = promreg.Register(reg, m.duration)
	errs = append(errs, err)
	m.up, err = promreg.Register(reg, m.up)
	errs = append(errs, err)
	m.changes, err = promreg.Register(reg, m.changes)
	errs = append(errs, err)
	m.checkLag, err = promreg.Register(reg, m.checkLag)
	errs = append(errs, err)
	m.lag, err = promreg.Register(reg, m.lag)
	errs = append(errs, err)
	m.slots, err = promreg.Register(reg, m.slots)
	errs = append(errs, err)
	m.inFlight, err = promreg.Register(reg, m.inFlight)
	errs = append(errs, err)
	m.probed, err = promreg.Register(reg, m.probed)
	errs = append(errs, err)
	return m, errors.Join(errs...)
}

// forCheck returns the children of one check and marks it healthy.
func (m *metrics) forCheck(name string) checkMetrics {
	cm := checkMetrics{
		ok:       m.checks.WithLabelValues(name, "ok"),
		fail:     m.checks.WithLabelValues(name, "fail"),
		duration: m.checkDuration.WithLabelValues(name),
		up:       m.up.WithLabelValues(name),
		lag:      m.checkLag.WithLabelValues(name),
	}
	cm.up.Set(1)
	return cm
}

// forget drops every series of a removed check.
func (m *metrics) forget(name string) {
	l := prometheus.Labels{"check": name}
	m.checks.DeletePartialMatch(l)
	m.checkDuration.DeletePartialMatch(l)
	m.up.DeletePartialMatch(l)
	m.changes.DeletePartialMatch(l)
	m.checkLag.DeletePartialMatch(l)
}

// EndpointGauge publishes gtmd_health_endpoint_up{service,endpoint}: 1 for
// a healthy endpoint, 0 for an unhealthy one. Each Set replaces the whole
// set of endpoints, deleting the series of endpoints no longer present.
type EndpointGauge struct {
	gauge *prometheus.GaugeVec
	mu    sync.Mutex
	last  map[EndpointKey]struct{}
}

// NewEndpointGauge registers the gauge on reg (nil: not registered).
func NewEndpointGauge(reg prometheus.Registerer) (*EndpointGauge, error) {
	g, err := promreg.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gtmd_health_endpoint_up",
		Help: "Whether a service endpoint is healthy as this node answers: 1 healthy, 0 not.",
	}, []string{"service", "endpoint"}))
	if err != nil {
		return nil, err
	}
	return &EndpointGauge{gauge: g, last: map[EndpointKey]struct{}{}}, nil
}

// Set publishes the health of every endpoint in health and deletes the
// series of endpoints published before but absent now.
func (g *EndpointGauge) Set(health map[EndpointKey]bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.last {
		if _, ok := health[k]; !ok {
			g.gauge.DeleteLabelValues(k.Service, k.Endpoint)
			delete(g.last, k)
		}
	}
	for k, ok := range health {
		g.setLocked(k, ok)
	}
}

// SetOne publishes one endpoint's health and leaves the others as they
// are: what a change costs, where Set costs every endpoint.
func (g *EndpointGauge) SetOne(k EndpointKey, healthy bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.setLocked(k, healthy)
}

// setLocked publishes one endpoint and remembers it, so a later Set
// deletes its series when it is gone. Called with g.mu held.
func (g *EndpointGauge) setLocked(k EndpointKey, healthy bool) {
	v := 0.0
	if healthy {
		v = 1
	}
	g.gauge.WithLabelValues(k.Service, k.Endpoint).Set(v)
	g.last[k] = struct{}{}
}
