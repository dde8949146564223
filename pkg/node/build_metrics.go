package node

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/promreg"
)

// Kinds of snapshot build, the label of gtmd_snapshot_build_seconds.
const (
	// buildWhole builds every zone and service of the document.
	buildWhole = "whole"
	// buildChanges derives the snapshot served from the RRsets that
	// changed since (resolver.Snapshot.WithRecordChanges).
	buildChanges = "changes"
)

// buildSeconds is the histogram gtmd_snapshot_build_seconds{kind}: how
// long making each snapshot of a new document or new records took.
type buildSeconds struct{ h *prometheus.HistogramVec }

// newBuildSeconds registers the histogram on reg (nil: not registered),
// or shares the one a node on the same registry registered first.
func newBuildSeconds(reg prometheus.Registerer) (buildSeconds, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gtmd_snapshot_build_seconds",
		Help: "Time to make the snapshot of a new document or of changed records, by kind: whole (every zone built) or changes (the RRsets that changed, into the snapshot served).",
		// From a record changed in a small zone to a million-record
		// zone built whole.
		Buckets: []float64{.001, .005, .02, .05, .1, .25, .5, 1, 2, 5, 10, 30},
	}, []string{"kind"})
	h, err := promreg.Register(reg, h)
	if err != nil {
		return buildSeconds{}, fmt.Errorf("node: registering gtmd_snapshot_build_seconds: %w", err)
	}
	return buildSeconds{h}, nil
}

// observe records a build of kind that started at start.
func (b buildSeconds) observe(kind string, start time.Time) {
	b.h.WithLabelValues(kind).Observe(time.Since(start).Seconds())
}
