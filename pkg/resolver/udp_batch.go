package resolver

import (
	"net"
	"net/netip"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// udpBatchSize is how many datagrams one read (recvmmsg) takes and one
// write (sendmmsg) sends at most. A batch of 32 already makes the system
// calls' cost per datagram small; more buys little and costs memory in
// every socket (2 × 32 × 4 KiB).
const udpBatchSize = 32

// udpReadSize is the read buffer of one datagram. It is the size
// miekg/dns's server read with: longer datagrams arrive cut, as before.
const udpReadSize = dns.DefaultMsgSize

// udpOutSize is the answer buffer of one datagram: larger than any UDP
// answer the handler gives (its EDNS limit); a larger one is copied into
// a buffer of its own.
const udpOutSize = 2048

// batchConn is the batched I/O of a socket, as x/net's ipv4.PacketConn
// and ipv6.PacketConn do it: recvmmsg and sendmmsg on Linux, one
// datagram per call elsewhere.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// readWaiter is a batchConn that tells whether its last read found the
// socket empty and had to wait: a reader under load (which finds
// datagrams queued each time it comes back) may wait for more to gather
// (udpReader.gather). Only Linux's recvmmsg tells; elsewhere a reader
// never waits.
type readWaiter interface {
	readWaited() bool
}

// xnetConn is x/net's batched I/O on c, of c's address family.
func xnetConn(c *net.UDPConn) batchConn {
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		return ipv4.NewPacketConn(c)
	}
	return ipv6.NewPacketConn(c)
}

// udpBatch holds one socket's messages and buffers, allocated once: the
// datagrams of the last read and the answers waiting to be sent.
type udpBatch struct {
	in  []ipv4.Message
	out []ipv4.Message
	// outBuf and outOOB are each answer slot's own buffers; out[i] points
	// into them, or at a larger buffer for an answer that did not fit.
	outBuf [][]byte
	outOOB [][]byte
	// pending is the number of answers queued in out.
	pending int
}

func newUDPBatch() *udpBatch {
	b := &udpBatch{
		in:     make([]ipv4.Message, udpBatchSize),
		out:    make([]ipv4.Message, udpBatchSize),
		outBuf: make([][]byte, udpBatchSize),
		outOOB: make([][]byte, udpBatchSize),
	}
	inBufs := make([][]byte, udpBatchSize)
	outBufs := make([][]byte, udpBatchSize)
	for i := range udpBatchSize {
		inBufs[i] = make([]byte, udpReadSize)
		b.in[i].Buffers = inBufs[i : i+1]
		b.in[i].OOB = make([]byte, udpOOBSize)
		b.outBuf[i] = make([]byte, udpOutSize)
		b.outOOB[i] = make([]byte, udpOOBSize)
		b.out[i].Buffers = outBufs[i : i+1]
	}
	return b
}

// full reports whether the answers queued fill the batch.
func (b *udpBatch) full() bool { return b.pending == len(b.out) }

// slot is the buffer the next answer is built in; the batch must not be
// full.
func (b *udpBatch) slot() []byte { return b.outBuf[b.pending] }

// queue adds an answer to the next slot: resp is sent as it is when it
// was built in slot(), else copied into it (or into a buffer of its own
// if it does not fit). The batch must not be full.
func (b *udpBatch) queue(resp []byte, to *net.UDPAddr, src netip.Addr) {
	i := b.pending
	own := b.outBuf[i]
	if len(resp) == 0 || &resp[0] != &own[0] {
		resp = append(own[:0], resp...)
	}
	m := &b.out[i]
	m.Buffers[0] = resp
	m.Addr = to
	m.OOB = appendSource(b.outOOB[i], src)
	b.pending++
}

// sent drops the queued answers once written, and the addresses they
// held, so that the next read's are the only ones kept alive.
func (b *udpBatch) sent() {
	for i := range b.pending {
		b.out[i].Addr = nil
		b.out[i].Buffers[0] = nil
	}
	b.pending = 0
}
