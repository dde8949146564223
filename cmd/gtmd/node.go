package main

import (
	"log/slog"
	"sync"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// node holds what answers are built from, the traffic document and the
// health of its endpoints, and publishes a new snapshot to the handler
// whenever either changes.
type node struct {
	handler *resolver.Handler
	sched   *health.Scheduler
	gauge   *health.EndpointGauge
	log     *slog.Logger

	mu        sync.Mutex
	traffic   *config.Traffic
	serial    uint32
	base      *resolver.Snapshot
	overrides map[health.EndpointKey]health.Override
}

// nodeOptions are a node's parts, built by serve.
type nodeOptions struct {
	handler *resolver.Handler
	sched   *health.Scheduler
	gauge   *health.EndpointGauge
	log     *slog.Logger
}

func newNode(o nodeOptions) *node {
	return &node{handler: o.handler, sched: o.sched, gauge: o.gauge, log: o.log, overrides: map[health.EndpointKey]health.Override{}}
}

// applyTraffic builds a snapshot of t with the given serial, starts and
// stops checks to match it, and swaps the snapshot in. On error nothing
// changes.
func (n *node) applyTraffic(t *config.Traffic, serial uint32) error {
	s, err := resolver.Build(t, serial)
	if err != nil {
		return err
	}
	// Apply may report changes, which publish under n.mu: not held here.
	n.sched.Apply(t.Checks)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.traffic, n.serial, n.base = t, serial, s
	n.publishLocked()
	return nil
}

// healthChanged is the scheduler's OnChange: the endpoints behind the
// check leave or rejoin the answers with the next query.
func (n *node) healthChanged(health.Change) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.publishLocked()
}

// publishLocked swaps in the current document's snapshot with the current
// health applied.
func (n *node) publishLocked() {
	if n.base == nil {
		return
	}
	h := health.EndpointHealth(n.traffic, n.sched.Status, n.overrides)
	n.handler.Swap(n.base.WithHealth(func(service, endpoint string) bool {
		up, ok := h[health.EndpointKey{Service: service, Endpoint: endpoint}]
		return !ok || up
	}))
	if n.gauge != nil {
		n.gauge.Set(h)
	}
}

// nextSerial returns a serial above the current one, from the clock where
// possible so it also rises across restarts.
func (n *node) nextSerial(now uint32) uint32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if now > n.serial {
		return now
	}
	return n.serial + 1
}

// Ready reports whether a snapshot is being served.
func (n *node) Ready() (bool, string) {
	return n.handler.Snapshot() != nil, ""
}
