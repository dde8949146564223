// Package promreg registers a collector, or shares the one registered
// first under its name: two nodes (or two stores, two schedulers) in one
// process on one registry then report into the same series rather than
// fail to start.
package promreg

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns it, or returns the collector
// of the same kind already registered there under its descriptor. A nil
// reg registers nothing. Any other failure is returned with c.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
