//go:build linux

package resolver

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// blockingConn is the batched I/O of a blockingSocket: recvmmsg that
// sleeps in the kernel until a datagram arrives (MSG_WAITFORONE: then it
// takes whatever else is queued without waiting more), and sendmmsg. Both
// go through syscall.Syscall6, not RawSyscall, so that the runtime may
// give the reader's processor to other goroutines while it sleeps.
// Neither allocates.
type blockingConn struct {
	s  *blockingSocket
	rd mmsgReads

	// The headers and addresses of the answers of one sendmmsg.
	whs    []mmsghdr
	wnames []unix.RawSockaddrInet6
	wiovs  []unix.Iovec
	// zone and zoneID cache the last IPv6 scope sent to.
	zone   string
	zoneID uint32
}

func newBlockingConn(s *blockingSocket) *blockingConn {
	return &blockingConn{
		s:      s,
		rd:     newMMsgReads(),
		whs:    make([]mmsghdr, udpBatchSize),
		wnames: make([]unix.RawSockaddrInet6, udpBatchSize),
		wiovs:  make([]unix.Iovec, udpBatchSize),
	}
}

// ReadBatch blocks until at least one datagram is read, as x/net's
// ReadBatch does with its results. Once the socket is shut down for
// reading it returns 0 datagrams at once.
func (c *blockingConn) ReadBatch(ms []ipv4.Message, _ int) (int, error) {
	count := c.rd.prepare(ms)
	for {
		n, _, errno := syscall.Syscall6(unix.SYS_RECVMMSG, uintptr(c.s.fd), uintptr(unsafe.Pointer(&c.rd.hs[0])), uintptr(count), unix.MSG_WAITFORONE, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case 0:
			// Once the socket is shut down, the kernel "reads" empty
			// datagrams without a source: they end the batch.
			got := int(n)
			for i := range got {
				if c.rd.hs[i].hdr.Namelen == 0 {
					got = i
					break
				}
			}
			c.rd.results(ms, got)
			return got, nil
		}
		return 0, callError("recvmmsg", errno)
	}
}

// WriteBatch sends ms with one sendmmsg, as x/net's WriteBatch does: it
// returns how many were sent, or an error when the first fails. Messages
// whose Addr is not a *net.UDPAddr of the socket's family end the batch
// before them; alone first, they fail it.
func (c *blockingConn) WriteBatch(ms []ipv4.Message, _ int) (int, error) {
	count := 0
	for i := range min(len(ms), len(c.whs)) {
		namelen, ok := c.sockaddr(i, ms[i].Addr)
		if !ok {
			break
		}
		buf := ms[i].Buffers[0]
		c.wiovs[i].Base = unsafe.SliceData(buf)
		c.wiovs[i].SetLen(len(buf))
		h := &c.whs[i].hdr
		*h = unix.Msghdr{}
		h.Name = (*byte)(unsafe.Pointer(&c.wnames[i]))
		h.Namelen = namelen
		h.Iov = &c.wiovs[i]
		h.SetIovlen(1)
		if len(ms[i].OOB) > 0 {
			h.Control = unsafe.SliceData(ms[i].OOB)
			h.SetControllen(len(ms[i].OOB))
		}
		count++
	}
	if count == 0 {
		if len(ms) == 0 {
			return 0, nil
		}
		return 0, os.NewSyscallError("sendmmsg", unix.EAFNOSUPPORT)
	}
	for {
		n, _, errno := syscall.Syscall6(unix.SYS_SENDMMSG, uintptr(c.s.fd), uintptr(unsafe.Pointer(&c.whs[0])), uintptr(count), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case 0:
			return int(n), nil
		}
		return 0, callError("sendmmsg", errno)
	}
}

// callError is a failed call's error. ENOTSOCK means the socket was
// abandoned (see blockingSocket.abandon): to the reader it is closed.
func callError(call string, errno syscall.Errno) error {
	if errno == unix.ENOTSOCK {
		return fmt.Errorf("%s: %w", call, net.ErrClosed)
	}
	return os.NewSyscallError(call, errno)
}

// sockaddr writes addr into answer slot i's name, as the socket's
// family wants it, and returns its length.
func (c *blockingConn) sockaddr(i int, addr net.Addr) (uint32, bool) {
	a, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, false
	}
	sa := &c.wnames[i]
	if c.s.family == unix.AF_INET {
		ip4 := a.IP.To4()
		if ip4 == nil {
			return 0, false
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET}
		copy(sa4.Addr[:], ip4)
		putPort(&sa4.Port, a.Port)
		return unix.SizeofSockaddrInet4, true
	}
	ip16 := a.IP.To16()
	if ip16 == nil {
		return 0, false
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6}
	copy(sa.Addr[:], ip16)
	putPort(&sa.Port, a.Port)
	if a.Zone != "" {
		sa.Scope_id = c.zoneIndex(a.Zone)
	}
	return unix.SizeofSockaddrInet6, true
}

// putPort stores a port in network order, as the kernel reads it.
func putPort(p *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// zoneIndex is the interface index of an IPv6 zone, a name or a number,
// cached for the next answer to the same scope; 0 if it names nothing.
func (c *blockingConn) zoneIndex(zone string) uint32 {
	if zone != c.zone {
		c.zone, c.zoneID = zone, 0
		if ifi, err := net.InterfaceByName(zone); err == nil {
			c.zoneID = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
			c.zoneID = uint32(n)
		}
	}
	return c.zoneID
}
