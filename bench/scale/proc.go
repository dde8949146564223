package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procUsage is a process's CPU time so far (user+sys, in clock ticks) and
// resident memory (bytes), read from /proc.
type procUsage struct {
	ticks int64
	rss   int64
}

// readProc reads pid's /proc/PID/stat (utime and stime, fields 14 and 15)
// and /proc/PID/status (VmRSS).
func readProc(pid int) (procUsage, error) {
	var u procUsage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, fmt.Errorf("reading the CPU time of process %d: %w", pid, err)
	}
	// The command name, in parentheses, may hold spaces: count fields
	// from after it (field 3 onwards).
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return u, fmt.Errorf("process %d: /proc/%d/stat has %d fields after the name", pid, pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return u, fmt.Errorf("process %d: utime %q or stime %q is not a number", pid, f[11], f[12])
	}
	u.ticks = utime + stime
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, fmt.Errorf("reading the memory of process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return u, fmt.Errorf("process %d: VmRSS %q: %w", pid, v, err)
			}
			u.rss = kb << 10
		}
	}
	return u, nil
}
