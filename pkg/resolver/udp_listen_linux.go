//go:build linux

package resolver

// openUDPReader binds one SO_REUSEPORT socket of addr and readies its
// reader. On Linux the socket blocks in the kernel and is not the
// netpoller's: a reader woken by the netpoller after each batch pays for
// an extra recvmmsg that finds nothing, an epoll_wait and the scheduler's
// park and wake, about as much as the batch's answers cost.
func openUDPReader(addr string, opts *ServerOptions) (*udpReader, error) {
	s, err := listenBlockingUDP(addr)
	if err != nil {
		return nil, err
	}
	u := &udpReader{sock: s, batch: newBlockingConn(s)}
	return u.init(opts), nil
}
