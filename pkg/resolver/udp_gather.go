package resolver

import "time"

// gather waits ServerOptions.UDPBatchWait before the next read when the
// last one found datagrams already queued (it did not have to wait for
// the first) but fewer than a batch: the reader keeps up with a steady
// load. A reader that reads again at once chases such a load a few
// queries at a time: each few answers cost a pair of system calls, the reader's
// own sleep and wake-up, and a wake-up of every client whose answers
// arrive while it sleeps. Waiting a little lets the queries queue and go
// out in larger batches, for at most the wait in added latency. A reader
// whose read had to wait (an idle or lightly loaded socket) reads again at
// once, so a query that finds the server idle is never held; and a full
// read (the reader is behind) is followed by the next at once, so the wait
// never caps what a reader serves.
func (u *udpReader) gather(n int, w readWaiter) {
	if u.batchWait <= 0 || w == nil || n >= udpBatchSize || w.readWaited() {
		return
	}
	u.metrics.gathered()
	u.nap(u.batchWait)
}

// napFunc sleeps the calling thread for d without giving up its
// processor (napThread); tests count the waits instead.
type napFunc func(d time.Duration)
