//go:build linux

package resolver

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// TestBlockingSocketOptions: a socket is blocking, shares its port, and
// has the family and dual-stack setting Go's net package would give the
// address, with the same local address.
func TestBlockingSocketOptions(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		family int
		v6only int // -1: an IPv4 socket
		local  string
	}{
		{"127.0.0.1:0", unix.AF_INET, -1, "127.0.0.1:"},
		{"[::ffff:127.0.0.1]:0", unix.AF_INET, -1, "127.0.0.1:"},
		{"[::1]:0", unix.AF_INET6, 1, "[::1]:"},
		{"[::]:0", unix.AF_INET6, 0, "[::]:"},
		{"0.0.0.0:0", unix.AF_INET6, 0, "[::]:"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			s, err := listenBlockingUDP(tc.addr)
			if err != nil {
				t.Skipf("cannot bind %s here: %v", tc.addr, err)
			}
			defer s.Close()
			if got := s.LocalAddr().String(); !strings.HasPrefix(got, tc.local) {
				t.Errorf("local address %s, want %sPORT", got, tc.local)
			}
			flags, err := unix.FcntlInt(uintptr(s.fd), unix.F_GETFL, 0)
			if err != nil {
				t.Fatal(err)
			}
			if flags&unix.O_NONBLOCK != 0 {
				t.Error("the socket is non-blocking")
			}
			opts := []struct {
				name       string
				level, opt int
				want       int
			}{
				{"SO_REUSEPORT", unix.SOL_SOCKET, unix.SO_REUSEPORT, 1},
				{"SO_DOMAIN", unix.SOL_SOCKET, unix.SO_DOMAIN, tc.family},
			}
			if tc.v6only >= 0 {
				opts = append(opts, struct {
					name       string
					level, opt int
					want       int
				}{"IPV6_V6ONLY", unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, tc.v6only})
			}
			for _, o := range opts {
				got, err := unix.GetsockoptInt(s.fd, o.level, o.opt)
				if err != nil || got != o.want {
					t.Errorf("%s = %d (%v), want %d", o.name, got, err, o.want)
				}
			}
		})
	}
}

// TestBlockingSocketBadAddress: an address that is not IP:port is
// refused, naming it.
func TestBlockingSocketBadAddress(t *testing.T) {
	for _, addr := range []string{"localhost:53", "127.0.0.1", "[fe80::1%nosuchif0]:0"} {
		if s, err := listenBlockingUDP(addr); err == nil {
			s.Close()
			t.Errorf("listenBlockingUDP(%q) bound", addr)
		} else if !strings.Contains(err.Error(), strings.TrimPrefix(strings.Split(addr, "%")[0], "[")) && !strings.Contains(err.Error(), "nosuchif0") {
			t.Errorf("listenBlockingUDP(%q): %v, want the address named", addr, err)
		}
	}
}

// syscallOf is the system call thread tid of this process is in, as
// /proc shows it, or -1.
func syscallOf(tid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/syscall", tid))
	if err != nil {
		return -1
	}
	var n int
	if _, err := fmt.Sscan(string(b), &n); err != nil {
		return -1
	}
	return n
}

// TestBlockingSocketWake: shutting a socket down for reading wakes a
// recvmmsg blocked in it, after the datagrams already queued are read,
// and every read after returns at once.
func TestBlockingSocketWake(t *testing.T) {
	for _, queued := range []int{0, 3} {
		t.Run(fmt.Sprintf("%d queued", queued), func(t *testing.T) {
			s, err := listenBlockingUDP("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c, err := net.Dial("udp", s.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conn := newBlockingConn(s)
			b := newUDPBatch()
			for i := range queued {
				if _, err := c.Write([]byte{byte(i)}); err != nil {
					t.Fatal(err)
				}
			}
			type result struct{ n, tid int }
			reads := make(chan result, 1)
			go func() {
				// The reader keeps its thread, as the server's do.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				tid := unix.Gettid()
				got := 0
				for {
					n, err := conn.ReadBatch(b.in, 0)
					if err != nil {
						t.Errorf("read: %v", err)
					}
					if n <= 0 {
						break
					}
					got += n
					if got == queued {
						// Tell the test which thread to watch block.
						reads <- result{got, tid}
					}
				}
				reads <- result{got, tid}
			}()
			if queued > 0 {
				r := <-reads
				// The reader now blocks on an empty queue.
				waitFor(t, "the reader to block in recvmmsg", func() bool { return syscallOf(r.tid) == unix.SYS_RECVMMSG })
			}
			s.wake()
			select {
			case r := <-reads:
				if r.n != queued {
					t.Errorf("read %d datagrams before waking, want %d", r.n, queued)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the blocked read did not wake")
			}
			if n, err := conn.ReadBatch(b.in, 0); n > 0 || err != nil {
				t.Errorf("a read after waking: %d, %v; want 0 at once", n, err)
			}
		})
	}
}

// TestServerBlockingSockets: on Linux every UDP socket of the server is a
// blocking one, and Shutdown wakes the readers blocked in them.
func TestServerBlockingSockets(t *testing.T) {
	s := NewServer(ServerOptions{Addrs: []string{"127.0.0.1:0"}, UDPListeners: 3, Handler: dns.NewServeMux()})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if len(s.udp) != 3 {
		t.Fatalf("%d UDP readers, want 3", len(s.udp))
	}
	for i, u := range s.udp {
		if _, ok := u.sock.(*blockingSocket); !ok {
			t.Errorf("socket %d is a %T, want a blocking socket", i, u.sock)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	pc, err := net.ListenPacket("udp", s.Addrs()[0])
	if err != nil {
		t.Fatalf("UDP still bound after Shutdown: %v", err)
	}
	pc.Close()
}
