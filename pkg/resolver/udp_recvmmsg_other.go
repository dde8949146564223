//go:build !linux

package resolver

import "net"

// newBatchConn is x/net's batched I/O, one datagram per call outside
// Linux.
func newBatchConn(c *net.UDPConn) (batchConn, error) { return xnetConn(c), nil }
