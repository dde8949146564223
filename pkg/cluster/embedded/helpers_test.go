package embedded

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// testPrefix is where the tests write, as a store would under its prefix.
const testPrefix = "/gtmd-test/"

// eventually polls cond every 10ms until it holds, failing the test after
// timeout. For what etcd reports only when asked (its database size).
func eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, fmt.Sprintf(format, args...))
		}
		<-tick.C
	}
}

// lazy formats as what it returns when the message is written, for
// eventually's messages that show the last value seen.
type lazy func() string

func (l lazy) String() string { return l() }

// logged reports whether one of lines holds every part.
func logged(lines []string, parts ...string) bool {
	for _, line := range lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

func ctxT(t testing.TB) context.Context { return ctxTimeout(t, 10*time.Second) }

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
