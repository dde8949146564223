package resolver_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// malformed is one bad packet of the storm.
type malformed struct {
	kind string
	pkt  []byte
	// strict: the packet is certainly malformed, so the only acceptable
	// reply is FORMERR. Otherwise (random bytes, truncations that may
	// end on a record boundary) any well-formed reply will do.
	strict bool
}

// wantsReply reports whether the server must reply at all: miekg/dns
// drops packets shorter than a header and responses (QR set); everything
// else gets FORMERR, NOTIMP or an answer.
func wantsReply(pkt []byte) bool { return len(pkt) >= 12 && pkt[2]&0x80 == 0 }

// validQueries are packed queries the storm mutates.
func validQueries(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	add := func(name string, qtype uint16, edit func(*dns.Msg)) {
		out = append(out, packEdited(tb, name, qtype, edit))
	}
	add("host.example.test.", dns.TypeA, nil)
	add("www.example.test.", dns.TypeAAAA, func(m *dns.Msg) {
		m.SetEdns0(4096, true)
		o := m.IsEdns0()
		o.Option = append(o.Option, ecs4("192.0.2.0", 24))
	})
	add("example.test.", dns.TypeNS, func(m *dns.Msg) { m.SetEdns0(1232, false) })
	add("bigtxt.example.test.", dns.TypeTXT, func(m *dns.Msg) { m.SetEdns0(4096, true) })
	add("nope.example.test.", dns.TypeA, nil)
	add("www.child.example.test.", dns.TypeA, func(m *dns.Msg) {
		m.SetEdns0(512, false)
		o := m.IsEdns0()
		o.Option = append(o.Option, ecs6("2001:db8::", 48))
	})
	return out
}

// header returns a query header with id, qdcount and the other counts.
func header(id, qd, an, ns, ar uint16) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], id)
	b[2] = 0x01 // RD
	binary.BigEndian.PutUint16(b[4:], qd)
	binary.BigEndian.PutUint16(b[6:], an)
	binary.BigEndian.PutUint16(b[8:], ns)
	binary.BigEndian.PutUint16(b[10:], ar)
	return b
}

// typeClass is QTYPE A, QCLASS IN.
var typeClass = []byte{0, 1, 0, 1}

// wireName packs a presentation name uncompressed.
func wireName(name string) []byte {
	b := make([]byte, 256)
	n, err := dns.PackDomainName(name, b, 0, nil, false)
	if err != nil {
		panic(err)
	}
	return b[:n]
}

