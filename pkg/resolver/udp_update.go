package resolver

import (
	"errors"
	"net"

	"github.com/miekg/dns"
)

// updateWriter answers one UPDATE received over UDP, from the goroutine
// that serves it (udpReader.serveUpdate): straight to the socket, not
// through the reader's batch, which has moved on by then. Its answer
// leaves from the socket's address, not necessarily the one the update
// was sent to on a wildcard listener.
type updateWriter struct {
	conn *net.UDPConn
	from *net.UDPAddr
	tsigState
	closed bool
}

var _ dns.ResponseWriter = (*updateWriter)(nil)

func (w *updateWriter) LocalAddr() net.Addr  { return w.conn.LocalAddr() }
func (w *updateWriter) RemoteAddr() net.Addr { return w.from }

// WriteMsg packs m, signed when it ends with a TSIG record, and sends it.
func (w *updateWriter) WriteMsg(m *dns.Msg) error {
	out, err := w.tsigState.pack(m)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// Write sends m as one datagram.
func (w *updateWriter) Write(m []byte) (int, error) {
	if w.closed {
		return 0, errors.New("dns: Write called after Close")
	}
	return w.conn.WriteToUDP(m, w.from)
}

// Close refuses further writes.
func (w *updateWriter) Close() error {
	w.closed = true
	return nil
}

// Hijack does nothing: a datagram has no connection to take over.
func (w *updateWriter) Hijack() {}
