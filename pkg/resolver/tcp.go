package resolver

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// tcpServer serves DNS over TCP on one listener (RFC 7766): its own
// accept loop and one goroutine per admitted connection, which reads
// length-prefixed queries and answers them in order. miekg/dns's server
// is not used for TCP because it can neither evict a connection nor
// answer the queries already received when it stops reading, which left
// it closing with unread input, a reset that loses answers.
type tcpServer struct {
	ln         *net.TCPListener
	handler    dns.Handler
	update     dns.Handler
	notify     dns.Handler
	table      *connTable
	maxQueries int
	tsigKeys   *TSIGKeys
	metrics    *TCPMetrics
	log        *slog.Logger

	conns      sync.WaitGroup
	acceptDone chan struct{}
	stop       chan struct{}
	stopOnce   sync.Once
}

// Bounds of a connection past TCPMaxQueries: how long it waits for the
// client to close after the server's FIN, and how much it reads (and
// discards) meanwhile, so a client that never closes costs little.
const (
	lingerTimeout  = time.Second
	lingerMaxBytes = 64 << 10
)

// tcpReadBuffer is each connection's read buffer: a few pipelined
// queries per read, little memory for an idle connection.
const tcpReadBuffer = 4096

// Backoff of the accept loop when the process is out of descriptors.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

func newTCPServer(ln *net.TCPListener, opts *ServerOptions) *tcpServer {
	return &tcpServer{
		ln:         ln,
		handler:    opts.Handler,
		update:     opts.Update,
		notify:     opts.Notify,
		table:      newConnTable(opts.TCPMaxConnections, opts.TCPMaxConnectionsPerSource, opts.TCPIdleTimeout, opts.TCPBusyIdleTimeout),
		maxQueries: opts.TCPMaxQueries,
		tsigKeys:   opts.TSIGKeys,
		metrics:    opts.TCPMetrics,
		log:        opts.Logger,
		acceptDone: make(chan struct{}),
		stop:       make(chan struct{}),
	}
}