// optRR is an OPT record (owner root) with payload size and rdata.
func optRR(size uint16, rdata []byte) []byte {
	b := []byte{0, 0, 41}
	b = binary.BigEndian.AppendUint16(b, size)
	b = append(b, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
	return append(b, rdata...)
}

// question is host.example.test. A IN.
var question = append(wireName("host.example.test."), typeClass...)

// genMalformed makes n bad packets of every kind from r.
func genMalformed(tb testing.TB, r *rand.Rand, n int) []malformed {
	valid := validQueries(tb)
	pick := func() []byte { return bytes.Clone(valid[r.IntN(len(valid))]) }
	id := func() uint16 { return uint16(r.Uint32()) }
	garbage := func(max int) []byte {
		b := make([]byte, r.IntN(max+1))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	longLabel := func() []byte {
		// A length byte of 64..191 is no plain label (RFC 1035 §4.1.4,
		// RFC 6891 §5 retired the extended label types).
		l := 64 + r.IntN(128)
		b := []byte{byte(l)}
		b = append(b, bytes.Repeat([]byte{'a'}, min(l, 63))...)
		return append(b, 0)
	}
	longName := func() []byte {
		// Five 63-byte labels: 321 octets, over the 255 limit.
		var b []byte
		for range 5 {
			b = append(b, 63)
			b = append(b, bytes.Repeat([]byte{'a' + byte(r.IntN(26))}, 63)...)
		}
		return append(b, 0)
	}
	gens := []struct {
		kind   string
		strict bool
		make   func() []byte
	}{
		{"random bytes", false, func() []byte { return garbage(600) }},
		{"truncated valid query", false, func() []byte {
			p := pick()
			return p[:r.IntN(len(p))]
		}},
		{"valid header, garbage body", false, func() []byte {
			return append(header(id(), 1, 0, 0, uint16(r.IntN(3))), garbage(300)...)
		}},
		{"valid query, bytes flipped", false, func() []byte {
			p := pick()
			for range 1 + r.IntN(4) {
				i := 12 + r.IntN(len(p)-12)
				p[i] ^= byte(1 + r.IntN(255))
			}
			return p
		}},
		{"huge qdcount", true, func() []byte {
			p := pick()
			binary.BigEndian.PutUint16(p[4:], uint16(2+r.IntN(65534)))
			return p
		}},
		{"compression pointer to itself", true, func() []byte {
			return append(header(id(), 1, 0, 0, 0), 0xC0, 12, 0, 1, 0, 1)
		}},
		{"compression loop of two", true, func() []byte {
			// 12: label "a", then at 14 a pointer to 16; 16: a pointer
			// back to 12.
			return append(header(id(), 1, 0, 0, 0), 1, 'a', 0xC0, 16, 0xC0, 12, 0, 1, 0, 1)
		}},
		{"compression loop through labels", true, func() []byte {
			b := append(header(id(), 1, 0, 0, 0), 3, 'f', 'o', 'o', 3, 'b', 'a', 'r')
			return append(b, 0xC0, 12, 0, 1, 0, 1)
		}},
		{"compression pointer past the end", true, func() []byte {
			return append(header(id(), 1, 0, 0, 0), 0xC0|byte(r.IntN(0x3F)), 0xF0, 0, 1, 0, 1)
		}},
		{"label over 63", true, func() []byte {
			return append(append(header(id(), 1, 0, 0, 0), longLabel()...), typeClass...)
		}},
		{"name over 255", true, func() []byte {
			return append(append(header(id(), 1, 0, 0, 0), longName()...), typeClass...)
		}},
		{"name over 255 through pointers", true, func() []byte {
			// Four 63-byte labels at 12, then a name of 63-byte label +
			// pointer to them: 64 + 257 octets when expanded.
			b := header(id(), 2, 0, 0, 0)
			for range 4 {
				b = append(b, 63)
				b = append(b, bytes.Repeat([]byte{'x'}, 63)...)
			}
			b = append(b, 0)
			b = append(b, typeClass...)
			b = append(b, 63)
			b = append(b, bytes.Repeat([]byte{'y'}, 63)...)
			b = append(b, 0xC0, 12)
			return append(b, typeClass...)
		}},
		{"OPT in the answer section", true, func() []byte {
			b := append(header(id(), 1, 1, 0, 0), question...)
			return append(b, optRR(4096, nil)...)
		}},
		{"OPT in the authority section", true, func() []byte {
			b := append(header(id(), 1, 0, 1, 0), question...)
			return append(b, optRR(1232, nil)...)
		}},
		{"two OPT records", true, func() []byte {
			b := append(header(id(), 1, 0, 0, 2), question...)
			return append(append(b, optRR(4096, nil)...), optRR(512, nil)...)
		}},
		{"OPT owner not the root", true, func() []byte {
			b := append(header(id(), 1, 0, 0, 1), question...)
			opt := optRR(4096, nil)
			return append(append(b, wireName("example.test.")...), opt[1:]...)
		}},
		{"OPT option longer than its record", true, func() []byte {
			b := append(header(id(), 1, 0, 0, 1), question...)
			return append(b, optRR(4096, []byte{0, 8, 0, 200, 0, 1, 24, 0})...)
		}},
		{"rdlength past the end", true, func() []byte {
			b := append(header(id(), 1, 0, 0, 1), question...)
			b = append(b, wireName("x.example.test.")...)
			return append(b, 0, 1, 0, 1, 0, 0, 0, 60, 0, byte(5+r.IntN(250)), 192, 0, 2, 1)
		}},
		{"question without type and class", true, func() []byte {
			return append(header(id(), 1, 0, 0, 0), wireName("host.example.test.")...)
		}},
	}
	var out []malformed
	for _, g := range gens {
		for range n {
			out = append(out, malformed{kind: g.kind, pkt: g.make(), strict: g.strict})
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// stormReport collects what went wrong per kind of packet, so that a
// bug shows once with an example rather than once per packet.
type stormReport struct {
	kinds []string
	fails map[string]int
	first map[string]string
}

func (r *stormReport) failf(m malformed, format string, args ...any) {
	if r.fails == nil {
		r.fails, r.first = map[string]int{}, map[string]string{}
	}
	if r.fails[m.kind] == 0 {
		r.kinds = append(r.kinds, m.kind)
		r.first[m.kind] = fmt.Sprintf("%x: ", m.pkt) + fmt.Sprintf(format, args...)
	}
	r.fails[m.kind]++
}

func (r *stormReport) report(t *testing.T) {
	t.Helper()
	for _, k := range r.kinds {
		t.Errorf("%s: %d packets failed; first: %s", k, r.fails[k], r.first[k])
	}
}

// check judges a reply to a malformed packet.
func (r *stormReport) check(m malformed, reply []byte) {
	resp := new(dns.Msg)
	if err := resp.Unpack(reply); err != nil {
		r.failf(m, "reply does not unpack: %v", err)
		return
	}
	if !resp.Response || resp.Id != binary.BigEndian.Uint16(m.pkt) {
		r.failf(m, "reply id %d QR %v", resp.Id, resp.Response)
	}
	if m.strict && resp.Rcode != dns.RcodeFormatError {
		r.failf(m, "rcode %s, want FORMERR", rcodeString(resp.Rcode))
	}
}

// TestMalformedStorm sends thousands of bad packets over UDP and TCP. The
// server must not crash (a panic in a serving goroutine kills the test
// binary), must reply FORMERR or nothing to what is certainly malformed,
// and must answer a valid query afterwards.
func TestMalformedStorm(t *testing.T) {
	srv := startServer(t, newHandler(testSnapshot(t)), nil)
	addr := srv.Addrs()[0]
	per := 60
	if testing.Short() {
		per = 10
	}
	r := rand.New(rand.NewPCG(20240101, 7))
	storm := genMalformed(t, r, per)
	const replyWait = 3 * time.Second

	t.Run("udp", func(t *testing.T) {
		var rep stormReport
		defer rep.report(t)
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 65535)
		for _, m := range storm {
			if _, err := c.Write(m.pkt); err != nil {
				t.Fatal(err)
			}
			if !wantsReply(m.pkt) {
				continue
			}
			// Replies come in order of the packets sent; a stray reply
			// to a packet we expected nothing from would show as an id
			// mismatch.
			if err := c.SetReadDeadline(time.Now().Add(replyWait)); err != nil {
				t.Fatal(err)
			}
			n, err := c.Read(buf)
			if err != nil {
				rep.failf(m, "no reply: %v", err)
				continue
			}
			rep.check(m, buf[:n])
		}
	})

	t.Run("tcp", func(t *testing.T) {
		var rep stormReport
		defer rep.report(t)
		var c net.Conn
		for i, m := range storm {
			if i%200 == 0 {
				if c != nil {
					c.Close()
				}
				c = dialTCP(t, addr)
			}
			if err := writeFramed(c, m.pkt); err != nil {
				t.Fatalf("%s: write: %v", m.kind, err)
			}
			if !wantsReply(m.pkt) {
				continue
			}
			if err := c.SetReadDeadline(time.Now().Add(replyWait)); err != nil {
				t.Fatal(err)
			}
			reply, err := readFramed(c)
			if err != nil {
				rep.failf(m, "no reply: %v", err)
				// The stream is out of step; start another.
				c.Close()
				c = dialTCP(t, addr)
				continue
			}
			rep.check(m, reply)
		}
		c.Close()
	})

	t.Run("tcp streams", func(t *testing.T) {
		// Raw byte streams: lengths that lie, half messages, then close.
		for range 2 * per {
			c := dialTCP(t, addr)
			b := make([]byte, r.IntN(2000))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			if r.IntN(2) == 0 {
				// A length prefix promising more than is sent.
				b = append([]byte{byte(r.IntN(256)), byte(r.IntN(256))}, b[:min(len(b), 10)]...)
			}
			_, _ = c.Write(b)
			c.Close()
		}
	})

	// Still serving, on both transports.
	q := packQuery(t, 4242, "host.example.test.", dns.TypeA, true)
	b, err := exchangeUDP(addr, q, 5*time.Second)
	if err != nil {
		t.Fatalf("UDP after the storm: %v", err)
	}
	checkHostA(t, mustUnpack(t, b), 4242)
	b, err = exchangeTCP(dialTCP(t, addr), q, 5*time.Second)
	if err != nil {
		t.Fatalf("TCP after the storm: %v", err)
	}
	checkHostA(t, mustUnpack(t, b), 4242)
}

// TestResolveMalformedMessages: messages that unpack but are odd reach
// Resolve directly; it must not panic and must answer sensibly.
func TestResolveMalformedMessages(t *testing.T) {
	h := newHandler(testSnapshot(t))
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{".", "example.test.", "a.b.c.d.e.f.g.example.test.", `a\.b.example.test.`, `\000.example.test.`,
		"*.wild.example.test.", "*.example.test.", "EXAMPLE.TEST.", `\@.example.test.`, "child.example.test."}
	for range 2000 {
		m := new(dns.Msg)
		m.Id = uint16(r.Uint32())
		m.Opcode = r.IntN(16)
		m.Question = []dns.Question{{Name: names[r.IntN(len(names))], Qtype: uint16(r.IntN(300)), Qclass: uint16(r.IntN(5))}}
		if r.IntN(2) == 0 {
			m.SetEdns0(uint16(r.IntN(70000)), r.IntN(2) == 0)
		}
		resp := h.Resolve(m, loopback, r.IntN(2) == 0)
		if resp.Id != m.Id || !resp.Response {
			t.Fatalf("%v: id %d response %v", m.Question, resp.Id, resp.Response)
		}
		if _, err := resp.Pack(); err != nil {
			t.Errorf("%v opcode %d: response does not pack: %v", m.Question, m.Opcode, err)
		}
	}
}

// TestServeDNSWithoutOneQuestion: the server's accept function refuses
// these, but a handler may sit behind another server: ServeDNS answers
// FORMERR, small, without TC.
func TestServeDNSWithoutOneQuestion(t *testing.T) {
	h := newHandler(testSnapshot(t))
	two := new(dns.Msg).SetQuestion("host.example.test.", dns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	for _, q := range []*dns.Msg{{MsgHdr: dns.MsgHdr{Id: 7}}, two} {
		w := &fakeWriter{remote: fakeUDPClient}
		h.ServeDNS(w, q)
		var resp dns.Msg
		if err := resp.Unpack(w.out); err != nil {
			t.Fatalf("%d questions: unpacking the response: %v", len(q.Question), err)
		}
		if resp.Rcode != dns.RcodeFormatError || resp.Truncated || resp.Id != q.Id {
			t.Errorf("%d questions: rcode %s TC %v id %d, want FORMERR without TC, id %d",
				len(q.Question), dns.RcodeToString[resp.Rcode], resp.Truncated, resp.Id, q.Id)
		}
	}
}
