package resolver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
)

// udpReader serves one UDP socket with one goroutine: it reads a batch
// of datagrams, answers each (through the handler's PacketAnswerer when
// it has one, else as miekg/dns's server would), and sends the batch's
// answers in one write. One goroutine per socket is enough because the
// work is all CPU and never waits: the server opens a SO_REUSEPORT
// socket per core and the kernel spreads datagrams over them, so each
// core runs one reader with its buffers to itself, and no reader
// contends with another for a socket's lock or splits its batches.
type udpReader struct {
	conn    *net.UDPConn
	batch   batchConn
	handler dns.Handler
	// update serves UPDATE messages away from the reader (updates), at
	// most MaxUDPUpdates at once (updateSlots).
	update      dns.Handler
	updates     sync.WaitGroup
	updateSlots chan struct{}
	// notify takes NOTIFY messages on the reader (ServerOptions.Notify).
	notify dns.Handler
	fast   PacketAnswerer
	// fastAt is fast when it takes the query's destination too (the
	// query log's server address); local is the socket's address.
	fastAt  packetAnswererAt
	local   netip.AddrPort
	log     *slog.Logger
	metrics *UDPMetrics
	// batchWait is ServerOptions.UDPBatchWait; nap and sleep wait it,
	// keeping the processor or not, and waitsInRow counts the waits since
	// the reader last parked or gave the scheduler a turn (gather).
	batchWait    time.Duration
	nap, sleep   napFunc
	waitsInRow   int
	waitsPerTurn int

	b *udpBatch
	w udpWriter

	stopping atomic.Bool
	done     chan struct{}
}

func newUDPReader(conn *net.UDPConn, opts *ServerOptions) (*udpReader, error) {
	local := addrPortOf(conn.LocalAddr())
	if needsPacketInfo(local.Addr()) {
		if err := enablePacketInfo(conn); err != nil {
			return nil, err
		}
	}
	batch, err := newBatchConn(conn)
	if err != nil {
		return nil, fmt.Errorf("batching reads on udp %s: %w", conn.LocalAddr(), err)
	}
	u := &udpReader{
		conn:    conn,
		batch:   batch,
		handler: opts.Handler,
		update:  opts.Update,
		notify:  opts.Notify,
		log:     opts.Logger,
		metrics: opts.UDPMetrics,
		b:       newUDPBatch(),
		done:    make(chan struct{}),

		batchWait:    opts.UDPBatchWait,
		nap:          napThread,
		sleep:        time.Sleep,
		waitsPerTurn: waitsPerTurn(opts.UDPBatchWait),
	}
	u.fast, _ = opts.Handler.(PacketAnswerer)
	u.fastAt, _ = opts.Handler.(packetAnswererAt)
	u.local = local
	u.w.r = u
	u.w.tsigState.keys = opts.TSIGKeys
	u.updateSlots = make(chan struct{}, MaxUDPUpdates)
	return u, nil
}

// needsPacketInfo reports whether a socket bound to local must ask for
// each datagram's destination, to answer from it. A socket bound to one
// address receives only datagrams sent to it and answers from it; only a
// wildcard's need it, which costs the kernel a control message each way
// per datagram.
func needsPacketInfo(local netip.Addr) bool { return local.IsUnspecified() }

// serve reads and answers until the socket is shut down or fails; it
// returns the failure, and nil on shutdown.
func (u *udpReader) serve() error {
	defer close(u.done)
	defer u.conn.Close()
	// Updates in flight answer before the socket closes.
	defer u.updates.Wait()
	waiter, _ := u.batch.(readWaiter)
	for {
		n, err := u.batch.ReadBatch(u.b.in, 0)
		if err != nil {
			if u.stopping.Load() || isClosed(err) {
				return nil
			}
			if temporary(err) {
				continue
			}
			return fmt.Errorf("reading udp %s: %w", u.conn.LocalAddr(), err)
		}
		u.metrics.read(n)
		for i := range n {
			u.answer(&u.b.in[i])
		}
		u.flush()
		u.gather(n, waiter)
	}
}

