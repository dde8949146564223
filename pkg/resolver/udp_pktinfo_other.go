//go:build !linux

package resolver

import (
	"net"
	"net/netip"
)

// udpOOBSize is 0: outside Linux the server does not read destination
// addresses, so a socket bound to a wildcard answers from the address
// the kernel picks. Bind each address to serve on instead.
const udpOOBSize = 0

// enablePacketInfo does nothing outside Linux.
func enablePacketInfo(*net.UDPConn) error { return nil }

// packetDst finds nothing outside Linux.
func packetDst([]byte) netip.Addr { return netip.Addr{} }

// appendSource sets no source outside Linux.
func appendSource(b []byte, _ netip.Addr) []byte { return b[:0] }
