// Command probes measures one node's health Scheduler on its own: N http
// checks against a loopback target that answers after a delay. It prints
// the time until every check has a first result, probes per second
// against the interval's promise, the probe lag, new connections, CPU,
// and the time each check takes to turn down after the target starts
// failing, against fall × interval.
//
//	go run ./bench/probes -checks 2000 -interval 1s -delay 50ms
//	go run ./bench/probes -checks 2000 -max 32   # the old fixed bound
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

func main() {
	checks := flag.Int("checks", 2000, "http checks to run")
	interval := flag.Duration("interval", time.Second, "the checks' interval")
	timeout := flag.Duration("timeout", time.Second, "the checks' timeout")
	delay := flag.Duration("delay", 50*time.Millisecond, "how long the target takes to answer")
	maxProbes := flag.Int("max", 0, "the ceiling on probes in flight (0: the default)")
	measure := flag.Duration("measure", 10*time.Second, "how long to count probes at steady state")
	fall := flag.Int("fall", 2, "the checks' fall")
	verbose := flag.Bool("v", false, "log the scheduler's warnings and print its probe slots every second")
	separate := flag.Bool("separate", false, "run the target in a process of its own, as a real target would be")
	serveOnly := flag.String("serve-only", "", "serve the target on this address and nothing else (what -separate starts)")
	flag.Parse()
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	var failing atomic.Bool
	var requests, conns atomic.Int64
	if *serveOnly != "" {
		serveTarget(*serveOnly, *delay, &failing, &requests, &conns)
		return
	}
	addr, flip, counts, stop := startTarget(*separate, *delay, &failing, &requests, &conns)
	defer stop()

	// Every check's first change (unknown → up) and the change to down
	// after the flip.
	var mu sync.Mutex
	firstAt := map[string]time.Time{}
	downAt := map[string]time.Time{}
	allFirst, allDown := make(chan struct{}), make(chan struct{})
	reg := prometheus.NewRegistry()
	s := health.NewScheduler(health.Options{
		Registerer:    reg,
		Logger:        logger,
		MaxConcurrent: *maxProbes,
		OnChange: func(c health.Change) {
			mu.Lock()
			defer mu.Unlock()
			switch c.To {
			case health.Up:
				if _, ok := firstAt[c.Check]; !ok {
					firstAt[c.Check] = time.Now()
					if len(firstAt) == *checks {
						close(allFirst)
					}
				}
			case health.Down:
				if _, ok := downAt[c.Check]; !ok {
					downAt[c.Check] = time.Now()
					if len(downAt) == *checks && failing.Load() {
						close(allDown)
					}
				}
			}
		},
	})
	defer s.Close()
	cs := make([]config.Check, *checks)
	for i := range cs {
		cs[i] = config.Check{
			Name: fmt.Sprintf("c%05d", i), Type: config.CheckHTTP,
			URL: fmt.Sprintf("http://%s/c%d", addr, i), ExpectStatus: []int{200},
			Interval: config.Duration(*interval), Timeout: config.Duration(*timeout), Rise: 2, Fall: *fall,
		}
	}
	slots, busy := health.ProbeSlots(cs, *maxProbes)
	fmt.Printf("%d http checks every %v (timeout %v), target delay %v: %d probe slots (%.0f busy if every target hung)\n",
		*checks, *interval, *timeout, *delay, slots, busy)

	start := time.Now()
	if *verbose {
		go func() {
			for range time.Tick(time.Second) {
				_, c := counts()
				fmt.Fprintf(os.Stderr, "%v: slots %v, in flight %v, connections %d\n", time.Since(start).Round(time.Second),
					gauge(reg, "gtmd_health_probe_slots"), gauge(reg, "gtmd_health_probes_in_flight"), c)
			}
		}()
	}
	s.Apply(cs)
	// A first result, success or failure, for every check.
	for {
		n := 0
		for _, st := range s.States() {
			if !st.LastAt.IsZero() {
				n++
			}
		}
		if n == *checks {
			break
		}
		if time.Since(start) > 2*time.Minute {
			log.Fatalf("probes: %d of %d checks have a result after 2m", n, *checks)
		}
		time.Sleep(10 * time.Millisecond)
	}
	resultsTook := time.Since(start)
	wait(allFirst, 2*time.Minute, "first successes")
	firstTook := time.Since(start)
	mu.Lock()
	var firsts []time.Duration
	for _, at := range firstAt {
		firsts = append(firsts, at.Sub(start))
	}
	downEarly := len(downAt)
	clear(downAt)
	mu.Unlock()
	slices.Sort(firsts)
	fmt.Printf("first results: every check within %v of the apply; first successes: all within %v (median %v, p99 %v); %d connections opened; %d checks went down on the way\n",
		resultsTook.Round(10*time.Millisecond), firstTook.Round(time.Millisecond), firsts[len(firsts)/2].Round(time.Millisecond),
		firsts[len(firsts)*99/100].Round(time.Millisecond), func() int64 { _, c := counts(); return c }(), downEarly)

	// Steady state: settle one interval, then count.
	time.Sleep(*interval)
	req0, conn0 := counts()
	cpu0, t0 := cpuTime(), time.Now()
	lag0 := lagCounts(reg)
	time.Sleep(*measure)
	req1, conn1 := counts()
	cpu1, t1 := cpuTime(), time.Now()
	lag1 := lagCounts(reg)
	wall := t1.Sub(t0)
	want := float64(*checks) / interval.Seconds()
	fmt.Printf("steady state over %v: %.0f probes/s (the interval asks %.0f), %d new connections, CPU %.0f%% of one core (%s)\n",
		wall.Round(time.Millisecond), float64(req1-req0)/wall.Seconds(), want, conn1-conn0, 100*(cpu1-cpu0).Seconds()/wall.Seconds(), cpuOf(*separate))
	fmt.Printf("probe lag: %s\n", lagQuantiles(lag0, lag1))

	// Flip: every check should turn down within fall × interval (+ the
	// delay and a probe's jitter).
	flipped := time.Now()
	flip()
	wait(allDown, 2*time.Minute, "every check down")
	mu.Lock()
	var took []time.Duration
	for _, at := range downAt {
		took = append(took, at.Sub(flipped))
	}
	mu.Unlock()
	slices.Sort(took)
	fmt.Printf("flip: every check down in median %v, max %v (fall × interval = %v)\n",
		took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), time.Duration(*fall)*(*interval))
}

