//go:build linux

package resolver

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr: Go lays it out as C does on every
// architecture (a msghdr, then the length, padded to the alignment).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// mmsgCall is recvmmsg(2) or sendmmsg(2) over one socket, with the
// message headers, addresses and buffers' vectors it keeps from call to
// call. It is made as a raw system call: the socket never blocks (an
// empty or full socket answers EAGAIN, and the runtime's poller waits),
// so the call is short and the goroutine keeps its processor through it.
// Through the runtime's own system call entry, a batch that took longer
// than one tick of the runtime's monitor lost the processor to a
// hand-off, and every hand-off woke a second thread that found nothing
// to do and went back to sleep: with one processor, that cost more than
// the answers.
type mmsgCall struct {
	trap uintptr
	name string
	// wait is the socket's RawConn Read or Write: it runs callF and,
	// while that reports false, waits for the socket.
	wait func(func(fd uintptr) bool) error

	hs    []mmsghdr
	names []unix.RawSockaddrInet6
	iovs  []unix.Iovec

	// The current call's arguments and results, so that callF, bound
	// once, needs no closure per call.
	count int
	n     int
	errno syscall.Errno
	callF func(fd uintptr) bool
	// waited is whether the last run found the socket not ready and
	// waited for it; only a read's is looked at (an empty socket: the
	// reader is not under load).
	waited bool
}

func newMMsgCall(trap uintptr, name string, wait func(func(fd uintptr) bool) error) *mmsgCall {
	c := &mmsgCall{
		trap:  trap,
		name:  name,
		wait:  wait,
		hs:    make([]mmsghdr, udpBatchSize),
		names: make([]unix.RawSockaddrInet6, udpBatchSize),
		iovs:  make([]unix.Iovec, udpBatchSize),
	}
	c.callF = c.call
	return c
}

// run makes the call over the first count headers, once the socket is
// ready, and returns how many messages it moved.
func (c *mmsgCall) run(count int) (int, error) {
	c.count, c.waited = count, false
	if err := c.wait(c.callF); err != nil {
		return 0, err
	}
	if c.errno != 0 {
		return 0, os.NewSyscallError(c.name, c.errno)
	}
	return c.n, nil
}

// call is one system call on fd; false asks the runtime to wait until
// the socket is ready.
func (c *mmsgCall) call(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(c.trap, fd, uintptr(unsafe.Pointer(&c.hs[0])), uintptr(c.count), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			c.waited = true
			return false
		case 0:
			c.n, c.errno = int(n), 0
		default:
			c.n, c.errno = 0, errno
		}
		return true
	}
}