// temporary reports an error a read may be retried after, as miekg/dns's
// server does.
func temporary(err error) bool {
	var ne interface{ Temporary() bool }
	return errors.As(err, &ne) && ne.Temporary()
}

// answer serves one datagram, queuing its answer if it has one.
func (u *udpReader) answer(m *ipv4.Message) {
	pkt := m.Buffers[0][:m.N]
	from, ok := m.Addr.(*net.UDPAddr)
	if len(pkt) < 12 || !ok {
		return
	}
	dst := packetDst(m.OOB[:m.NN])
	if u.fast != nil {
		if u.b.full() {
			u.flush()
		}
		// A dual-stack socket sees IPv4 clients as mapped addresses.
		src := from.AddrPort()
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		var resp []byte
		var ok bool
		if u.fastAt != nil {
			resp, ok = u.fastAt.answerPacketAt(pkt, src, u.server(dst), u.b.slot()[:0])
		} else {
			resp, ok = u.fast.AnswerPacket(pkt, src, u.b.slot()[:0])
		}
		if ok {
			if resp != nil {
				u.b.queue(resp, from, dst)
			}
			return
		}
	}
	u.w.reset(from, dst)
	if req := acceptQuery(&u.w, pkt, u.update != nil); req != nil {
		u.w.tsigState.verify(pkt, req)
		if req.Opcode == dns.OpcodeUpdate {
			u.serveUpdate(req, from, dst)
			return
		}
		if req.Opcode == dns.OpcodeNotify && u.notify != nil {
			u.notify.ServeDNS(&u.w, req)
			return
		}
		u.handler.ServeDNS(&u.w, req)
	}
}

// flush sends the queued answers. A datagram the kernel refuses (its
// address unreachable, say) is dropped and the rest still go; a full send
// buffer waits until it drains, as a write on the socket would.
func (u *udpReader) flush() {
	pending := u.b.out[:u.b.pending]
	for len(pending) > 0 {
		n, err := u.batch.WriteBatch(pending, 0)
		if err != nil {
			if isClosed(err) {
				break
			}
			// sendmmsg fails only on its first datagram; the others have
			// not been tried.
			u.metrics.sendFailed()
			u.log.Debug("cannot send dns answer", "to", pending[0].Addr, "err", err)
			n = 1
		}
		pending = pending[max(n, 1):]
	}
	u.b.sent()
}

// stop ends reading: the reader answers the batch it holds and returns.
func (u *udpReader) stop() {
	u.stopping.Store(true)
	// A deadline in the past ends a blocked read at once.
	_ = u.conn.SetReadDeadline(time.Unix(1, 0))
}

// shutdown stops reading and waits for the batch being answered to be
// sent, until ctx ends; then it closes the socket.
func (u *udpReader) shutdown(ctx context.Context) error {
	u.stop()
	var err error
	select {
	case <-u.done:
	case <-ctx.Done():
		err = fmt.Errorf("shutting down udp %s: %w", u.conn.LocalAddr(), ctx.Err())
	}
	_ = u.conn.Close()
	return err
}

// server is the address a datagram was sent to: its destination, when
// the packet said, on the socket's port.
func (u *udpReader) server(dst netip.Addr) netip.AddrPort {
	if !dst.IsValid() {
		return u.local
	}
	return netip.AddrPortFrom(dst, u.local.Port())
}

// serveUpdate hands an UPDATE to the update handler on a goroutine of
// its own, with a writer that answers outside the batch; past
// MaxUDPUpdates in flight it answers SERVFAIL at once.
func (u *udpReader) serveUpdate(req *dns.Msg, from *net.UDPAddr, dst netip.Addr) {
	select {
	case u.updateSlots <- struct{}{}:
	default:
		u.w.reset(from, dst)
		resp := new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
		_ = u.w.WriteMsg(resp)
		return
	}
	w := &updateWriter{conn: u.conn, from: &net.UDPAddr{IP: slices.Clone(from.IP), Port: from.Port, Zone: from.Zone}, tsigState: u.w.tsigState}
	u.updates.Add(1)
	go func() {
		defer u.updates.Done()
		defer func() { <-u.updateSlots }()
		u.update.ServeDNS(w, req)
	}()
}
