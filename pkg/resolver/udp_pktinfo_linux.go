//go:build linux

package resolver

import (
	"fmt"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpOOBSize holds the packet-info messages the kernel attaches to a
// datagram: an IPv4 datagram on a dual-stack socket carries both the
// IPv6 and the IPv4 one.
const udpOOBSize = 128

// enablePacketInfo asks the kernel for each datagram's destination
// address, so that an answer leaves from the address its query was sent
// to even on a socket bound to a wildcard. As miekg/dns does, it tries
// both families and fails only when neither takes.
func enablePacketInfo(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("asking for the destination of datagrams on udp %s: %w", c.LocalAddr(), err)
	}
	var err4, err6 error
	if err := rc.Control(func(fd uintptr) {
		err6 = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
		err4 = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
	}); err != nil {
		return fmt.Errorf("asking for the destination of datagrams on udp %s: %w", c.LocalAddr(), err)
	}
	if err4 != nil && err6 != nil {
		return fmt.Errorf("asking for the destination of datagrams on udp %s: %w", c.LocalAddr(), err4)
	}
	return nil
}

// packetDst returns the destination address in a datagram's control
// messages (the first packet-info message), or the zero Addr. It reads
// in place: no allocation per datagram.
func packetDst(oob []byte) netip.Addr {
	hdr := unix.CmsgLen(0)
	for len(oob) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < hdr || l > len(oob) {
			return netip.Addr{}
		}
		data := oob[hdr:l]
		switch {
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			return netip.AddrFrom16([16]byte(data[:16])).Unmap()
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			// struct in_pktinfo: ifindex, spec_dst, then the header's
			// destination address.
			return netip.AddrFrom4([4]byte(data[8:12]))
		}
		oob = oob[min(unix.CmsgSpace(l-hdr), len(oob)):]
	}
	return netip.Addr{}
}

// appendSource writes into b[:0] the control message that sends a
// datagram from src, as miekg/dns's correctSource does: IP_PKTINFO for
// an IPv4 source, IPV6_PKTINFO otherwise, no interface. An invalid src
// gives an empty message. b must hold udpOOBSize bytes.
func appendSource(b []byte, src netip.Addr) []byte {
	if !src.IsValid() {
		return b[:0]
	}
	size := unix.SizeofInet6Pktinfo
	if src.Is4() {
		size = unix.SizeofInet4Pktinfo
	}
	b = b[:unix.CmsgSpace(size)]
	clear(b)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.SetLen(unix.CmsgLen(size))
	data := b[unix.CmsgLen(0):]
	if src.Is4() {
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
		a := src.As4()
		copy(data[4:8], a[:]) // spec_dst: the source to send from
	} else {
		h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
		a := src.As16()
		copy(data[:16], a[:])
	}
	return b
}
