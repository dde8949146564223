package resolver

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// udpPortFree fails when any socket holds addr's UDP port. The server's
// UDP sockets share their port through SO_REUSEPORT, and so would a
// socket of another process that set it too (an old gtmd still running,
// a second one started by mistake): the kernel would then split the
// queries between both, silently. A probe bound without SO_REUSEPORT
// cannot share, so it fails on a port anyone holds.
//
// The probe is closed before the server's sockets are bound, so another
// SO_REUSEPORT socket could still slip in between (microseconds), and one
// bound later by a program that does not probe joins unseen: the kernel
// offers no way to keep a SO_REUSEPORT group closed. A second gtmd always
// probes, so two of them never share a port.
func udpPortFree(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("udp %s is already in use by another process: %w", addr, err)
		}
		return fmt.Errorf("listening on udp %s: %w", addr, err)
	}
	if err := pc.Close(); err != nil {
		return fmt.Errorf("closing the probe of udp %s: %w", addr, err)
	}
	return nil
}
