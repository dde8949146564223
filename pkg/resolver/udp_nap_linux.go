//go:build linux

package resolver

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// napThread sleeps the calling thread for d in nanosleep(2), made as a
// raw system call so that the goroutine keeps its processor: through the
// runtime's system call entry its monitor would hand the processor off
// after 20 µs and wake a second thread for nothing (mmsgCall says more),
// and the runtime's own timers cannot sleep under a millisecond on Linux
// (its poller waits in whole milliseconds). The goroutines that share
// the processor wait out the nap; gather gives them a turn at least
// every udpWaitStreak.
func napThread(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for {
		_, _, errno := unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&ts)), 0)
		if errno != unix.EINTR {
			return
		}
	}
}
