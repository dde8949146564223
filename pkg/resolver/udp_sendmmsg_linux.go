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

// mmsgWriter is sendmmsg(2) on one socket, as a raw system call
// (mmsgCall says why), in place of x/net's WriteBatch.
type mmsgWriter struct {
	*mmsgCall
	// family is the socket's, AF_INET or AF_INET6: it says how to write a
	// destination (an IPv4 client of a dual-stack socket as a mapped
	// IPv6 address).
	family int
	// zone and zoneID cache the last IPv6 scope named, so that a
	// link-local client costs one interface lookup, not one per answer.
	zone   string
	zoneID uint32
}

func newMMsgWriter(rc syscall.RawConn) (*mmsgWriter, error) {
	family, err := socketFamily(rc)
	if err != nil {
		return nil, err
	}
	return &mmsgWriter{
		mmsgCall: newMMsgCall(unix.SYS_SENDMMSG, "sendmmsg", rc.Write),
		family:   family,
	}, nil
}

// socketFamily reads the socket's address family from the kernel: Go opens
// an IPv6 socket for a wildcard IPv4 address too.
func socketFamily(rc syscall.RawConn) (int, error) {
	var family int
	var opErr error
	if err := rc.Control(func(fd uintptr) {
		family, opErr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil {
		return 0, err
	}
	if opErr != nil {
		return 0, os.NewSyscallError("getsockopt SO_DOMAIN", opErr)
	}
	return family, nil
}

// WriteBatch sends up to len(ms) datagrams (at most udpBatchSize), each
// its first buffer to its Addr (a *net.UDPAddr) with its OOB, as x/net's
// WriteBatch does: it returns how many were sent, and an error only when
// the first was refused.
func (w *mmsgWriter) WriteBatch(ms []ipv4.Message, _ int) (int, error) {
	count := min(len(ms), len(w.hs))
	for i := range count {
		m := &ms[i]
		h := &w.hs[i].hdr
		*h = unix.Msghdr{}
		if buf := m.Buffers[0]; len(buf) > 0 {
			w.iovs[i].Base = unsafe.SliceData(buf)
			w.iovs[i].SetLen(len(buf))
			h.Iov = &w.iovs[i]
			h.SetIovlen(1)
		}
		if to, ok := m.Addr.(*net.UDPAddr); ok {
			h.Name = (*byte)(unsafe.Pointer(&w.names[i]))
			h.Namelen = w.sockaddr(&w.names[i], to)
		}
		if len(m.OOB) > 0 {
			h.Control = unsafe.SliceData(m.OOB)
			h.SetControllen(len(m.OOB))
		}
	}
	return w.run(count)
}

// sockaddr writes to into sa as the socket's family takes it and returns
// its length; an address the family cannot reach gives 0, which the
// kernel refuses for that datagram alone.
func (w *mmsgWriter) sockaddr(sa *unix.RawSockaddrInet6, to *net.UDPAddr) uint32 {
	// Swapping to network order is the same swap as reading from it.
	port := bigEndianPort(uint16(to.Port))
	if w.family == unix.AF_INET {
		ip4 := to.IP.To4()
		if ip4 == nil {
			return 0
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: uint16(port)}
		copy(sa4.Addr[:], ip4)
		return unix.SizeofSockaddrInet4
	}
	ip6 := to.IP.To16()
	if ip6 == nil {
		return 0
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: uint16(port)}
	copy(sa.Addr[:], ip6)
	if to.Zone != "" {
		sa.Scope_id = w.zoneIndex(to.Zone)
	}
	return unix.SizeofSockaddrInet6
}

// zoneIndex is the interface index an IPv6 zone names, as Go's own
// writes resolve it: an interface's name, else a number.
func (w *mmsgWriter) zoneIndex(zone string) uint32 {
	if zone != w.zone {
		w.zone, w.zoneID = zone, 0
		if ifi, err := net.InterfaceByName(zone); err == nil {
			w.zoneID = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
			w.zoneID = uint32(n)
		}
	}
	return w.zoneID
}
