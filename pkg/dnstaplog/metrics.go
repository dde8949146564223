package dnstaplog

import "github.com/prometheus/client_golang/prometheus"

// metrics count what became of the messages the query path handed over.
type metrics struct {
	sent    prometheus.Counter
	dropped prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gtmd_dnstap_sent_messages_total", Help: "dnstap messages written to the query log's output.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gtmd_dnstap_dropped_messages_total", Help: "dnstap messages dropped: the queue was full, or the output failed or was away.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.sent, m.dropped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