// wait waits for ch or fails after limit.
func wait(ch <-chan struct{}, limit time.Duration, what string) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	select {
	case <-ch:
	case <-ctx.Done():
		log.Fatalf("probes: no %s after %v", what, limit)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lagCounts returns the cumulative bucket counts of
// gtmd_health_probe_lag_seconds, by upper bound.
func lagCounts(reg *prometheus.Registry) map[float64]uint64 {
	mfs, err := reg.Gather()
	if err != nil {
		log.Fatalf("probes: gathering metrics: %v", err)
	}
	out := map[float64]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "gtmd_health_probe_lag_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		for _, b := range h.GetBucket() {
			out[b.GetUpperBound()] = b.GetCumulativeCount()
		}
		out[-1] = h.GetSampleCount()
	}
	return out
}

// lagQuantiles says under which bucket bound the median, p99 and all of
// the probes between two readings started.
func lagQuantiles(before, after map[float64]uint64) string {
	total := after[-1] - before[-1]
	var bounds []float64
	for b := range after {
		if b >= 0 {
			bounds = append(bounds, b)
		}
	}
	if len(bounds) == 0 || total == 0 {
		return "not measured (no gtmd_health_probe_lag_seconds)"
	}
	slices.Sort(bounds)
	under := func(q float64) string {
		for _, b := range bounds {
			if float64(after[b]-before[b]) >= q*float64(total) {
				return fmt.Sprintf("≤ %gs", b)
			}
		}
		return fmt.Sprintf("> %gs", bounds[len(bounds)-1])
	}
	return fmt.Sprintf("%d probes; median %s, p99 %s, all %s", total, under(0.5), under(0.99), under(1))
}

// gauge reads an unlabelled gauge from reg.
func gauge(reg *prometheus.Registry, name string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// cpuOf says whose CPU the figure counts.
func cpuOf(separate bool) string {
	if separate {
		return "the scheduler's process"
	}
	return "target included"
}

// targetHandler answers after delay, 200 until failing, then 503;
// /flip starts the failing, /counts tells requests and connections.
func targetHandler(delay time.Duration, failing *atomic.Bool, requests, conns *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flip":
			failing.Store(true)
			return
		case "/counts":
			fmt.Fprintf(w, "%d %d", requests.Load(), conns.Load())
			return
		}
		requests.Add(1)
		time.Sleep(delay)
		if failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
}

// targetServer is the target's server, counting the connections opened.
func targetServer(delay time.Duration, failing *atomic.Bool, requests, conns *atomic.Int64) *http.Server {
	return &http.Server{
		Handler: targetHandler(delay, failing, requests, conns),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
}

// serveTarget serves the target on addr until the process is killed.
func serveTarget(addr string, delay time.Duration, failing *atomic.Bool, requests, conns *atomic.Int64) {
	srv := targetServer(delay, failing, requests, conns)
	srv.Addr = addr
	log.Fatal(srv.ListenAndServe())
}

// startTarget starts the target, in this process or (separate) in a
// child, and returns its address, how to make it fail, and how to read
// its requests and connections so far, and how to stop it.
func startTarget(separate bool, delay time.Duration, failing *atomic.Bool, requests, conns *atomic.Int64) (addr string, flip func(), counts func() (int64, int64), stop func()) {
	if !separate {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatalf("probes: listening: %v", err)
		}
		srv := targetServer(delay, failing, requests, conns)
		go srv.Serve(ln)
		return ln.Addr().String(), func() { failing.Store(true) }, func() (int64, int64) { return requests.Load(), conns.Load() }, func() { srv.Close() }
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("probes: finding a port: %v", err)
	}
	addr = ln.Addr().String()
	ln.Close()
	self, err := os.Executable()
	if err != nil {
		log.Fatalf("probes: %v", err)
	}
	cmd := exec.Command(self, "-serve-only", addr, "-delay", delay.String())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("probes: starting the target: %v", err)
	}
	get := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for deadline := time.Now().Add(10 * time.Second); get("/counts") == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			log.Fatal("probes: the target did not start")
		}
	}
	counts = func() (int64, int64) {
		var r, c int64
		fmt.Sscanf(get("/counts"), "%d %d", &r, &c)
		return r, c
	}
	return addr, func() { failing.Store(true); get("/flip") }, counts, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}
