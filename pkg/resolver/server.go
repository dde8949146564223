package resolver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// ServerOptions configure the DNS listeners.
type ServerOptions struct {
	// Addrs are IP:port addresses, each served on UDP and TCP. Port 0
	// picks a free port, the same for UDP and TCP.
	Addrs []string
	// UDPListeners is the number of SO_REUSEPORT sockets per address, so
	// the kernel spreads queries over cores; 0 means one per CPU.
	UDPListeners int
	// UDPBatchWait is how long a socket's reader under load waits after
	// a read, for queries to gather before it reads again: fewer system
	// calls and wake-ups a query, for the wait (and the rest of its
	// batch's answers) added to the latency of a query that arrives in
	// it; 0 reads again at once. Only a read that found datagrams
	// already queued, fewer than a batch (32), is followed by a wait;
	// Linux only.
	UDPBatchWait time.Duration
	// TCPIdleTimeout closes a TCP connection that has not completed a
	// query this long after its last answer (RFC 7766 §6.2.3); 0 means
	// 10s.
	TCPIdleTimeout time.Duration
	// TCPBusyIdleTimeout replaces TCPIdleTimeout, for the connections
	// already open too, while more than half of TCPMaxConnections are in
	// use; 0 means 1s, and it is never longer than TCPIdleTimeout.
	TCPBusyIdleTimeout time.Duration
	// TCPMaxConnections bounds open TCP connections per address; a new
	// one beyond it evicts the connection idle the longest. 0 means 1000.
	TCPMaxConnections int
	// TCPMaxConnectionsPerSource bounds the TCP connections of one client
	// address (IPv6: one /64) per address; one more is closed at once. 0
	// means 32.
	TCPMaxConnectionsPerSource int
	// TCPMaxQueries bounds the queries read on one TCP connection. The
	// queries that had already arrived when the last one was read are
	// answered too (up to as many again), then the connection is closed
	// cleanly, so a pipelining client loses no answer. 0 means 1000.
	TCPMaxQueries int
	// TCPMetrics counts TCP connections; nil counts nothing.
	TCPMetrics *TCPMetrics
	// UDPMetrics counts UDP reads and refused answers; nil counts
	// nothing.
	UDPMetrics *UDPMetrics
	// Handler answers the queries; nil answers REFUSED, as an empty
	// dns.ServeMux does. Over UDP, the ResponseWriter it is given (and
	// its RemoteAddr) belong to the socket's batch and serve only until
	// ServeDNS returns. A Handler that is also a PacketAnswerer is asked
	// first for every UDP query.
	Handler dns.Handler
	// Logger gets the listeners' events; nil logs nothing.
	Logger *slog.Logger
	// TSIGKeys verify signed queries and sign their answers (zone
	// transfers, secondaries' SOA queries); nil knows no key, and a
	// signed query is answered NOTAUTH with BADKEY.
	TSIGKeys *TSIGKeys
	// Update serves RFC 2136 UPDATE messages (opcode 5), whose TSIG the
	// listeners verify as for queries (w.TsigStatus); nil answers them
	// NOTIMP. An update waits for a store, so over UDP it is served on a
	// goroutine of its own, at most MaxUDPUpdates at once per socket, and
	// the reader goes on answering queries.
	Update dns.Handler
	// Notify serves NOTIFY messages (RFC 1996, opcode 4), whose TSIG
	// the listeners verify as for queries, on the listener's own
	// goroutine: it must only take note and answer. nil answers them
	// NOTIMP.
	Notify dns.Handler
}

// MaxUDPUpdates bounds the UPDATE messages one UDP socket serves at
// once; more are answered SERVFAIL, and the client retries.
const MaxUDPUpdates = 16

// Server is the set of UDP and TCP listeners of a node.
type Server struct {
	opts  ServerOptions
	udp   []*udpReader
	tcp   []*tcpServer
	bound []string
	wg    sync.WaitGroup
	errs  chan error

	// mu guards the shutdown state. The first Shutdown does the work and
	// closes stopped when it is done; any other, concurrent or later,
	// waits for it and returns its result, so nothing is stopped or
	// closed twice.
	mu      sync.Mutex
	stopped chan struct{}
	stopErr error
}

