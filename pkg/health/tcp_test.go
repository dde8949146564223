package health_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	check := func(addr string) error {
		c, err := health.NewTCPChecker(config.Check{Name: "t", Type: config.CheckTCP, Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Check(ctx)
	}
	if err := check(ln.Addr().String()); err != nil {
		t.Errorf("listening port: %v", err)
	}
	if err := check(closedAddr(t)); err == nil {
		t.Error("closed port passed")
	}
	if _, err := health.NewTCPChecker(config.Check{Name: "t", Address: "nope"}); err == nil {
		t.Error("address without a port accepted")
	}
}
