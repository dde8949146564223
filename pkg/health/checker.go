package health

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/gtmd/gtmd/pkg/config"
)

// Checker probes one target once.
type Checker interface {
	// Check returns nil when the target is healthy and an error saying
	// why not otherwise. It must return promptly once ctx is done; the
	// Scheduler gives it a context that ends at the check's timeout.
	Check(ctx context.Context) error
}

// NewChecker builds the built-in Checker of an http, https, tcp or dns
// check. rootCAs, when not nil, replaces the system roots for https.
// Calculated and external checks are not probed and have no Checker.
func NewChecker(c config.Check, rootCAs *x509.CertPool) (Checker, error) {
	return newChecker(c, NewTransports(rootCAs, nil))
}

// newChecker builds the built-in Checker of c, an http or https one on
// the transports ts.
func newChecker(c config.Check, ts *Transports) (Checker, error) {
	switch c.Type {
	case config.CheckHTTP, config.CheckHTTPS:
		return ts.NewHTTPChecker(c)
	case config.CheckTCP:
		return NewTCPChecker(c)
	case config.CheckDNS:
		return NewDNSChecker(c)
	case config.CheckCalculated, config.CheckExternal:
		return nil, fmt.Errorf("check %q: %s checks are not probed", c.Name, c.Type)
	default:
		return nil, fmt.Errorf("check %q: unknown check type %q", c.Name, c.Type)
	}
}
