// Package testwait waits in tests for something that happens in the
// background (a node answering, a log line), polling rather than
// sleeping a fixed time.
package testwait

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it holds, and returns how long
// that took; it fails t, saying what it waited for, when limit passes
// first.
func Eventually(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}
