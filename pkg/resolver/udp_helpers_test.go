package resolver_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// echoAnswerer is the cheapest PacketAnswerer: it answers every query
// with the query itself, QR set, and counts what it saw. Its ServeDNS
// answers REFUSED, so a test can tell which path answered.
type echoAnswerer struct {
	// decline makes AnswerPacket decline queries whose id is odd.
	decline bool
	// silent answers nothing (nil response) to ids divisible by 3.
	silent bool
	// sources records the source of each packet, when set.
	sources chan netip.AddrPort
}

var _ resolver.PacketAnswerer = (*echoAnswerer)(nil)

func (e *echoAnswerer) AnswerPacket(q []byte, src netip.AddrPort, out []byte) ([]byte, bool) {
	if e.sources != nil {
		select {
		case e.sources <- src:
		default:
		}
	}
	id := uint16(q[0])<<8 | uint16(q[1])
	if e.decline && id%2 == 1 {
		return nil, false
	}
	if e.silent && id%3 == 0 {
		return nil, true
	}
	out = append(out[:0], q...)
	out[2] |= 0x80
	return out, true
}

func (e *echoAnswerer) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg).SetRcode(q, dns.RcodeRefused)
	_ = w.WriteMsg(m)
}

// startMiekgUDP serves h with miekg/dns's own UDP server on addr, the
// way this package served UDP before its batched readers: the reference
// they must behave like.
func startMiekgUDP(tb testing.TB, h dns.Handler, addr string) string {
	tb.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, UDPSize: dns.DefaultMsgSize, NotifyStartedFunc: func() { close(started) }}
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-done:
		tb.Fatalf("miekg/dns server: %v", err)
	}
	tb.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return pc.LocalAddr().String()
}

// pump sends q to addr n times over one socket, keeping window queries
// outstanding, and returns how many answers came back. A query lost in
// a full socket buffer is sent again after a second without answers.
func pump(tb testing.TB, addr string, q []byte, n, window int) (answers, resent int) {
	tb.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.UDPConn).SetReadBuffer(1 << 20)
	buf := make([]byte, 4096)
	sent := 0
	for ; sent < min(window, n); sent++ {
		if _, err := c.Write(q); err != nil {
			tb.Fatal(err)
		}
	}
	for answers < n {
		if answers%256 == 0 {
			if err := c.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
				tb.Fatal(err)
			}
		}
		if _, err := c.Read(buf); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || resent > n {
				tb.Fatalf("after %d of %d answers: %v", answers, n, err)
			}
			for range sent - answers {
				_, _ = c.Write(q)
				resent++
			}
			if err := c.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		answers++
		if sent < n {
			if _, err := c.Write(q); err != nil {
				tb.Fatal(err)
			}
			sent++
		}
	}
	return answers, resent
}
