package dnstaplog

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	dnstap "github.com/dnstap/golang-dnstap"
	framestream "github.com/farsightsec/golang-framestream"
)

// SocketOptions tune a socket output.
type SocketOptions struct {
	// Timeout bounds a connection attempt, its handshake and each write;
	// 0 is 2s.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before the next attempt
	// to connect after one failed; it doubles from MinBackoff (0: 100ms)
	// up to MaxBackoff (0: 30s), with jitter.
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock of the backoff; nil is time.Now. Socket deadlines
	// are the kernel's and always read the real clock.
	Now func() time.Time
	// Logger hears of connections made and lost; nil discards.
	Logger *slog.Logger
}

// errAway is a frame dropped while the collector cannot be reached.
var errAway = errors.New("dnstap collector not connected")

// socketOutput is a bidirectional Frame Streams connection to a
// collector, made again after it fails, after a growing wait. Frames
// written while there is no connection are dropped: holding them would
// hold the node's memory for a collector that may never return.
type socketOutput struct {
	network, addr string
	opts          SocketOptions
	conn          net.Conn
	w             *framestream.Writer
	backoff       time.Duration
	next          time.Time
	// lost is set once a connection has failed, so only a change is
	// logged.
	lost bool
}

// NewSocketOutput writes to the collector listening on addr (network
// "unix" or "tcp"). It connects on the first frame.
func NewSocketOutput(network, addr string, opts SocketOptions) Output {
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &socketOutput{network: network, addr: addr, opts: opts}
}

func (o *socketOutput) WriteFrame(frame []byte) error {
	if err := o.connect(); err != nil {
		return err
	}
	if err := o.conn.SetWriteDeadline(time.Now().Add(o.opts.Timeout)); err != nil {
		return o.fail(err)
	}
	if _, err := o.w.WriteFrame(frame); err != nil {
		return o.fail(err)
	}
	return nil
}

func (o *socketOutput) Flush() error {
	if o.w == nil {
		return nil
	}
	if err := o.conn.SetWriteDeadline(time.Now().Add(o.opts.Timeout)); err != nil {
		return o.fail(err)
	}
	if err := o.w.Flush(); err != nil {
		return o.fail(err)
	}
	return nil
}

// Close ends the stream (waiting for the collector's FINISH up to the
// timeout) and the connection.
func (o *socketOutput) Close() error {
	if o.w == nil {
		return nil
	}
	_ = o.conn.SetDeadline(time.Now().Add(o.opts.Timeout))
	err := o.w.Close()
	if cerr := o.conn.Close(); err == nil {
		err = cerr
	}
	o.conn, o.w = nil, nil
	if err != nil {
		return fmt.Errorf("closing the dnstap stream to %s %s: %w", o.network, o.addr, err)
	}
	return nil
}

// connect makes the connection and the stream's handshake unless it is
// up, or the wait after the last failure has not passed.
func (o *socketOutput) connect() error {
	if o.w != nil {
		return nil
	}
	if o.opts.Now().Before(o.next) {
		return errAway
	}
	conn, err := net.DialTimeout(o.network, o.addr, o.opts.Timeout)
	if err != nil {
		return o.fail(err)
	}
	w, err := framestream.NewWriter(conn, &framestream.WriterOptions{
		ContentTypes: [][]byte{dnstap.FSContentType}, Bidirectional: true, Timeout: o.opts.Timeout,
	})
	if err != nil {
		conn.Close()
		return o.fail(fmt.Errorf("frame streams handshake: %w", err))
	}
	o.conn, o.w, o.backoff = conn, w, 0
	if o.lost {
		o.lost = false
		o.opts.Logger.Info("dnstap collector connected", "network", o.network, "addr", o.addr)
	}
	return nil
}

// fail drops the connection and sets the wait before the next attempt.
func (o *socketOutput) fail(err error) error {
	if o.conn != nil {
		o.conn.Close()
	}
	o.conn, o.w = nil, nil
	o.backoff = min(max(2*o.backoff, o.opts.MinBackoff), o.opts.MaxBackoff)
	// Up to a fifth less, so that nodes that lost one collector together
	// do not all come back to it at once.
	wait := o.backoff - time.Duration(rand.Int64N(int64(o.backoff)/5+1))
	o.next = o.opts.Now().Add(wait)
	if !o.lost {
		o.lost = true
		o.opts.Logger.Warn("dnstap collector unreachable; dropping messages until it is back", "network", o.network, "addr", o.addr, "err", err)
	}
	return fmt.Errorf("writing dnstap to %s %s: %w", o.network, o.addr, err)
}
