package dnssec

import (
	"time"

	"github.com/gtmd/gtmd/internal/promreg"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts signing by zone (the zone's name with its final dot).
// A nil *Metrics counts nothing.
type Metrics struct {
	signatures *prometheus.CounterVec
	hits       *prometheus.CounterVec
	failures   *prometheus.CounterVec
	ready      *prometheus.GaugeVec
	expiry     *prometheus.GaugeVec
}

// zoneMetrics are one zone's counters, looked up once per ZoneSigner so
// the signing path takes no label lookup. A nil *zoneMetrics counts
// nothing.
type zoneMetrics struct {
	signatures, hits, failures prometheus.Counter
}

// NewMetrics registers the signing metrics on reg (a nil reg registers
// nothing). Two nodes in one process on one registry share the series.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		signatures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_dnssec_signatures_total", Help: "RRSIG records made, by zone.",
		}, []string{"zone"}),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_dnssec_signature_cache_hits_total", Help: "RRsets whose signatures came from the signature cache, by zone.",
		}, []string{"zone"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_dnssec_signing_failures_total", Help: "RRsets that could not be signed, by zone.",
		}, []string{"zone"}),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_dnssec_signing_ready", Help: "1 when the node can sign the zone (its keys opened with the key-encryption key), else 0.",
		}, []string{"zone"}),
		expiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gtmd_dnssec_oldest_signature_expiry_seconds", Help: "Seconds until the earliest-expiring signature the node serves for the zone expires.",
		}, []string{"zone"}),
	}
	for _, c := range []**prometheus.CounterVec{&m.signatures, &m.hits, &m.failures} {
		var err error
		if *c, err = promreg.Register(reg, *c); err != nil {
			return nil, err
		}
	}
	for _, g := range []**prometheus.GaugeVec{&m.ready, &m.expiry} {
		var err error
		if *g, err = promreg.Register(reg, *g); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) forZone(zone string) *zoneMetrics {
	if m == nil {
		return nil
	}
	return &zoneMetrics{
		signatures: m.signatures.WithLabelValues(zone),
		hits:       m.hits.WithLabelValues(zone),
		failures:   m.failures.WithLabelValues(zone),
	}
}

// SetSigningReady sets gtmd_dnssec_signing_ready for zone: whether this
// node can sign it.
func (m *Metrics) SetSigningReady(zone string, ready bool) {
	if m == nil {
		return
	}
	v := 0.0
	if ready {
		v = 1
	}
	m.ready.WithLabelValues(zone).Set(v)
}

// ObserveExpiry sets gtmd_dnssec_oldest_signature_expiry_seconds for z's
// zone from its cached signatures at now; with none cached it leaves the
// gauge as it was.
func (m *Metrics) ObserveExpiry(z *ZoneSigner, now time.Time) {
	if m == nil || z == nil {
		return
	}
	if t := z.OldestExpiry(); !t.IsZero() {
		m.expiry.WithLabelValues(z.zone).Set(t.Sub(now).Seconds())
	}
}

// ForgetZone drops zone's series, for a zone no longer signed.
func (m *Metrics) ForgetZone(zone string) {
	if m == nil {
		return
	}
	for _, v := range []*prometheus.MetricVec{m.signatures.MetricVec, m.hits.MetricVec, m.failures.MetricVec, m.ready.MetricVec, m.expiry.MetricVec} {
		v.DeleteLabelValues(zone)
	}
}

func (zm *zoneMetrics) signed(n int) {
	if zm != nil {
		zm.signatures.Add(float64(n))
	}
}

func (zm *zoneMetrics) hit() {
	if zm != nil {
		zm.hits.Inc()
	}
}

func (zm *zoneMetrics) failed() {
	if zm != nil {
		zm.failures.Inc()
	}
}
