package resolver

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// UDPMetrics shows how the UDP sockets work: how many datagrams each read
// takes (batches near udpBatchSize mean a socket is saturated), how often
// a reader waited for queries to gather, and the answers the kernel
// refused to send. A nil *UDPMetrics counts nothing. All are counted per
// batch or per failure, never per datagram.
type UDPMetrics struct {
	batch      prometheus.Histogram
	sendErrors prometheus.Counter
	waits      prometheus.Counter
}

// NewUDPMetrics registers the UDP metrics on reg.
func NewUDPMetrics(reg prometheus.Registerer) (*UDPMetrics, error) {
	m := &UDPMetrics{
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gtmd_dns_udp_read_batch_datagrams",
			Help:    "Datagrams taken by one read of a DNS server's UDP socket.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 6), // 1 … 32, udpBatchSize
		}),
		sendErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gtmd_dns_udp_send_errors_total",
			Help: "UDP answers the kernel refused to send (an unreachable client address, a firewall); the other answers of the batch were sent.",
		}),
		waits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gtmd_dns_udp_batch_waits_total",
			Help: "Times a UDP reader under load, after a short batch, waited dns.udp_batch_wait for queries to gather before it read again.",
		}),
	}
	for _, c := range []prometheus.Collector{m.batch, m.sendErrors, m.waits} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering the DNS UDP metrics: %w", err)
		}
	}
	return m, nil
}

func (m *UDPMetrics) read(datagrams int) {
	if m != nil {
		m.batch.Observe(float64(datagrams))
	}
}

func (m *UDPMetrics) waited() {
	if m != nil {
		m.waits.Inc()
	}
}

func (m *UDPMetrics) sendFailed() {
	if m != nil {
		m.sendErrors.Inc()
	}
}
