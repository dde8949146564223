package cluster

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/promreg"
)

type metrics struct {
	connected prometheus.Gauge
	revision  prometheus.Gauge
	members   prometheus.Gauge
	// alarm is 1 per etcd alarm raised (alarm.go).
	alarm *prometheus.GaugeVec
	// historyUncompacted is 1 while etcd keeps its whole history
	// (history.go).
	historyUncompacted prometheus.Gauge
	// documentRejected counts refusals of stored traffic documents
	// (watch.go); rejectedRevision is the revision of the one refused
	// now, 0 when the stored document is the one served.
	documentRejected prometheus.Counter
	rejectedRevision prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		connected:          prometheus.NewGauge(prometheus.GaugeOpts{Name: "gtmd_cluster_store_connected", Help: "1 when the cluster store (etcd) answers, 0 when it does not."}),
		revision:           prometheus.NewGauge(prometheus.GaugeOpts{Name: "gtmd_cluster_config_revision", Help: "The traffic document revision this node serves."}),
		members:            prometheus.NewGauge(prometheus.GaugeOpts{Name: "gtmd_cluster_members", Help: "Live nodes in the cluster, as this node sees them."}),
		historyUncompacted: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gtmd_cluster_store_history_uncompacted", Help: "1 while etcd keeps more history than gtmd's limit (100,000 revisions by default): run it with --auto-compaction-retention, or it runs out of space."}),
		alarm:              prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gtmd_cluster_store_alarm", Help: "1 while etcd has raised the alarm (nospace: database quota reached; corrupt: members disagree), which makes it refuse writes."}, []string{"alarm"}),

		// Stored documents refused (watch.go).
		documentRejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "gtmd_cluster_document_rejected_total", Help: "Stored traffic documents this node read and refused (invalid, or past the parsing limits); it kept serving the one before."}),
		rejectedRevision: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gtmd_cluster_document_rejected_revision", Help: "The store revision of the traffic document this node refuses, 0 when it serves the stored one."}),
	}
	var err error
	if m.alarm, err = promreg.Register(reg, m.alarm); err != nil {
		return nil, err
	}
	if m.documentRejected, err = promreg.Register(reg, m.documentRejected); err != nil {
		return nil, err
	}
	for _, g := range []*prometheus.Gauge{&m.connected, &m.revision, &m.members, &m.rejectedRevision, &m.historyUncompacted} {
		if *g, err = promreg.Register(reg, *g); err != nil {
			return nil, err
		}
	}
	return m, nil
}
