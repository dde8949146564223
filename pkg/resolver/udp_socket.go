package resolver

import (
	"net"
	"time"
)

// udpSocket is what a reader needs of its socket besides reading and
// writing: its address, a way to end a read it is blocked in, and
// closing. The two kinds differ in who may close the descriptor when.
type udpSocket interface {
	LocalAddr() net.Addr
	// wake ends the read the reader is blocked in, or its next one.
	wake()
	// Close closes the socket; the reader calls it on its way out.
	Close() error
	// abandon is called when Shutdown stops waiting for a reader still
	// answering: it frees the port if that is safe while the reader may
	// be inside a system call on the socket.
	abandon()
	// blocks reports whether reads block their thread (no netpoller), so
	// the reader keeps one thread of its own.
	blocks() bool
}

// pollSocket is a socket served through Go's netpoller.
type pollSocket struct{ *net.UDPConn }

// wake sets a deadline in the past, which ends a blocked read at once.
func (p pollSocket) wake() { _ = p.SetReadDeadline(time.Unix(1, 0)) }

// abandon closes the socket: Go's descriptor outlives a read in flight,
// so closing under the reader is safe.
func (p pollSocket) abandon() { _ = p.Close() }

func (pollSocket) blocks() bool { return false }