// NewServer returns a server that listens once Start is called.
func NewServer(opts ServerOptions) *Server {
	if opts.UDPListeners <= 0 {
		opts.UDPListeners = runtime.NumCPU()
	}
	if opts.TCPIdleTimeout <= 0 {
		opts.TCPIdleTimeout = 10 * time.Second
	}
	if opts.TCPBusyIdleTimeout <= 0 {
		opts.TCPBusyIdleTimeout = time.Second
	}
	opts.TCPBusyIdleTimeout = min(opts.TCPBusyIdleTimeout, opts.TCPIdleTimeout)
	if opts.TCPMaxConnections <= 0 {
		opts.TCPMaxConnections = 1000
	}
	if opts.TCPMaxConnectionsPerSource <= 0 {
		opts.TCPMaxConnectionsPerSource = 32
	}
	if opts.TCPMaxQueries <= 0 {
		opts.TCPMaxQueries = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Handler == nil {
		opts.Handler = dns.NewServeMux()
	}
	return &Server{opts: opts, errs: make(chan error, 1)}
}

// Start binds every address and starts serving. When it returns without
// error, every socket is bound and queries sent to it will be answered.
// On error nothing is left listening.
func (s *Server) Start() error {
	for _, addr := range s.opts.Addrs {
		if err := s.listen(addr); err != nil {
			_ = s.Shutdown(context.Background())
			return err
		}
	}
	return nil
}

// Addrs returns the bound addresses, with the ports picked for port 0.
func (s *Server) Addrs() []string { return s.bound }

// Err delivers the first error a listener stops with while serving.
func (s *Server) Err() <-chan error { return s.errs }

// portZeroTries bounds the attempts to find a port free for both UDP and
// TCP when the configured port is 0.
const portZeroTries = 10

func (s *Server) listen(addr string) error {
	var conns []*net.UDPConn
	var l *net.TCPListener
	var err error
	for try := 1; ; try++ {
		conns, l, err = s.bind(addr)
		// With port 0 the port TCP picked may be taken on UDP: pick again.
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || !strings.HasSuffix(addr, ":0") || try == portZeroTries {
			break
		}
	}
	if err != nil {
		return err
	}
	readers := make([]*udpReader, 0, len(conns))
	for _, pc := range conns {
		u, err := newUDPReader(pc, &s.opts)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			l.Close()
			return err
		}
		readers = append(readers, u)
	}
	addr = conns[0].LocalAddr().String()
	s.bound = append(s.bound, addr)
	for _, u := range readers {
		s.serveUDP(u)
	}
	s.serveTCP(newTCPServer(l, &s.opts))
	s.opts.Logger.Info("dns listening", "addr", addr, "udp_sockets", len(conns))
	return nil
}

// bind opens the TCP listener and the UDP sockets of one address, or
// nothing. TCP goes first and without SO_REUSEPORT: with port 0 the kernel
// may hand a SO_REUSEPORT socket a port another server's SO_REUSEPORT
// sockets already share, but never a TCP port in use, so the port the TCP
// listener gets belongs to this server alone and the UDP sockets follow it.
func (s *Server) bind(addr string) ([]*net.UDPConn, *net.TCPListener, error) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening on tcp %s: %w", addr, err)
	}
	l := ln.(*net.TCPListener)
	bound := l.Addr().String()
	if err := udpPortFree(bound); err != nil {
		l.Close()
		return nil, nil, err
	}
	lc := net.ListenConfig{Control: reusePort}
	var conns []*net.UDPConn
	for i := 0; i < s.opts.UDPListeners; i++ {
		pc, err := lc.ListenPacket(ctx, "udp", bound)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			l.Close()
			return nil, nil, fmt.Errorf("listening on udp %s (socket %d): %w", bound, i+1, err)
		}
		conns = append(conns, pc.(*net.UDPConn))
	}
	return conns, l, nil
}

// serveUDP runs one UDP socket's reader.
func (s *Server) serveUDP(u *udpReader) {
	s.udp = append(s.udp, u)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := u.serve(); err != nil {
			s.report(err)
		}
	}()
}

// Shutdown closes the listeners, lets queries in flight finish until ctx
// ends, and waits for the serving goroutines.
// It may be called more than once, concurrently too: the calls after the
// first wait for it (until their own ctx ends) and return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if stopped := s.stopped; stopped != nil {
		s.mu.Unlock()
		select {
		case <-stopped:
			return s.stopErr
		case <-ctx.Done():
			return fmt.Errorf("waiting for the dns listeners to shut down: %w", ctx.Err())
		}
	}
	s.stopped = make(chan struct{})
	s.mu.Unlock()
	s.stopErr = s.shutdown(ctx)
	close(s.stopped)
	return s.stopErr
}

// shutdown is Shutdown's work, done once.
func (s *Server) shutdown(ctx context.Context) error {
	var errs []error
	// Every socket stops reading at once; then each is waited for.
	for _, u := range s.udp {
		u.stop()
	}
	for _, u := range s.udp {
		if err := u.shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range s.tcp {
		if err := t.shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// serveTCP runs one TCP server's accept loop on its bound listener.
func (s *Server) serveTCP(t *tcpServer) {
	s.tcp = append(s.tcp, t)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := t.serve(); err != nil {
			s.report(err)
		}
	}()
}

// report hands Err the error a listener stopped with. Err delivers only
// the first: a listener never waits for a caller that is not reading.
func (s *Server) report(err error) {
	select {
	case s.errs <- err:
	default:
	}
}

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

// reusePort sets SO_REUSEPORT so several sockets share one address and
// the kernel balances packets between them.
func reusePort(network, address string, c syscall.RawConn) error {
	var opErr error
	err := c.Control(func(fd uintptr) {
		opErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	if opErr != nil {
		return fmt.Errorf("setting SO_REUSEPORT on %s %s: %w", network, address, opErr)
	}
	return nil
}
