package resolver

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts queries, their answer times and policy decisions. The
// labels are bounded: zone (or "none" outside our zones), qtype (common
// types, else "other"), rcode, service and endpoint; never the query name
// or the client.
type Metrics struct {
	queries   *prometheus.CounterVec
	duration  prometheus.Histogram
	decisions *prometheus.CounterVec
	// zones caches each zone's counters so the query path takes no label
	// lookup. Services keep theirs on the serviceNode (see
	// serviceCounters), so that a replaced traffic document leaves nothing
	// behind here.
	zones sync.Map // zone name → *zoneCounters
	// limitedCounters and cookieCounters are the children of the rate
	// limiting and cookie counters, made once so the query path takes
	// no label lookup.
	limitedCounters [ActionSlip + 1]prometheus.Counter
	cookieCounters  [numCookieVerdicts]prometheus.Counter
	// epoch is when the metrics were made: durations are measured on the
	// monotonic clock from it (clock), which is one clock read where
	// time.Now is two (wall and monotonic), for each end of every query.
	epoch time.Time
}

// serviceCounters are one service's decision counters, one per endpoint,
// for the Metrics that made them.
type serviceCounters struct {
	m        *Metrics
	counters []prometheus.Counter
}

// NewMetrics registers the query metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		epoch: time.Now(),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_dns_queries_total", Help: "DNS queries answered, by zone, query type and response code.",
		}, []string{"zone", "qtype", "rcode"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gtmd_dns_request_duration_seconds", Help: "Time from a query's arrival in the handler to its answer being written.",
			Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2},
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gtmd_policy_decisions_total", Help: "Endpoints handed out in service answers, by service and endpoint.",
		}, []string{"service", "endpoint"}),
	}
	limited := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gtmd_dns_rrl_responses_total", Help: "UDP answers response rate limiting held back, by action: dropped, or slipped (sent truncated so the client retries over TCP).",
	}, []string{"action"})
	for _, a := range []Action{ActionDrop, ActionSlip} {
		m.limitedCounters[a] = limited.WithLabelValues(a.String())
	}
	cookies := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gtmd_dns_cookie_queries_total", Help: "Queries with a DNS cookie option, by what it was: client_only, valid, invalid or malformed.",
	}, []string{"result"})
	for v := cookieClientOnly; v < numCookieVerdicts; v++ {
		m.cookieCounters[v] = cookies.WithLabelValues(v.String())
	}
	for _, c := range []prometheus.Collector{m.queries, m.duration, m.decisions, limited, cookies} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// metricTypes are the query types counted under their own name.
var metricTypes = [...]uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX, dns.TypeNS, dns.TypeSOA, dns.TypeSRV, dns.TypeTXT, dns.TypeCAA, dns.TypePTR, dns.TypeHTTPS, dns.TypeSVCB, dns.TypeANY, dns.TypeDS, dns.TypeDNSKEY, dns.TypeAXFR, dns.TypeIXFR}

const (
	otherType  = len(metricTypes)
	numRcodes  = 24 // extended rcodes up to BADCOOKIE (23)
	otherRcode = numRcodes
)

// zoneCounters are one zone's counters, made on first use.
type zoneCounters struct {
	zone  string
	cells [otherType + 1][numRcodes + 1]atomic.Pointer[prometheus.Counter]
}

func typeIndex(t uint16) int {
	for i, mt := range metricTypes {
		if mt == t {
			return i
		}
	}
	return otherType
}

// clock is the monotonic time since the metrics were made, for observe's
// start; 0 without metrics, which read no clock.
func (m *Metrics) clock() time.Duration {
	if m == nil {
		return 0
	}
	return time.Since(m.epoch)
}

// observe counts one answered query, which arrived at start (clock).
func (m *Metrics) observe(zone string, qtype uint16, rcode int, start time.Duration) {
	if m == nil {
		return
	}
	if zone == "" {
		zone = "none"
	}
	zc, ok := m.zones.Load(zone)
	if !ok {
		zc, _ = m.zones.LoadOrStore(zone, &zoneCounters{zone: zone})
	}
	ti, ri := typeIndex(qtype), min(max(rcode, 0), otherRcode)
	cell := &zc.(*zoneCounters).cells[ti][ri]
	c := cell.Load()
	if c == nil {
		typ, rc := "other", "other"
		if ti < otherType {
			typ = dns.TypeToString[metricTypes[ti]]
		}
		switch {
		case ri == dns.RcodeBadVers:
			// 16 is BADSIG in TSIG and BADVERS in EDNS; gtmd sends it
			// only as BADVERS.
			rc = "BADVERS"
		case ri < otherRcode:
			rc = dns.RcodeToString[ri]
		}
		counter := m.queries.WithLabelValues(zone, typ, rc)
		cell.CompareAndSwap(nil, &counter)
		c = cell.Load()
	}
	(*c).Inc()
	m.duration.Observe((m.clock() - start).Seconds())
}

// decided counts the endpoints a service answer handed out.
func (m *Metrics) decided(sn *serviceNode, chosen []int) {
	if m == nil {
		return
	}
	sc := sn.counters.Load()
	if sc == nil || sc.m != m {
		sc = &serviceCounters{m: m, counters: make([]prometheus.Counter, len(sn.endpoints))}
		for i, e := range sn.endpoints {
			sc.counters[i] = m.decisions.WithLabelValues(sn.name, e.id)
		}
		sn.counters.Store(sc)
	}
	for _, i := range chosen {
		sc.counters[i].Inc()
	}
}

// limited counts one answer the rate limiter dropped or slipped.
func (m *Metrics) limited(a Action) {
	if m == nil || int(a) >= len(m.limitedCounters) || m.limitedCounters[a] == nil {
		return
	}
	m.limitedCounters[a].Inc()
}

// cookie counts one query with a cookie option by its verdict.
func (m *Metrics) cookie(v cookieVerdict) {
	if m == nil || int(v) >= len(m.cookieCounters) || m.cookieCounters[v] == nil {
		return
	}
	m.cookieCounters[v].Inc()
}
