package node

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnstaplog"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// newQueryLog makes the dnstap log the node file asks for, or nil. Its
// identity defaults to the node id and its version to gtmd's, so that
// messages from several nodes in one collector tell the nodes apart.
func newQueryLog(c *config.Node, version string, reg prometheus.Registerer, log *slog.Logger) (*dnstaplog.Logger, error) {
	d := c.Dnstap
	if !d.Enabled() {
		return nil, nil
	}
	out, err := dnstaplog.NewOutput(d, log)
	if err != nil {
		return nil, err
	}
	if d.Identity == "" {
		d.Identity = c.Node.ID
	}
	if d.Version == "" {
		d.Version = strings.TrimSpace("gtmd " + version)
	}
	l, err := dnstaplog.New(dnstaplog.Options{Output: out, Sample: d.Sample, Identity: d.Identity, Version: d.Version, Registerer: reg, Logger: log})
	if err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("setting up the dnstap log: %w", err)
	}
	return l, nil
}

// queryLog is l as the handler takes it: nil, not a nil *Logger, when
// off, so that the query path sees no log at all.
func queryLog(l *dnstaplog.Logger) resolver.QueryLog {
	if l == nil {
		return nil
	}
	return l
}