// serve accepts connections until the listener is closed.
func (s *tcpServer) serve() error {
	defer close(s.acceptDone)
	var backoff time.Duration
	for {
		s.table.waitRoom(s.stop)
		c, err := s.ln.AcceptTCP()
		if err != nil {
			if isClosed(err) {
				return nil
			}
			if !outOfDescriptors(err) {
				return fmt.Errorf("accepting on tcp %s: %w", s.ln.Addr(), err)
			}
			// The connection stays queued; free a descriptor by evicting
			// the connection idle the longest, and try again shortly.
			if s.table.evictIdlest() {
				s.metrics.gone(closeEvicted)
			}
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			if backoff == acceptBackoffMin {
				// Once per run of failures, not once per retry.
				s.log.Warn("dns tcp accept failed; retrying", "addr", s.ln.Addr().String(), "err", err)
			}
			select {
			case <-s.stop:
				return nil
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		source := sourceOf(c.RemoteAddr())
		tc := &tcpConn{c: c, source: source, network: networkOf(source)}
		evicted, gone, reason, ok := s.table.admit(tc, time.Now())
		if evicted {
			s.metrics.gone(closeEvicted)
		}
		if gone {
			s.metrics.gone(closeClient)
		}
		if !ok {
			s.metrics.refused(reason)
			c.Close()
			continue
		}
		s.metrics.opened()
		s.conns.Add(1)
		go s.serveConn(tc)
	}
}

func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// serveConn answers the queries of one connection until it ends.
func (s *tcpServer) serveConn(tc *tcpConn) {
	defer s.conns.Done()
	w := &tcpWriter{conn: tc, table: s.table, tsigState: tsigState{keys: s.tsigKeys}}
	r := bufio.NewReaderSize(tc.c, tcpReadBuffer)
	reason, count := s.table.remove(tc, s.serveQueries(tc, w, r))
	// Counted before the close, so that a client that sees the close
	// finds it counted.
	if count {
		s.metrics.gone(reason)
	}
	if !w.hijacked {
		_ = tc.close()
	}
}

// serveQueries reads and answers queries in order and returns why it
// stopped.
func (s *tcpServer) serveQueries(tc *tcpConn, w *tcpWriter, r *bufio.Reader) closeReason {
	// admit armed the first deadline: the connection has been idle since
	// it was accepted, not since this goroutine started.
	for served := 0; ; {
		m, err := readFrame(r)
		if err != nil {
			return readFailure(err)
		}
		served++
		if served == s.maxQueries {
			// What has arrived behind the last query allowed is measured
			// before it is answered: a client that waits for each answer
			// has sent nothing more, and gets none.
			received := r.Buffered() + socketUnread(tc.c)
			if reason, ok := s.answer(w, m); !ok {
				return reason
			}
			return s.finish(tc, w, r, received)
		}
		more := s.table.received(tc, time.Now())
		if reason, ok := s.answer(w, m); !ok {
			return reason
		}
		if !more {
			return closeShutdown // or evicted: remove knows which
		}
	}
}

// finish ends a connection that reached TCPMaxQueries without losing an
// answer: it answers the whole queries among the received bytes that had
// arrived when the last query allowed was read (in the read buffer and
// the socket's), up to TCPMaxQueries more, so pipelining cannot keep a
// connection forever. Then it closes its side (FIN) and reads until the
// client closes too: closing with unread input would make the kernel
// send a reset, and the client would lose answers it had not yet read.
func (s *tcpServer) finish(tc *tcpConn, w *tcpWriter, r *bufio.Reader, received int) closeReason {
	if !s.table.drainUntil(tc, time.Now().Add(s.table.currentTimeout())) {
		return closeShutdown // or evicted
	}
	for extra := 0; extra < s.maxQueries && received >= 2; extra++ {
		prefix, err := r.Peek(2)
		if err != nil {
			return readFailure(err)
		}
		n := 2 + int(binary.BigEndian.Uint16(prefix))
		if received < n {
			break // a query not yet whole: the client sends it again elsewhere
		}
		m, err := readFrame(r)
		if err != nil {
			return readFailure(err)
		}
		received -= n
		if reason, ok := s.answer(w, m); !ok {
			return reason
		}
	}
	if err := tc.c.CloseWrite(); err != nil {
		return closeClient
	}
	if s.table.drainUntil(tc, time.Now().Add(min(lingerTimeout, s.table.currentTimeout()))) {
		_, _ = io.CopyN(io.Discard, r, lingerMaxBytes)
	}
	return closeMaxQueries
}

// answer serves one query and reports whether the connection goes on,
// or why not.
func (s *tcpServer) answer(w *tcpWriter, m []byte) (closeReason, bool) {
	s.serveMsg(w, m)
	switch {
	case w.closed || w.hijacked:
		return closeHandler, false
	case w.err != nil:
		if isTimeout(w.err) {
			return closeWriteTimeout, false
		}
		return closeClient, false
	}
	return 0, true
}

// serveMsg serves one message as miekg/dns's server would (see
// acceptQuery), offering keepalive only to a query that asked for it
// and is not signed: adding the option to a signed answer would break
// its MAC.
func (s *tcpServer) serveMsg(w *tcpWriter, m []byte) {
	w.keepalive = false
	if req := acceptQuery(w, m, s.update != nil); req != nil {
		w.tsigState.verify(m, req)
		w.keepalive = wantsKeepalive(req) && req.IsTsig() == nil
		if req.Opcode == dns.OpcodeUpdate {
			s.update.ServeDNS(w, req)
			return
		}
		if req.Opcode == dns.OpcodeNotify && s.notify != nil {
			s.notify.ServeDNS(w, req)
			return
		}
		s.handler.ServeDNS(w, req)
	}
}

// readFrame reads one length-prefixed message (RFC 1035 §4.2.2).
func readFrame(r io.Reader) ([]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	m := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(r, m); err != nil {
		return nil, err
	}
	return m, nil
}

// readFailure says why a read ended the connection: the deadline (idle,
// or slow to send a whole query), or the client.
func readFailure(err error) closeReason {
	if isTimeout(err) {
		return closeIdle
	}
	return closeClient
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// shutdown stops accepting, lets each connection finish the query it is
// answering and waits for them until ctx ends; then it closes those left.
// It may be called again.
func (s *tcpServer) shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		close(s.stop)
		s.ln.Close()
	})
	<-s.acceptDone
	s.table.shutdown()
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.table.closeAll()
		<-done
		return fmt.Errorf("shutting down tcp %s: %w", s.ln.Addr(), ctx.Err())
	}
}
