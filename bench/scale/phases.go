package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/client"
)

// firstResults waits, after an apply at applied, for every node to have
// probed every check once (its gtmd_health_checks_total), and for every
// node to answer every service; it returns the first per node and the
// second for the slowest node, zero for what did not happen within the
// limit.
func firstResults(ctx context.Context, s settings, clients []*client.Client, p *poller, all []int, applied time.Time) ([]time.Duration, time.Duration) {
	probed := make([]time.Duration, len(clients))
	var served time.Duration
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			deadline := applied.Add(s.limit)
			for time.Now().Before(deadline) {
				n, err := checksProbed(ctx, c.URL())
				if err == nil && n >= 2*s.services {
					probed[i] = time.Since(applied)
					return
				}
				time.Sleep(250 * time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		if at, err := p.waitTurn(ctx, all, true); err == nil {
			served = latest(at).Sub(applied)
		}
	})
	wg.Wait()
	fmt.Printf("every node answers every service: %s after the apply\n", show(served))
	for i, d := range probed {
		fmt.Printf("%s has a result of its own for every check: %s after the apply\n", s.admin[i], show(d))
	}
	return probed, served
}

// flip is one service's primary taken down and brought back.
type flip struct {
	service    int
	sinceApply time.Duration
	// gone is, per node, how long it kept answering with the primary;
	// zero for a node that still did at the limit.
	gone []time.Duration
	// back is how long the slowest node took to answer with the primary
	// again once it was up.
	back time.Duration
}

// worst is the slowest node's time, or zero when one timed out.
func (f flip) worst() time.Duration {
	if slices.Contains(f.gone, 0) {
		return 0
	}
	return slices.Max(f.gone)
}

// flips takes the primaries of services down and up one at a time, the
// flips numbered from to to, and prints each.
func flips(ctx context.Context, s settings, t *target, applied time.Time, from, to int) []flip {
	p := &poller{servers: s.dns, workers: 1, pause: 10 * time.Millisecond, limit: s.limit}
	var out []flip
	if from == 0 {
		fmt.Printf("\n%-5s %7s %9s", "flip", "service", "at")
		for _, d := range s.dns {
			fmt.Printf(" %18s", d)
		}
		fmt.Printf(" %9s\n", "recovered")
	}
	for i := from; i < to; i++ {
		// Start each flip at a different point of the check cycle.
		time.Sleep(time.Duration(i%7) * s.interval / 7)
		f := flip{service: (i*7919 + 13) % s.services}
		stopped := time.Now()
		f.sinceApply = stopped.Sub(applied)
		t.setPrimary(f.service, false)
		gone, _ := p.waitTurn(ctx, []int{f.service}, false)
		upAt := time.Now()
		t.setPrimary(f.service, true)
		back, err := p.waitTurn(ctx, []int{f.service}, true)
		for _, at := range gone {
			f.gone = append(f.gone, since(at[0], stopped))
		}
		if err == nil {
			f.back = latest(back).Sub(upAt)
		}
		fmt.Printf("%-5d %7d %8.0fs", i+1, f.service, f.sinceApply.Seconds())
		for _, d := range f.gone {
			fmt.Printf(" %18s", show(d))
		}
		fmt.Printf(" %9s\n", show(f.back))
		out = append(out, f)
	}
	return out
}

// massTurn is every primary taken down, or brought up, at once.
type massTurn struct {
	// perNode is the time until a node's last service turned.
	perNode []time.Duration
	// median is over every node and service.
	median time.Duration
	// missing counts node-service pairs not turned within the limit.
	missing int
}

// worst is the slowest node's time, or zero when some pair timed out.
func (m massTurn) worst() time.Duration {
	if m.missing > 0 {
		return 0
	}
	return slices.Max(m.perNode)
}

func massFlip(ctx context.Context, p *poller, t *target, all []int, up bool) massTurn {
	word := "down"
	if up {
		word = "up"
	}
	start := time.Now()
	t.setAllPrimaries(up)
	at, _ := p.waitTurn(ctx, all, up)
	var m massTurn
	var every []time.Duration
	for _, node := range at {
		var last time.Duration
		for _, a := range node {
			d := since(a, start)
			if d == 0 {
				m.missing++
				continue
			}
			every = append(every, d)
			last = max(last, d)
		}
		m.perNode = append(m.perNode, last)
	}
	if len(every) > 0 {
		slices.Sort(every)
		m.median = every[len(every)/2]
	}
	fmt.Printf("\nall %d primaries %s at once: every node turned after %s (median service %s; per node %s; not turned %d)\n",
		len(all), word, show(m.worst()), show(m.median), shows(m.perNode), m.missing)
	return m
}

// latest is the last of times, zero if any is zero.
func latest(at [][]time.Time) time.Time {
	var last time.Time
	for _, node := range at {
		for _, a := range node {
			if a.IsZero() {
				return time.Time{}
			}
			if a.After(last) {
				last = a
			}
		}
	}
	return last
}

// since is at - start, zero when at is.
func since(at, start time.Time) time.Duration {
	if at.IsZero() {
		return 0
	}
	return max(at.Sub(start), time.Nanosecond)
}

// show prints a duration to the millisecond, "timeout" for zero.
func show(d time.Duration) string {
	if d <= 0 {
		return "timeout"
	}
	return fmt.Sprintf("%.3fs", d.Seconds())
}

func shows(ds []time.Duration) string { return joined(ds, show) }

// joined formats each of v and joins them with spaces.
func joined[T any](v []T, format func(T) string) string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = format(x)
	}
	return strings.Join(out, " ")
}
