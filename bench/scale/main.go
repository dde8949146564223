// Command scale measures a cluster of gtmd nodes carrying many failover
// services at once: how long the first health results take after an
// apply, how fast one region's failure and a failure of every primary at
// once reach every node's answers, how fast they come back, and what the
// cluster costs meanwhile (etcd puts and watch events per second, CPU and
// memory per node). It serves every check's target itself and applies the
// document; bench/scale.sh starts etcd and the nodes around it.
//
//	scale -dns 127.0.0.21:5300,127.0.0.22:5300 -admin http://127.0.0.21:8300,http://127.0.0.22:8300 \
//	  -pids 4242,4243 -etcd-pid 4240 -etcd-metrics http://127.0.0.1:23791/metrics -services 1000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/client"
)

// settings are the command's flags.
type settings struct {
	dns, admin    []string
	pids          []int
	services      int
	flips         int
	steady, limit time.Duration
	interval      time.Duration
	timeout       string
	rise, fall    int
	targetDelay   time.Duration
}

func main() {
	dnsList := flag.String("dns", "", "comma-separated DNS addresses of the nodes")
	adminList := flag.String("admin", "", "comma-separated admin API URLs of the nodes, in the same order")
	pidList := flag.String("pids", "", "comma-separated process ids of the nodes, in the same order")
	etcdPID := flag.Int("etcd-pid", 0, "etcd's process id")
	etcdMetrics := flag.String("etcd-metrics", "http://127.0.0.1:23791/metrics", "etcd's metrics URL")
	targetAddr := flag.String("target", "127.0.0.1:18090", "where the stand-in target of every check listens")
	var s settings
	flag.DurationVar(&s.targetDelay, "target-delay", 0, "how long the target takes to answer each probe")
	flag.IntVar(&s.services, "services", 1000, "failover services, two endpoints and two http checks each")
	flag.IntVar(&s.flips, "flips", 5, "single flips right after the first results, and as many again after the steady window")
	flag.DurationVar(&s.steady, "steady", 60*time.Second, "the window without changes over which steady-state costs are measured")
	flag.DurationVar(&s.limit, "limit", 300*time.Second, "how long any one wait may take before it is reported as a timeout")
	flag.DurationVar(&s.interval, "interval", time.Second, "the checks' interval")
	flag.StringVar(&s.timeout, "timeout", "500ms", "the checks' timeout")
	flag.IntVar(&s.rise, "rise", 2, "the checks' rise")
	flag.IntVar(&s.fall, "fall", 2, "the checks' fall")
	tck := flag.Float64("clk-tck", 100, "the kernel's clock ticks per second (getconf CLK_TCK)")
	flag.Parse()

	s.dns, s.admin = split(*dnsList), split(*adminList)
	for _, p := range split(*pidList) {
		pid, err := strconv.Atoi(p)
		if err != nil {
			log.Fatalf("scale: -pids: %q is not a process id", p)
		}
		s.pids = append(s.pids, pid)
	}
	if len(s.dns) == 0 || len(s.admin) != len(s.dns) || len(s.pids) != len(s.dns) || *etcdPID == 0 {
		log.Fatal("scale: -dns, -admin and -pids must name the same nodes, and -etcd-pid etcd")
	}
	if s.services < 1 || s.services > 65536 {
		log.Fatalf("scale: -services %d: between 1 and 65536", s.services)
	}
	t, err := startTarget(*targetAddr, s.services, s.targetDelay)
	if err != nil {
		log.Fatal(err)
	}
	defer t.close()
	m := &meter{etcdURL: *etcdMetrics, pids: append(slices.Clone(s.pids), *etcdPID), target: t, ticksPerSecond: *tck,
		log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	if err := run(context.Background(), s, t, m); err != nil {
		log.Fatal(err)
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// run applies the document and goes through the phases, printing as it
// goes and a summary at the end.
func run(ctx context.Context, s settings, t *target, m *meter) error {
	clients := make([]*client.Client, len(s.admin))
	for i, u := range s.admin {
		c, err := client.New(client.Options{URL: u})
		if err != nil {
			return fmt.Errorf("admin URL %s: %w", u, err)
		}
		clients[i] = c
	}
	if err := waitReady(ctx, clients, 60*time.Second); err != nil {
		return err
	}
	doc := document(t, s.services, s.interval.String(), s.timeout, s.rise, s.fall)
	fmt.Printf("%d node(s) × %d failover services (%d http checks a node), interval %s, rise %d, fall %d, target answers after %s; document %d bytes\n",
		len(s.dns), s.services, 2*s.services, s.interval, s.rise, s.fall, t.delay, len(doc))

	var r report
	r.goalFlip = time.Duration(s.fall)*s.interval + time.Second
	r.goalDown = time.Duration(s.fall)*s.interval + 2*time.Second
	r.goalUp = time.Duration(s.rise)*s.interval + 2*time.Second
	all := make([]int, s.services)
	for i := range all {
		all[i] = i
	}
	// Every service on every node, polled by 8 workers.
	mass := &poller{servers: s.dns, workers: 8, pause: 100 * time.Millisecond, limit: s.limit}
	mark := m.take(ctx)
	next := func(name string) {
		now := m.take(ctx)
		r.phases = append(r.phases, m.phase(name, mark, now))
		mark = now
	}

	applied := time.Now()
	if _, err := clients[0].Apply(ctx, doc, client.ApplyOptions{ContentType: client.YAML}); err != nil {
		return fmt.Errorf("applying the document of %d services: %w", s.services, err)
	}
	fmt.Printf("applied in %s\n", time.Since(applied).Round(time.Millisecond))
	r.firstResults, r.served = firstResults(ctx, s, clients, mass, all, applied)
	next("apply → first results")

	early := s.flips
	r.flips = flips(ctx, s, t, applied, 0, early)
	next("single flips, early")
	fmt.Printf("steady window of %s: no changes, nothing polled\n", s.steady)
	time.Sleep(s.steady)
	next("steady (no changes)")
	r.flips = append(r.flips, flips(ctx, s, t, applied, early, early+s.flips)...)
	next("single flips, settled")

	r.down = massFlip(ctx, mass, t, all, false)
	next("all primaries down")
	r.up = massFlip(ctx, mass, t, all, true)
	next("all primaries up")
	r.print(os.Stdout, s)
	return nil
}

// waitReady waits for every node to serve a document.
func waitReady(ctx context.Context, clients []*client.Client, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, c := range clients {
		for {
			ready, _, err := c.Ready(ctx)
			if ready {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("node %s not ready after %s (last error: %v)", c.URL(), limit, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}
