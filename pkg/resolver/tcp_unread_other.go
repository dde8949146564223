//go:build !linux

package resolver

import "net"

// socketUnread would be the bytes received on c and not yet read; without
// SIOCINQ only the read buffer counts as received.
func socketUnread(*net.TCPConn) int { return 0 }
