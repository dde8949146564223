package health

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/promreg"
)

// newProbedGauge is gtmd_health_checks_probed, which shows sharding at
// work: a node probes all of the document's probed checks less the
// sharded ones other nodes probe for it.
func newProbedGauge(reg prometheus.Registerer) (prometheus.Gauge, error) {
	return promreg.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gtmd_health_checks_probed",
		Help: "Checks this node probes: the probed checks of the document, less the sharded ones (vantage) other nodes probe.",
	}))
}
