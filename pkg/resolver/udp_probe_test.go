package resolver_test

import (
	"context"
	"net"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// TestServerUDPPortInUse: Start refuses a UDP port another socket holds,
// naming the address, even one bound with SO_REUSEPORT that the server's
// own SO_REUSEPORT sockets could silently share.
func TestServerUDPPortInUse(t *testing.T) {
	cases := []struct {
		name string
		// hold binds addr's UDP port (with its TCP port free) and returns
		// a closer.
		hold func(t *testing.T) (addr string, closer func())
		want string
	}{
		{"a SO_REUSEPORT socket", func(t *testing.T) (string, func()) {
			lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
				var err error
				c.Control(func(fd uintptr) {
					err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
				})
				return err
			}}
			pc, err := lc.ListenPacket(context.Background(), "udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return pc.LocalAddr().String(), func() { pc.Close() }
		}, "is already in use by another process"},
		{"a plain socket", func(t *testing.T) (string, func()) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return pc.LocalAddr().String(), func() { pc.Close() }
		}, "is already in use by another process"},
		{"another server", func(t *testing.T) (string, func()) {
			srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{"127.0.0.1:0"}, Handler: newHandler(testSnapshot(t)), UDPListeners: 2})
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			return srv.Addrs()[0], func() { srv.Shutdown(context.Background()) }
		}, "in use"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, release := c.hold(t)
			closer := release
			defer func() { closer() }()
			if l, err := net.Listen("tcp", addr); err == nil {
				l.Close()
			} else if c.name != "another server" {
				t.Skipf("TCP %s is taken by another process: %v", addr, err)
			}
			srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{addr}, Handler: newHandler(testSnapshot(t)), UDPListeners: 2})
			err := srv.Start()
			if err == nil {
				srv.Shutdown(context.Background())
				t.Fatalf("Start on %s held by %s succeeded", addr, c.name)
			}
			if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Start on %s: %v; want an error naming the address and saying %q", addr, err, c.want)
			}
			// Nothing is left bound: once the holder is gone, the address
			// can be served.
			closer()
			closer = func() {}
			srv = resolver.NewServer(resolver.ServerOptions{Addrs: []string{addr}, Handler: newHandler(testSnapshot(t)), UDPListeners: 2})
			if err := srv.Start(); err != nil {
				t.Fatalf("Start on %s once free: %v", addr, err)
			}
			srv.Shutdown(context.Background())
		})
	}
}
