package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"
)

// meter takes samples of the store's counters, the processes' CPU and
// memory and the probes the target served, and turns two of them into a
// phase's rates.
type meter struct {
	etcdURL string
	// pids are the nodes' processes, then etcd's.
	pids   []int
	target *target
	// ticksPerSecond is the kernel's clock tick (getconf CLK_TCK).
	ticksPerSecond float64
	log            *slog.Logger
}

type sample struct {
	at     time.Time
	etcd   etcdCounters
	procs  []procUsage
	probes int64
	// busy and total are the machine's CPU ticks, every core together.
	busy, total int64
}

func (m *meter) take(ctx context.Context) sample {
	s := sample{at: time.Now(), probes: m.target.requests.Load(), procs: make([]procUsage, len(m.pids))}
	var err error
	if s.etcd, err = readEtcd(ctx, m.etcdURL); err != nil {
		m.log.Warn("etcd's counters unreadable", "err", err)
	}
	if s.busy, s.total, err = readMachine(); err != nil {
		m.log.Warn("machine CPU unreadable", "err", err)
	}
	for i, pid := range m.pids {
		if s.procs[i], err = readProc(pid); err != nil {
			m.log.Warn("process unreadable", "pid", pid, "err", err)
		}
	}
	return s
}

// phase is what happened between two samples.
type phase struct {
	name         string
	wall         time.Duration
	puts, events float64 // per second
	proposals    float64 // per second: etcd transactions
	probes       float64 // per second, as the target saw them
	cpu          []float64
	rss          []int64
	dbBytes      float64
	etcdOK       bool
	// others is the CPU the rest of the machine took, the benchmark's own
	// process included, in % of one core.
	others float64
}

func (m *meter) phase(name string, a, b sample) phase {
	p := phase{name: name, wall: b.at.Sub(a.at), dbBytes: b.etcd.dbBytes, etcdOK: a.etcd.ok && b.etcd.ok}
	secs := p.wall.Seconds()
	p.puts = (b.etcd.puts - a.etcd.puts) / secs
	p.events = (b.etcd.events - a.etcd.events) / secs
	p.proposals = (b.etcd.proposals - a.etcd.proposals) / secs
	p.probes = float64(b.probes-a.probes) / secs
	ours := 0.0
	for i := range m.pids {
		p.cpu = append(p.cpu, float64(b.procs[i].ticks-a.procs[i].ticks)/m.ticksPerSecond/secs*100)
		p.rss = append(p.rss, b.procs[i].rss)
		ours += p.cpu[i]
	}
	if b.total > a.total {
		cores := float64(runtime.NumCPU())
		p.others = max(0, float64(b.busy-a.busy)/float64(b.total-a.total)*cores*100-ours)
	}
	return p
}

// printPhases writes one line per phase; the last process is etcd, and
// other% is what the rest of the machine took (this program, the target
// and the DNS polling included), in % of one core.
func printPhases(w io.Writer, nodes int, ps []phase) {
	fmt.Fprintf(w, "%-22s %7s %9s %7s %10s %9s  %-*s %6s %7s  %-*s %7s\n", "phase", "secs", "puts/s", "txns/s", "events/s", "probes/s",
		7*nodes, "CPU % per node", "etcd%", "other%", 7*nodes, "RSS MB per node", "db MB")
	for _, p := range ps {
		var cpu, rss strings.Builder
		for i := range nodes {
			fmt.Fprintf(&cpu, "%6.1f ", p.cpu[i])
			fmt.Fprintf(&rss, "%6.0f ", float64(p.rss[i])/(1<<20))
		}
		puts, txns, events := fmt.Sprintf("%9.1f", p.puts), fmt.Sprintf("%7.1f", p.proposals), fmt.Sprintf("%10.1f", p.events)
		if !p.etcdOK {
			puts, txns, events = fmt.Sprintf("%9s", "?"), fmt.Sprintf("%7s", "?"), fmt.Sprintf("%10s", "?")
		}
		fmt.Fprintf(w, "%-22s %7.1f %s %s %s %9.0f  %-*s %6.1f %7.1f  %-*s %7.1f\n", p.name, p.wall.Seconds(), puts, txns, events, p.probes,
			7*nodes, cpu.String(), p.cpu[nodes], p.others, 7*nodes, rss.String(), p.dbBytes/(1<<20))
	}
}
