package resolver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/net/ipv4"
)

// scriptedConn passes a real socket's batched I/O through, except where
// its script says otherwise, call by call.
type scriptedConn struct {
	batchConn
	// writes: per WriteBatch call, "" to pass through, "partial" to send
	// only the first message, "fail" to fail without sending.
	writes []string
	// reads: per ReadBatch call, an error to return instead of reading.
	reads []error
}

func (s *scriptedConn) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	step := ""
	if len(s.writes) > 0 {
		step, s.writes = s.writes[0], s.writes[1:]
	}
	switch step {
	case "partial":
		return s.batchConn.WriteBatch(ms[:1], flags)
	case "fail":
		return -1, os.NewSyscallError("sendmmsg", syscall.EPERM)
	}
	return s.batchConn.WriteBatch(ms, flags)
}

func (s *scriptedConn) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	if len(s.reads) > 0 {
		err := s.reads[0]
		s.reads = s.reads[1:]
		return -1, err
	}
	return s.batchConn.ReadBatch(ms, flags)
}

// newScriptedReader is a reader on a real loopback socket whose I/O
// follows script.
func newScriptedReader(t *testing.T, script *scriptedConn) *udpReader {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	u, err := newUDPReader(conn, &ServerOptions{Handler: dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) {}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	script.batchConn = u.batch
	u.batch = script
	return u
}

// TestUDPFlush: the answers of a batch all go out when the kernel takes
// them a few at a time, and one it refuses is dropped without the
// others.
func TestUDPFlush(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		want   []byte // the answers (one byte each) the client gets
	}{
		{"all at once", nil, []byte{0, 1, 2, 3, 4}},
		{"partial writes", []string{"partial", "partial", ""}, []byte{0, 1, 2, 3, 4}},
		{"first refused", []string{"fail"}, []byte{1, 2, 3, 4}},
		{"one refused after a partial write", []string{"partial", "partial", "fail"}, []byte{0, 1, 3, 4}},
		{"every one refused", []string{"fail", "fail", "fail", "fail", "fail"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newScriptedReader(t, &scriptedConn{writes: tc.writes})
			m, err := NewUDPMetrics(prometheus.NewPedanticRegistry())
			if err != nil {
				t.Fatal(err)
			}
			u.metrics = m
			client, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			to := client.LocalAddr().(*net.UDPAddr)
			for i := range 5 {
				u.b.queue([]byte{byte(i)}, to, netip.Addr{})
			}
			u.flush()
			// The sentinel shows the end: nothing else comes before it.
			u.b.queue([]byte{0xEE}, to, netip.Addr{})
			u.flush()
			if err := client.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			var got []byte
			b := make([]byte, 16)
			for {
				n, err := client.Read(b)
				if err != nil {
					t.Fatalf("after %v: %v", got, err)
				}
				if n == 1 && b[0] == 0xEE {
					break
				}
				got = append(got, b[:n]...)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("client got %v, want %v", got, tc.want)
			}
			if n, want := testutil.ToFloat64(m.sendErrors), float64(5-len(tc.want)); n != want {
				t.Errorf("%v send errors counted, want %v", n, want)
			}
		})
	}
}

// TestUDPReadErrors: a read that fails for a passing reason is retried;
// any other failure stops the socket's reader and Err reports it.
func TestUDPReadErrors(t *testing.T) {
	script := &scriptedConn{reads: []error{
		os.NewSyscallError("recvmmsg", syscall.EINTR),
		os.NewSyscallError("recvmmsg", syscall.EBADF),
	}}
	u := newScriptedReader(t, script)
	s := NewServer(ServerOptions{Handler: u.handler})
	s.serveUDP(u)
	select {
	case err := <-s.Err():
		if !errors.Is(err, syscall.EBADF) || !strings.Contains(err.Error(), "reading udp 127.0.0.1:") {
			t.Errorf("Err() = %v, want the EBADF read, naming the socket", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reader did not report its failure")
	}
	<-u.done
	if len(script.reads) != 0 {
		t.Errorf("%d scripted reads left: the passing failure was not retried", len(script.reads))
	}
}

// TestUDPXNetReads: the reader works on x/net's ReadBatch too, the one
// used outside Linux, with the source addresses it allocates.
func TestUDPXNetReads(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(addr), 0)))
			if err != nil {
				t.Skipf("cannot bind %s here: %v", addr, err)
			}
			u, err := newUDPReader(conn, &ServerOptions{Handler: dns.NewServeMux(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			u.batch = xnetConn(conn)
			go u.serve()
			defer u.shutdown(context.Background())
			c, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			q, err := new(dns.Msg).SetQuestion("example.test.", dns.TypeA).Pack()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write(q); err != nil {
				t.Fatal(err)
			}
			if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 512)
			n, err := c.Read(b)
			if err != nil {
				t.Fatal(err)
			}
			m := new(dns.Msg)
			if err := m.Unpack(b[:n]); err != nil || m.Id != binary.BigEndian.Uint16(q) || m.Rcode != dns.RcodeRefused {
				t.Errorf("answer %v (%v), want REFUSED for id %d", m, err, binary.BigEndian.Uint16(q))
			}
		})
	}
}
