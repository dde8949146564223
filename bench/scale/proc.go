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

// readMachine reads the whole machine's busy and total CPU time in clock
// ticks from /proc/stat, so a phase can say how much of the CPU processes
// other than the benchmark's took.
func readMachine() (busy, total int64, err error) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the machine's CPU time: %w", err)
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat starts with %q, not the cpu line", line)
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: cpu field %d %q: %w", i+1, v, err)
		}
		total += n
		// idle and iowait are fields 4 and 5; guest time is already
		// counted in user.
		if i != 3 && i != 4 && i < 8 {
			busy += n
		}
	}
	return busy, total, nil
}
