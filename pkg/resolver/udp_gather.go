package resolver

import "time"

// udpWaitStreak is how long a reader may keep its processor through
// waits in a row (gather) before one wait goes through Go's scheduler.
// A reader that always finds queries queued never parks, and its raw
// waits hold the processor: without a turn for the scheduler, the other
// goroutines on it (TCP, the admin API, health probes, timers, the
// garbage collector's workers) would wait for the runtime's monitor to
// preempt the reader, 10–40 ms, and the network poller would not run.
const udpWaitStreak = time.Millisecond

// gather waits ServerOptions.UDPBatchWait before the next read when the
// last one found datagrams already queued (it did not have to wait for
// the first) but fewer than a batch: the reader keeps up with a steady
// load. A reader that reads again at once chases such a load a few
// queries at a time: each few answers cost a pair of system calls, the
// reader's own sleep and wake-up, and a wake-up of every client whose
// answers arrive while it sleeps. Waiting a little lets the queries queue
// and go out in larger batches. A reader whose read had to wait (an idle
// or lightly loaded socket) reads again at once, so a query that finds
// the server idle is never held; and a full read (the reader is behind)
// is followed by the next at once, so the wait never caps what a reader
// serves. The answers of the batch are sent before it waits.
//
// The wait is a raw sleep that keeps the processor (napThread), except
// one in every udpWaitStreak of waits in a row, which sleeps through Go's
// scheduler (time.Sleep) so that everything else on the processor runs.
func (u *udpReader) gather(n int, w readWaiter) {
	if u.batchWait <= 0 || w == nil {
		return
	}
	if w.readWaited() {
		u.waitsInRow = 0
		return
	}
	if n >= udpBatchSize {
		return
	}
	u.metrics.waited()
	u.waitsInRow++
	if u.waitsInRow >= u.waitsPerTurn {
		u.waitsInRow = 0
		u.sleep(u.batchWait)
		return
	}
	u.nap(u.batchWait)
}

// waitsPerTurn is how many waits of d in a row make udpWaitStreak: the
// last of them gives the scheduler its turn.
func waitsPerTurn(d time.Duration) int {
	if d <= 0 {
		return 1
	}
	return max(1, int(udpWaitStreak/d))
}

// napFunc sleeps the calling goroutine for d: napThread without giving up
// its processor, time.Sleep through the scheduler; tests count the waits
// instead.
type napFunc func(d time.Duration)
