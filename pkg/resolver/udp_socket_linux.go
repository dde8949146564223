//go:build linux

package resolver

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// blockingSocket is a UDP socket whose reads block in the kernel, as
// Knot's do, and which is never handed to Go's netpoller: its reader
// sleeps in recvmmsg on a thread of its own instead of parking in the
// scheduler after every batch. Only its reader reads, writes and closes
// it; wake and abandon only shut it down, under mu, so that no other
// goroutine ever uses a descriptor number the reader has closed and the
// kernel may have given to another file.
type blockingSocket struct {
	fd     int
	family int
	local  *net.UDPAddr

	mu     sync.Mutex
	closed bool
}

// listenBlockingUDP opens a blocking SO_REUSEPORT socket bound to addr
// (an IP:port, IPv6 in brackets), of the family Go's net package would
// pick for it: a wildcard address is served dual-stack, an IPv6 address
// alone (IPV6_V6ONLY), an IPv4 one on an IPv4 socket.
func listenBlockingUDP(addr string) (*blockingSocket, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", addr, err)
	}
	ip := ap.Addr()
	family, v6only := unix.AF_INET6, 1
	switch {
	case ip.IsUnspecified():
		ip, v6only = netip.IPv6Unspecified(), 0
	case ip.Unmap().Is4():
		family, ip = unix.AF_INET, ip.Unmap()
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil && family == unix.AF_INET6 && ip.IsUnspecified() {
		// A host without IPv6 serves a wildcard on IPv4 alone, as Go does.
		family, ip = unix.AF_INET, netip.IPv4Unspecified()
		fd, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	}
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	s := &blockingSocket{fd: fd, family: family}
	if err := s.setup(ip, ap.Port(), v6only); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("parsing %q: %w", addr, err)
	}
	return s, nil
}

// setup sets the socket's options, binds it and learns its address.
func (s *blockingSocket) setup(ip netip.Addr, port uint16, v6only int) error {
	opts := []struct {
		name        string
		level, opt  int
		value       int
		onlyFamily6 bool
	}{
		{"SO_REUSEPORT", unix.SOL_SOCKET, unix.SO_REUSEPORT, 1, false},
		// Go sets SO_BROADCAST on every datagram socket; kept alike.
		{"SO_BROADCAST", unix.SOL_SOCKET, unix.SO_BROADCAST, 1, false},
		{"IPV6_V6ONLY", unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only, true},
	}
	for _, o := range opts {
		if o.onlyFamily6 && s.family != unix.AF_INET6 {
			continue
		}
		if err := unix.SetsockoptInt(s.fd, o.level, o.opt, o.value); err != nil {
			return os.NewSyscallError("setsockopt "+o.name, err)
		}
	}
	if err := setPacketInfo(s.fd); err != nil {
		return err
	}
	var sa unix.Sockaddr
	if s.family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Port: int(port), Addr: ip.As4()}
	} else {
		sa6 := &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}
		if z := ip.Zone(); z != "" {
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return fmt.Errorf("finding the interface of zone %q: %w", z, err)
			}
			sa6.ZoneId = uint32(ifi.Index)
		}
		sa = sa6
	}
	if err := unix.Bind(s.fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	got, err := unix.Getsockname(s.fd)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		s.local = &net.UDPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		s.local = &net.UDPAddr{IP: net.IP(a.Addr[:]), Port: a.Port, Zone: ip.Zone()}
	}
	return nil
}

// LocalAddr is the address the socket is bound to.
func (s *blockingSocket) LocalAddr() net.Addr { return s.local }

// wake shuts the socket down for reading. Linux wakes a recvmmsg
// blocked on an unconnected UDP socket at this (shutdown answers
// ENOTCONN but marks the socket shut and wakes its sleepers), and every
// later read returns at once with empty datagrams that have no source;
// datagrams already queued are still read first.
func (s *blockingSocket) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		_ = unix.Shutdown(s.fd, unix.SHUT_RD)
	}
}

// abandon frees the port while the reader may still be answering. It
// does not close the descriptor (a system call of the reader's could
// then act on another file that took the number): it wakes the reader
// and puts /dev/null in the socket's place with dup3, atomically. The
// kernel frees the socket when the last call in it returns; the reader's
// later calls fail with ENOTSOCK, and it closes the descriptor when it
// leaves.
func (s *blockingSocket) abandon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	_ = unix.Shutdown(s.fd, unix.SHUT_RD)
	null, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	_ = unix.Dup3(null, s.fd, unix.O_CLOEXEC)
	unix.Close(null)
}

func (*blockingSocket) blocks() bool { return true }

// Close closes the descriptor once.
func (s *blockingSocket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := unix.Close(s.fd); err != nil {
		return fmt.Errorf("closing udp %s: %w", s.local, os.NewSyscallError("close", err))
	}
	return nil
}
