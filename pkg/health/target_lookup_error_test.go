package health

import (
	"context"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestLookupErrorStable: a failed exchange is named by a word that does
// not change from one lookup to the next, so its reason and log line are
// written once, not with each new local port.
func TestLookupErrorStable(t *testing.T) {
	refused := func(port int) error {
		return &net.OpError{Op: "read", Net: "udp", Source: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port},
			Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 15353}, Err: os.NewSyscallError("read", syscall.ECONNREFUSED)}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{refused(59562), "refused"},
		{refused(40001), "refused"},
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("asking: %w", os.NewSyscallError("connect", syscall.ENETUNREACH)), "unreachable"},
		{fmt.Errorf("odd"), "odd"},
	} {
		if got := lookupError(tc.err); got != tc.want {
			t.Errorf("lookupError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
