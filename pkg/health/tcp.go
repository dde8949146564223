package health

import (
	"context"
	"fmt"
	"net"

	"github.com/gtmd/gtmd/pkg/config"
)

// TCPChecker is the Checker of tcp checks: healthy when a TCP connection to
// the address opens within the timeout. It sends nothing and closes at once.
type TCPChecker struct {
	address string
	dialer  net.Dialer
}

var _ Checker = (*TCPChecker)(nil)

// NewTCPChecker builds the checker of a tcp check.
func NewTCPChecker(c config.Check) (*TCPChecker, error) {
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return nil, fmt.Errorf("check %q: %w", c.Name, err)
	}
	return &TCPChecker{address: c.Address}, nil
}

// Check opens and closes one connection.
func (t *TCPChecker) Check(ctx context.Context) error {
	conn, err := t.dialer.DialContext(ctx, "tcp", t.address)
	if err != nil {
		return err
	}
	return conn.Close()
}
