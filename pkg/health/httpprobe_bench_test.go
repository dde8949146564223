package health

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// probePaths are the two ways an http check can probe: net/http's client
// (what checks that follow redirects use) and the lean path.
var probePaths = []struct {
	name string
	lean bool
}{{"net-http", false}, {"lean", true}}

// cpuUse is the CPU the process has used so far, in user space and in
// the kernel: on loopback the kernel's share (both ends' TCP) is the same
// for any client, so the user share shows what a probe path costs.
type cpuUse struct{ user, sys time.Duration }

func cpuTime(tb testing.TB) cpuUse {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return cpuUse{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}

// report states the CPU used since start per op, in unit.
func (start cpuUse) report(b *testing.B, now cpuUse, ops float64, scale time.Duration, unit string) {
	user, sys := float64(now.user-start.user)/float64(scale)/ops, float64(now.sys-start.sys)/float64(scale)/ops
	b.ReportMetric(user+sys, "cpu-"+unit)
	b.ReportMetric(user, "user-"+unit)
	b.ReportMetric(sys, "sys-"+unit)
}

// benchServer is a loopback server answering "ok" and counting requests.
func benchServer(tb testing.TB, hits *atomic.Int64) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

// newBenchChecker builds an http check of url on ts, on the lean path or
// on net/http's client.
func newBenchChecker(tb testing.TB, ts *Transports, c config.Check, lean bool) *HTTPChecker {
	hc, err := ts.NewHTTPChecker(c)
	if err != nil {
		tb.Fatal(err)
	}
	if !lean {
		hc.lean = nil
	}
	return hc
}

// BenchmarkHTTPProbe: one check probing a loopback server back to back.
// cpu-ns/op is the process's CPU per probe, the server's included.
func BenchmarkHTTPProbe(b *testing.B) {
	var hits atomic.Int64
	srv := benchServer(b, &hits)
	c := config.Check{Name: "web", Type: config.CheckHTTP, URL: srv.URL + "/healthz",
		ExpectStatus: []int{200}, ExpectBody: "ok", Interval: config.Duration(time.Second)}
	for _, p := range probePaths {
		b.Run(p.name, func(b *testing.B) {
			hc := newBenchChecker(b, NewTransports(nil, nil), c, p.lean)
			defer hc.Release()
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				if err := probeOnce(hc, 10*time.Second); err != nil {
					b.Fatal(err)
				}
			}
			start.report(b, cpuTime(b), float64(b.N), time.Nanosecond, "ns/op")
		})
	}
}

// BenchmarkSchedulerHTTPProbes: a Scheduler running 2,000 http checks at
// 1s against one loopback server, as a node of a large document does:
// 2s for the checks to start and their connections to be made, then 5s
// measured. It reports the process's CPU per probe (server included) and
// the probes a second. Run it with -benchtime=1x.
func BenchmarkSchedulerHTTPProbes(b *testing.B) {
	const checks, warmUp, run = 2000, 2 * time.Second, 5 * time.Second
	var hits atomic.Int64
	srv := benchServer(b, &hits)
	docs := make([]config.Check, checks)
	for i := range docs {
		docs[i] = config.Check{Name: fmt.Sprintf("c%d", i), Type: config.CheckHTTP,
			URL: fmt.Sprintf("%s/healthz/%d", srv.URL, i), ExpectStatus: []int{200},
			Interval: config.Duration(time.Second), Timeout: config.Duration(time.Second), Rise: 2, Fall: 2}
	}
	for _, p := range probePaths {
		b.Run(p.name, func(b *testing.B) {
			var cpu cpuUse
			var probes int64
			for b.Loop() {
				ts := NewTransports(nil, nil)
				s := NewScheduler(Options{NewChecker: func(c config.Check) (Checker, error) {
					return newBenchChecker(b, ts, c, p.lean), nil
				}})
				s.Apply(docs)
				time.Sleep(warmUp)
				h0, c0 := hits.Load(), cpuTime(b)
				time.Sleep(run)
				probes += hits.Load() - h0
				c1 := cpuTime(b)
				cpu.user += c1.user - c0.user
				cpu.sys += c1.sys - c0.sys
				s.Close()
			}
			cpuUse{}.report(b, cpu, float64(probes), time.Microsecond, "µs/probe")
			b.ReportMetric(float64(probes)/run.Seconds()/float64(b.N), "probes/s")
		})
	}
}
