//go:build linux

package resolver

import (
	"net"
	"strconv"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// mmsgConn reads with its own recvmmsg(2) and writes with its own
// sendmmsg (mmsgWriter), both raw system calls (mmsgCall says why).
// x/net's ReadBatch makes the same system call but allocates every
// datagram's source address (a *net.UDPAddr and its IP); this one decodes
// it into an address kept per message slot, so reading allocates
// nothing.
type mmsgConn struct {
	*mmsgCall
	write *mmsgWriter

	addrs []net.UDPAddr
	// zoneID and zone cache the last IPv6 scope named, so that a
	// link-local client costs one interface lookup, not one per query.
	zoneID uint32
	zone   string
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
		mmsgCall: newMMsgCall(unix.SYS_RECVMMSG, "recvmmsg", rc.Read),
		write:    w,
		addrs:    make([]net.UDPAddr, udpBatchSize),
	}
	for i := range m.addrs {
		m.addrs[i].IP = make(net.IP, net.IPv6len)
	}
	return m, nil
}

// ReadBatch reads up to len(ms) datagrams (at most udpBatchSize) into
// ms's first buffer and OOB, as x/net's ReadBatch does. Each message's
// Addr is a *net.UDPAddr owned by m: valid until the next ReadBatch.
func (m *mmsgConn) ReadBatch(ms []ipv4.Message, _ int) (int, error) {
	count := min(len(ms), len(m.hs))
	for i := range count {
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
	n, err := m.run(count)
	if err != nil {
		return 0, err
	}
	for i := range n {
		ms[i].N = int(m.hs[i].len)
		ms[i].NN = int(m.hs[i].hdr.Controllen)
		ms[i].Flags = int(m.hs[i].hdr.Flags)
		ms[i].Addr = m.source(i)
	}
	return n, nil
}

// readWaited reports whether the last ReadBatch found the socket empty
// and waited for a datagram.
func (m *mmsgConn) readWaited() bool { return m.waited }

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
