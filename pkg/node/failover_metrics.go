package node

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/promreg"
	"github.com/gtmd/gtmd/pkg/admin"
)

// failoverRing is how many recent failovers the published propagation
// percentile is drawn from: enough for a p99 that moves with the
// cluster, little enough to sort on every API call.
const failoverRing = 256

// failovers is what this node has measured of its failovers: every one
// in the histogram gtmd_failover_seconds{service}, and the propagation
// part of the recent ones for the published bound. Safe for concurrent
// use: the run loop records, the API reads.
type failovers struct {
	seconds *prometheus.HistogramVec

	mu sync.Mutex
	// services are those with a series, so the ones a new document no
	// longer has can be deleted (retain).
	services map[string]bool
	// ring holds the propagation part of the latest failovers, the
	// oldest overwritten first at next.
	ring []time.Duration
	next int
}

// newFailovers registers the histogram on reg (nil: not registered), or
// shares the one a node on the same registry registered first.
func newFailovers(reg prometheus.Registerer) (*failovers, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gtmd_failover_seconds",
		Help: "Time from an endpoint's first failed probe, on any node, to this node serving without it, by service.",
		// From a sub-second check to a minute: the bound's detection,
		// propagation and a slow cluster's backlog.
		Buckets: []float64{.5, 1, 1.5, 2, 3, 4, 6, 10, 20, 30, 60, 120},
	}, []string{"service"})
	h, err := promreg.Register(reg, h)
	if err != nil {
		return nil, fmt.Errorf("node: registering gtmd_failover_seconds: %w", err)
	}
	return &failovers{seconds: h, services: map[string]bool{}, ring: make([]time.Duration, 0, failoverRing)}, nil
}

// record takes in one failover of service: total from the first failed
// probe, propagation from the cluster's verdict turning down.
func (f *failovers) record(service string, total, propagation time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seconds.WithLabelValues(service).Observe(total.Seconds())
	f.services[service] = true
	if len(f.ring) < failoverRing {
		f.ring = append(f.ring, propagation)
		return
	}
	f.ring[f.next] = propagation
	f.next = (f.next + 1) % failoverRing
}

// retain deletes the series of the services has no longer reports: a
// removed service's failovers are history, and with services added and
// removed over months the series would pile up until a restart.
func (f *failovers) retain(has func(service string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.services {
		if !has(s) {
			f.seconds.DeleteLabelValues(s)
			delete(f.services, s)
		}
	}
}

// propagation is the 99th percentile of the recent propagation parts
// (nearest rank), and how many it is drawn from.
func (f *failovers) propagation() admin.Propagation {
	f.mu.Lock()
	sorted := slices.Clone(f.ring)
	f.mu.Unlock()
	if len(sorted) == 0 {
		return admin.Propagation{}
	}
	slices.Sort(sorted)
	rank := (len(sorted)*99 + 99) / 100 // ceil(0.99 n)
	return admin.Propagation{P99: sorted[rank-1], Samples: len(sorted)}
}
