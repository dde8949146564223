//go:build linux

package resolver

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// mmsgConn reads with its own recvmmsg(2) and writes with its own
// sendmmsg (mmsgWriter). x/net's ReadBatch makes the same system call but
// allocates every datagram's source address (a *net.UDPAddr and its IP);
// this one decodes it into an address kept per message slot, so reading
// allocates nothing. Both calls are raw system calls, for the reason
// mmsgWriter gives: the socket never blocks.
type mmsgConn struct {
	rc    syscall.RawConn
	write *mmsgWriter

	hs    []mmsghdr
	names []unix.RawSockaddrInet6
	iovs  []unix.Iovec
	addrs []net.UDPAddr
	// zoneID and zone cache the last IPv6 scope named, so that a
	// link-local client costs one interface lookup, not one per query.
	zoneID uint32
	zone   string

	// The current call's arguments and results, so that recvF, bound
	// once, needs no closure per read.
	count int
	n     int
	errno syscall.Errno
	recvF func(fd uintptr) bool
}

// mmsghdr is struct mmsghdr: Go lays it out as C does on every
// architecture (a msghdr, then the length, padded to the alignment).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

func newBatchConn(c *net.UDPConn) (batchConn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	w, err := newMMsgWriter(rc)
	if err != nil {
		return nil, err
	}
	m := &mmsgConn{
		rc:    rc,
		write: w,
		hs:    make([]mmsghdr, udpBatchSize),
		names: make([]unix.RawSockaddrInet6, udpBatchSize),
		iovs:  make([]unix.Iovec, udpBatchSize),
		addrs: make([]net.UDPAddr, udpBatchSize),
	}
	for i := range m.addrs {
		m.addrs[i].IP = make(net.IP, net.IPv6len)
	}
	m.recvF = m.recv
	return m, nil
}

// ReadBatch reads up to len(ms) datagrams (at most udpBatchSize) into
// ms's first buffer and OOB, as x/net's ReadBatch does. Each message's
// Addr is a *net.UDPAddr owned by m: valid until the next ReadBatch.
func (m *mmsgConn) ReadBatch(ms []ipv4.Message, _ int) (int, error) {
	m.count = min(len(ms), len(m.hs))
	for i := range m.count {
		buf := ms[i].Buffers[0]
		m.iovs[i].Base = unsafe.SliceData(buf)
		m.iovs[i].SetLen(len(buf))
		h := &m.hs[i].hdr
		*h = unix.Msghdr{}
		h.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		h.Namelen = unix.SizeofSockaddrInet6
		h.Iov = &m.iovs[i]
		h.SetIovlen(1)
		if len(ms[i].OOB) > 0 {
			h.Control = unsafe.SliceData(ms[i].OOB)
			h.SetControllen(len(ms[i].OOB))
		}
	}
	if err := m.rc.Read(m.recvF); err != nil {
		return 0, err
	}
	if m.errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", m.errno)
	}
	for i := range m.n {
		ms[i].N = int(m.hs[i].len)
		ms[i].NN = int(m.hs[i].hdr.Controllen)
		ms[i].Flags = int(m.hs[i].hdr.Flags)
		ms[i].Addr = m.source(i)
	}
	return m.n, nil
}

// recv is one recvmmsg on fd; false asks the runtime to wait until the
// socket is readable.
func (m *mmsgConn) recv(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&m.hs[0])), uintptr(m.count), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		case 0:
			m.n, m.errno = int(n), 0
		default:
			m.n, m.errno = 0, errno
		}
		return true
	}
}

// source decodes message i's source address into its slot.
func (m *mmsgConn) source(i int) *net.UDPAddr {
	a := &m.addrs[i]
	sa := &m.names[i]
	ip := a.IP[:net.IPv6len]
	a.Zone = ""
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		a.IP = ip[:copy(ip, sa4.Addr[:])]
		a.Port = bigEndianPort(sa4.Port)
	case unix.AF_INET6:
		a.IP = ip[:copy(ip, sa.Addr[:])]
		a.Port = bigEndianPort(sa.Port)
		if sa.Scope_id != 0 {
			a.Zone = m.zoneName(sa.Scope_id)
		}
	default:
		a.IP, a.Port = ip[:0], 0
	}
	return a
}

// bigEndianPort reads a port as the kernel stores it, in network order.
func bigEndianPort(p uint16) int {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return int(b[0])<<8 | int(b[1])
}

// zoneName names an IPv6 scope as Go's own reads do: the interface's
// name, else the number.
func (m *mmsgConn) zoneName(id uint32) string {
	if id != m.zoneID || m.zone == "" {
		m.zoneID, m.zone = id, strconv.FormatUint(uint64(id), 10)
		if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
			m.zone = ifi.Name
		}
	}
	return m.zone
}

// WriteBatch is mmsgWriter's sendmmsg.
func (m *mmsgConn) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	return m.write.WriteBatch(ms, flags)
}
