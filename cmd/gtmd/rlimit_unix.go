//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// raiseFileLimit raises the soft limit of open descriptors to the hard
// one: a node holds a descriptor per DNS and admin connection and the
// embedded store needs its own, and running out takes the store down. It
// returns the limits it leaves.
func raiseFileLimit() (soft, hard uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, fmt.Errorf("reading the open file limit: %w", err)
	}
	if l.Cur < l.Max {
		raised := l
		raised.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return uint64(l.Cur), uint64(l.Max), fmt.Errorf("raising the open file limit from %d to %d: %w", l.Cur, l.Max, err)
		}
		l = raised
	}
	return uint64(l.Cur), uint64(l.Max), nil
}
