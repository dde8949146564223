package resolver

import (
	"encoding/binary"
	"errors"
	"net"
	"time"

	"github.com/miekg/dns"
)

// tcpWriter is the dns.ResponseWriter of one TCP connection, reused for
// each of its queries. The handler sees what miekg/dns's own server
// shows it: *net.TCPAddr addresses, framed writes, TSIG verified and
// answers signed with the server's TSIGKeys.
type tcpWriter struct {
	conn  *tcpConn
	table *connTable
	tsigState
	// keepalive: the query carried an edns-tcp-keepalive option (RFC
	// 7828), so the answer carries the timeout in force.
	keepalive bool
	closed    bool
	hijacked  bool
	// err is the first write error; the connection ends after the query.
	err error
	out []byte
}

var _ dns.ResponseWriter = (*tcpWriter)(nil)

// keepOutBuffer is the largest frame buffer kept between answers; the
// rare larger answer gets its own.
const keepOutBuffer = 4096

// LocalAddr is the server's address of the connection.
func (w *tcpWriter) LocalAddr() net.Addr { return w.conn.c.LocalAddr() }

// RemoteAddr is the client's address, a *net.TCPAddr.
func (w *tcpWriter) RemoteAddr() net.Addr { return w.conn.c.RemoteAddr() }

// WriteMsg packs m, signed when it ends with a TSIG record, and writes
// it.
func (w *tcpWriter) WriteMsg(m *dns.Msg) error {
	b, err := w.tsigState.pack(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Write sends one packed message with its two-byte length prefix, in one
// write, within the idle timeout in force.
func (w *tcpWriter) Write(m []byte) (int, error) {
	if w.closed {
		return 0, errors.New("dns: Write called after Close")
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.keepalive {
		m = withKeepalive(m, w.table.currentTimeout())
	}
	if len(m) > dns.MaxMsgSize {
		return 0, errors.New("dns: message too large")
	}
	w.out = binary.BigEndian.AppendUint16(w.out[:0], uint16(len(m)))
	w.out = append(w.out, m...)
	w.conn.c.SetWriteDeadline(time.Now().Add(w.table.writeTimeout(w.conn)))
	_, err := w.conn.c.Write(w.out)
	if cap(w.out) > keepOutBuffer {
		w.out = nil
	}
	if err != nil {
		w.err = err
		return 0, err
	}
	return len(m), nil
}

// Close closes the connection; the server serves it no further.
func (w *tcpWriter) Close() error {
	if w.closed {
		return errors.New("dns: connection already closed")
	}
	w.closed = true
	return w.conn.close()
}

// Hijack hands the connection to the handler: the server neither reads
// from it nor closes it any more.
func (w *tcpWriter) Hijack() { w.hijacked = true }

// wantsKeepalive reports whether q carries an edns-tcp-keepalive option
// as a client sends it, empty (RFC 7828 §3.2.1). One with a timeout is
// answered FORMERR by the handler, and the answer does not offer one.
func wantsKeepalive(q *dns.Msg) bool {
	opt := q.IsEdns0()
	if opt == nil {
		return false
	}
	for _, o := range opt.Option {
		if k, ok := o.(*dns.EDNS0_TCP_KEEPALIVE); ok {
			return k.Timeout == 0
		}
	}
	return false
}

// withKeepalive returns the packed response m with an edns-tcp-keepalive
// option in its OPT record giving timeout (RFC 7828 §3.3.2), or m as it
// is when it has no OPT record (the handler did not answer with EDNS).
// It unpacks and packs again: this runs only for the TCP queries that ask,
// and it stays right whatever options the handler wrote.
func withKeepalive(m []byte, timeout time.Duration) []byte {
	var resp dns.Msg
	if err := resp.Unpack(m); err != nil {
		return m
	}
	opt := resp.IsEdns0()
	if opt == nil {
		return m
	}
	kept := opt.Option[:0]
	for _, o := range opt.Option {
		if o.Option() != dns.EDNS0TCPKEEPALIVE {
			kept = append(kept, o)
		}
	}
	// The option counts in units of 100 ms; a timeout is never 0 there,
	// which would read as "omitted".
	units := min(max(timeout/(100*time.Millisecond), 1), 0xffff)
	opt.Option = append(kept, &dns.EDNS0_TCP_KEEPALIVE{Code: dns.EDNS0TCPKEEPALIVE, Timeout: uint16(units)})
	resp.Compress = true
	b, err := resp.Pack()
	if err != nil {
		return m
	}
	return b
}
