//go:build !linux

package resolver

import (
	"context"
	"net"
)

// openUDPReader binds one SO_REUSEPORT socket of addr and readies its
// reader, served through Go's netpoller.
func openUDPReader(addr string, opts *ServerOptions) (*udpReader, error) {
	lc := net.ListenConfig{Control: reusePort}
	pc, err := lc.ListenPacket(context.Background(), "udp", addr)
	if err != nil {
		return nil, err
	}
	u, err := newUDPReader(pc.(*net.UDPConn), opts)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return u, nil
}
