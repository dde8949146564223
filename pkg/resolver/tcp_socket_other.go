//go:build !linux

package resolver

import "net"

// socketUnread would be the bytes received on c and not yet read; without
// SIOCINQ only the read buffer counts as received.
func socketUnread(*net.TCPConn) int { return 0 }

// peerGone would report a connection its client has closed; without
// TCP_INFO none is seen before the server reads the close.
func peerGone(*net.TCPConn) bool { return false }
