package resolver

import (
	"net"

	"golang.org/x/sys/unix"
)

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
