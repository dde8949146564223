package node

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// newHandler builds the DNS handler with its metrics, the node file's
// rate limiting, cookies and NSID, and the query log qlog (nil for none).
func newHandler(n *config.Node, locator geo.Locator, reg prometheus.Registerer, log *slog.Logger, qlog resolver.QueryLog) (*resolver.Handler, error) {
	m, err := resolver.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	limiter, err := resolver.NewRateLimiter(n.RRL)
	if err != nil {
		return nil, fmt.Errorf("setting up response rate limiting: %w", err)
	}
	nsid := ""
	if n.DNS.NSID {
		nsid = n.Node.ID
	}
	return resolver.NewHandler(resolver.Options{
		Locator: locator, Logger: log, Metrics: m,
		RateLimiter: limiter, Cookies: n.Cookies, NSID: nsid, QueryLog: qlog,
	}), nil
}
