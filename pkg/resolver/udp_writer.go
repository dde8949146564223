package resolver

import (
	"errors"
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// udpWriter is the dns.ResponseWriter of the datagram a reader is
// answering through the handler, reused for each. The handler sees what
// miekg/dns's server shows it over UDP: the socket's local address, the
// client's *net.UDPAddr, one datagram per write, TSIG verified and
// answers signed with the server's TSIGKeys; Close only
// stops further writes. Writes join the batch's answers, so they are
// valid while ServeDNS runs, as the handlers of this package use them.
type udpWriter struct {
	r    *udpReader
	from *net.UDPAddr
	// dst is the address the query was sent to, the answer's source.
	dst    netip.Addr
	closed bool
	tsigState
}

var _ dns.ResponseWriter = (*udpWriter)(nil)

// reset readies w for the datagram from from to dst.
func (w *udpWriter) reset(from *net.UDPAddr, dst netip.Addr) {
	w.from, w.dst, w.closed = from, dst, false
}

// LocalAddr is the socket's address.
func (w *udpWriter) LocalAddr() net.Addr { return w.r.conn.LocalAddr() }

// RemoteAddr is the client's address, a *net.UDPAddr.
func (w *udpWriter) RemoteAddr() net.Addr { return w.from }

// WriteMsg packs m straight into the batch's next answer buffer.
func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	if w.closed {
		return errors.New("dns: WriteMsg called after Close")
	}
	if m.IsTsig() != nil {
		out, err := w.tsigState.pack(m)
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	}
	b := w.r.b
	if b.full() {
		w.r.flush()
	}
	out, err := m.PackBuffer(b.slot())
	if err != nil {
		return err
	}
	b.queue(out, w.from, w.dst)
	return nil
}

// Write queues a copy of m as one datagram, sent with the batch.
func (w *udpWriter) Write(m []byte) (int, error) {
	if w.closed {
		return 0, errors.New("dns: Write called after Close")
	}
	if w.r.b.full() {
		w.r.flush()
	}
	w.r.b.queue(m, w.from, w.dst)
	return len(m), nil
}

// Close refuses further writes; the socket is the server's and stays
// open.
func (w *udpWriter) Close() error {
	if w.closed {
		return errors.New("dns: connection already closed")
	}
	w.closed = true
	return nil
}

// Hijack does nothing: a datagram has no connection to take over.
func (w *udpWriter) Hijack() {}
