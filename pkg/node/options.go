package node

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
)

// Options are what a node is made of.
type Options struct {
	// Config is the node file, validated (config.LoadNode, ParseNode or
	// Validate). dns.listen empty binds no DNS listener and admin.listen
	// "" no admin listener.
	Config *config.Node
	// Logger receives the node's log; nil discards it.
	Logger *slog.Logger
	// Registerer receives the node's metrics and Gatherer serves them on
	// the API's /metrics. Both nil: a registry of the node's own, so that
	// two nodes in one process do not collide. Registerer alone is also
	// the Gatherer when it is one (a *prometheus.Registry).
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// Locator places clients. Nil: the node opens the node file's
	// geoip.database, if any, and ReloadGeo reopens it.
	Locator geo.Locator
	// Version is what the node reports as its version in its member
	// entry.
	Version string
}
