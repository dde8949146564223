//go:build !linux

package resolver

import "time"

// napThread sleeps d. Outside Linux no reader waits for queries to
// gather (no batchConn there is a readWaiter), so this is never called
// while serving.
func napThread(d time.Duration) { time.Sleep(d) }
