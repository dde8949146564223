package main

import (
	"log/slog"
	"sync"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// node holds what the answers are built from, the traffic document and
// the health of its endpoints, and publishes a new snapshot to the
// handler whenever either changes.
type node struct {
	handler *resolver.Handler
	log     *slog.Logger

	mu      sync.Mutex
	traffic *config.Traffic
	serial  uint32
	base    *resolver.Snapshot
}

func newNode(h *resolver.Handler, log *slog.Logger) *node {
	return &node{handler: h, log: log}
}

// applyTraffic builds a snapshot of t with the given serial and swaps it
// in. On error the current snapshot stays.
func (n *node) applyTraffic(t *config.Traffic, serial uint32) error {
	s, err := resolver.Build(t, serial)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.traffic, n.serial, n.base = t, serial, s
	n.handler.Swap(s)
	return nil
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
