package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// report is what a run measured.
type report struct {
	firstResults               []time.Duration
	served                     time.Duration
	flips                      []flip
	down, up                   massTurn
	phases                     []phase
	goalFlip, goalDown, goalUp time.Duration
}

func (r *report) print(w io.Writer, s settings) {
	nodes := len(s.dns)
	fmt.Fprintf(w, "\n== %d node(s) × %d services (%d checks a node), interval %s, rise %d, fall %d, target answers after %s\n",
		nodes, s.services, 2*s.services, s.interval, s.rise, s.fall, s.targetDelay)
	first := time.Duration(0)
	if !slices.Contains(r.firstResults, 0) {
		first = slices.Max(r.firstResults)
	}
	fmt.Fprintf(w, "first results, apply → every node has probed every check: %s (per node %s); every node answers every service: %s\n",
		show(first), shows(r.firstResults), show(r.served))
	half := min(s.flips, len(r.flips))
	fmt.Fprintf(w, "one flip → every node, first %d flips after the first results: %s\n", half, flipStats(r.flips[:half], r.goalFlip))
	fmt.Fprintf(w, "one flip → every node, %d flips after the steady window: %s\n", len(r.flips)-half, flipStats(r.flips[half:], r.goalFlip))
	fmt.Fprintf(w, "all primaries down → every node switched: %s, median service %s (goal fall × interval + 2 s = %s)\n",
		show(r.down.worst()), show(r.down.median), r.goalDown)
	fmt.Fprintf(w, "all primaries up → every node back: %s, median service %s (goal rise × interval + 2 s = %s)\n",
		show(r.up.worst()), show(r.up.median), r.goalUp)
	for _, p := range r.phases {
		if p.name != "steady (no changes)" {
			continue
		}
		if p.probes > 0 {
			// On a saturated machine a node's CPU share is what it got,
			// not what it needed; per probe it is comparable.
			fmt.Fprintf(w, "steady state: node CPU per 1,000 probes the target saw from it: %.0f ms (%.0f probes/s wanted, %.0f seen)\n",
				sum(p.cpu[:nodes])*10/p.probes*1000, float64(nodes*2*s.services)/s.interval.Seconds(), p.probes)
		}
		fmt.Fprintf(w, "steady state over %.0f s: etcd %.1f puts/s, %.1f watch events/s, target %.0f probes/s; CPU per node %s%%, etcd %.1f%%, the rest of the machine %.0f%%; RSS per node %s MB; etcd db %.1f MB\n",
			p.wall.Seconds(), p.puts, p.events, p.probes, joined(p.cpu[:nodes], func(x float64) string { return fmt.Sprintf("%.1f", x) }), p.cpu[nodes], p.others, joined(p.rss[:nodes], func(x int64) string { return fmt.Sprintf("%.0f", float64(x)/(1<<20)) }), p.dbBytes/(1<<20))
	}
	fmt.Fprintln(w)
	printPhases(w, nodes, r.phases)
}

// flipStats gives the median and the max of the slowest node's time per
// flip, and the spread between the first and the last node.
func flipStats(fs []flip, goal time.Duration) string {
	if len(fs) == 0 {
		return "none"
	}
	var worst, spread []time.Duration
	timeouts := 0
	for _, f := range fs {
		w := f.worst()
		if w == 0 {
			timeouts++
			continue
		}
		worst = append(worst, w)
		spread = append(spread, w-slices.Min(f.gone))
	}
	if len(worst) == 0 {
		return fmt.Sprintf("every flip timed out (%d)", timeouts)
	}
	slices.Sort(worst)
	out := fmt.Sprintf("median %s, max %s, spread between nodes max %s (goal fall × interval + 1 s = %s)",
		show(worst[len(worst)/2]), show(worst[len(worst)-1]), fmt.Sprintf("%.3fs", slices.Max(spread).Seconds()), goal)
	if timeouts > 0 {
		out += fmt.Sprintf("; %d timed out", timeouts)
	}
	return out
}

func sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t
}
