package resolver

import (
	"net"

	"golang.org/x/sys/unix"
)

// Socket facts the connection table asks the kernel for.

// socketUnread is the number of bytes the kernel has received on c that
// the server has not read yet (SIOCINQ), 0 when it cannot tell.
func socketUnread(c *net.TCPConn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
			n = v
		}
	})
	return n
}

// Linux TCP states (include/net/tcp_states.h) of a connection the client
// has closed (CLOSE_WAIT) or reset (CLOSE).
const (
	tcpClose     = 7
	tcpCloseWait = 8
)

// peerGone reports whether the client has closed or reset c, though the
// server has not yet read the end of it.
func peerGone(c *net.TCPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	_ = rc.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			gone = info.State == tcpCloseWait || info.State == tcpClose
		}
	})
	return gone
}
