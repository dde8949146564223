package resolver_test

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// firstRand always picks the first choice, so that two servers given the
// same query give the same weighted or multivalue answer.
type firstRand struct{}

func (firstRand) IntN(int) int { return 0 }

// oddPackets are packets at the edges of what miekg/dns's server decides
// before its handler runs: short, responses, other opcodes, counts its
// accept function refuses, header bits set, cut and oversized datagrams.
func oddPackets(tb testing.TB) []malformed {
	tb.Helper()
	q := packQuery(tb, 0x1234, "host.example.test.", dns.TypeA, true)
	withBits := func(id uint16, set func(b []byte)) []byte {
		b := bytes.Clone(q)
		binary.BigEndian.PutUint16(b, id)
		set(b)
		return b
	}
	opcode := func(op byte) func([]byte) { return func(b []byte) { b[2] = b[2]&0x87 | op<<3 } }
	count := func(at int, n uint16) func([]byte) { return func(b []byte) { binary.BigEndian.PutUint16(b[at:], n) } }
	return []malformed{
		{kind: "empty", pkt: []byte{}},
		{kind: "one byte", pkt: []byte{1}},
		{kind: "eleven bytes", pkt: q[:11]},
		{kind: "header only", pkt: q[:12]},
		{kind: "response", pkt: withBits(1, func(b []byte) { b[2] |= 0x80 })},
		{kind: "response header only", pkt: withBits(2, func(b []byte) { b[2] |= 0x80 })[:12]},
		{kind: "opcode IQUERY", pkt: withBits(3, opcode(1))},
		{kind: "opcode STATUS", pkt: withBits(4, opcode(2))},
		{kind: "opcode 3", pkt: withBits(5, opcode(3))},
		{kind: "opcode NOTIFY", pkt: withBits(6, opcode(4))},
		{kind: "opcode UPDATE", pkt: withBits(7, opcode(5))},
		{kind: "opcode 15", pkt: withBits(8, opcode(15))},
		{kind: "opcode UPDATE header only", pkt: withBits(9, opcode(5))[:12]},
		{kind: "qdcount 0", pkt: withBits(10, count(4, 0))},
		{kind: "qdcount 2", pkt: withBits(11, count(4, 2))},
		{kind: "ancount 1", pkt: withBits(12, count(6, 1))},
		{kind: "ancount 2", pkt: withBits(13, count(6, 2))},
		{kind: "nscount 2", pkt: withBits(14, count(8, 2))},
		{kind: "arcount 3", pkt: withBits(15, count(10, 3))},
		{kind: "Z bit", pkt: withBits(16, func(b []byte) { b[3] |= 0x40 })},
		{kind: "rcode in a query", pkt: withBits(17, func(b []byte) { b[3] |= 0x05 })},
		{kind: "TC and AA in a query", pkt: withBits(18, func(b []byte) { b[2] |= 0x06 })},
		{kind: "AD and CD", pkt: withBits(19, func(b []byte) { b[3] |= 0x30 })},
		{kind: "Z bit and NOTIMP", pkt: withBits(20, func(b []byte) { opcode(5)(b); b[3] |= 0x40 })},
		{kind: "trailing bytes", pkt: append(withBits(21, func([]byte) {}), 1, 2, 3, 4)},
		{kind: "oversized", pkt: append(withBits(22, func([]byte) {}), make([]byte, 5000)...)},
		{kind: "cut in the OPT record", pkt: withBits(23, func([]byte) {})[:len(q)-3]},
		{kind: "EDNS version 1", pkt: withBits(24, func(b []byte) { b[len(b)-5] = 1 })},
	}
}

// reply sends pkt on c and returns the reply, or nil when the server
// sends none: a sentinel query follows pkt, and the server answering in
// order, the sentinel's answer coming first means pkt got none.
func reply(tb testing.TB, c net.Conn, pkt, sentinel []byte) []byte {
	tb.Helper()
	if _, err := c.Write(pkt); err != nil {
		tb.Fatal(err)
	}
	if !wantsReply(pkt) {
		if _, err := c.Write(sentinel); err != nil {
			tb.Fatal(err)
		}
	}
	buf := make([]byte, 65535)
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	n, err := c.Read(buf)
	if err != nil {
		return nil
	}
	got := bytes.Clone(buf[:n])
	if wantsReply(pkt) {
		return got
	}
	if binary.BigEndian.Uint16(got) == binary.BigEndian.Uint16(sentinel) {
		return nil
	}
	// An answer to what should get none; the sentinel's is next.
	if _, err := c.Read(buf); err != nil {
		tb.Fatalf("no answer to the sentinel: %v", err)
	}
	return got
}

// TestUDPMatchesMiekg: the same packets, sent to miekg/dns's UDP server
// and to the batched readers, both serving the same handler, get
// byte-identical answers, or none from either. The packets are the
// malformed storm, valid queries and the odd packets miekg/dns decides
// on before its handler runs.
func TestUDPMatchesMiekg(t *testing.T) {
	h := resolver.NewHandler(resolver.Options{Rand: firstRand{}})
	h.Swap(testSnapshot(t))
	ref := startMiekgUDP(t, h, "127.0.0.1:0")
	ours := startServer(t, h, func(o *resolver.ServerOptions) { o.UDPListeners = 1 }).Addrs()[0]

	per := 20
	if testing.Short() {
		per = 5
	}
	pkts := oddPackets(t)
	for _, v := range validQueries(t) {
		pkts = append(pkts, malformed{kind: "valid", pkt: v})
	}
	pkts = append(pkts, genMalformed(t, rand.New(rand.NewPCG(13, 13)), per)...)
	sentinel := packQuery(t, 0xBEEF, "host.example.test.", dns.TypeA, false)

	dial := func(addr string) net.Conn {
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	refConn, ourConn := dial(ref), dial(ours)
	answered := 0
	for i, p := range pkts {
		want := reply(t, refConn, p.pkt, sentinel)
		got := reply(t, ourConn, p.pkt, sentinel)
		if want != nil {
			answered++
		}
		if !bytes.Equal(got, want) {
			t.Errorf("packet %d (%s, % x):\n got % x\nwant % x", i, p.kind, p.pkt[:min(len(p.pkt), 40)], got, want)
		}
	}
	// The comparison means something only if both kinds of outcome
	// occurred.
	if answered == 0 || answered == len(pkts) {
		t.Errorf("%d of %d packets answered: the cases do not cover both answers and silence", answered, len(pkts))
	}
}
