package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

// BenchmarkSteadyPuts measures what a cluster writes to etcd with every
// status stable: 3 stores of 2,000 checks each, at the default intervals,
// hand the store new results every second (as a node's probes at a 1s
// interval would) for one minute. It reports etcd's puts a second and the
// observations among them; the formula of details.go says
// 3/5 + 3/max(30, size/4KiB) ≈ 0.68 and 0. One minute whatever b.N: run
// it with -benchtime 1x.
//
//	go test ./pkg/cluster -run '^$' -bench SteadyPuts -benchtime 1x
func BenchmarkSteadyPuts(b *testing.B) {
	const (
		nodes, checks = 3, 2000
		window        = time.Minute
	)
	eps := clustertest.StartEtcd(b)
	cli := clustertest.Client(b, eps)
	var ns []*node
	for i := range nodes {
		ns = append(ns, openNode(b, eps, fmt.Sprintf("n%d", i)))
	}
	since := time.Now().Add(-time.Hour).UTC()
	round := func(r int) {
		for _, n := range ns {
			d := make(map[string]Detail, checks)
			for i := range checks {
				name := fmt.Sprintf("svc-%04d-primary", i)
				n.Observe(name, health.Observation{Status: health.Up, Since: since})
				d[name] = Detail{Latency: time.Duration(r*7919+i) * time.Microsecond, At: time.Now()}
			}
			n.SetDetails(d)
		}
	}
	round(0)
	ns[0].states.wait(b, time.Minute, "every result stored", func(s *State) bool {
		for _, n := range ns {
			if len(s.Observations[n.opts.Self.ID]) != checks || s.details[n.opts.Self.ID] == nil {
				return false
			}
		}
		return true
	})

	from := currentRevision(b, cli)
	counter := countPuts(b, cli, from)
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second)
	for r := 1; time.Since(start) < window; r++ {
		<-tick.C
		round(r)
	}
	tick.Stop()
	elapsed := time.Since(start)
	b.StopTimer()
	puts := counter.until(b, cli, currentRevision(b, cli))
	total := 0
	for _, n := range puts {
		total += n
	}
	b.Logf("%d nodes × %d checks for %v: puts %v", nodes, checks, elapsed, puts)
	b.ReportMetric(float64(total)/elapsed.Seconds(), "puts/s")
	b.ReportMetric(float64(puts["observations"]), "observation-puts")
}
