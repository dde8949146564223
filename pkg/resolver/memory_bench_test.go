//go:build linux

package resolver_test

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// What a large deployment costs in memory, how long its snapshot takes to
// build and how long a health change takes to swap in:
//
//	go test -run '^$' -bench Memory -benchtime 1x ./pkg/resolver
//
// One iteration builds everything (about a gigabyte of allocation), so run
// it with -benchtime 1x and nothing else in parallel. Metrics:
//
//	validate-s, build-s     config validation and resolver.Build of the document
//	validate-cpu-s,         the same in CPU time of the process (user+sys, the
//	build-cpu-s             collector's included): steadier on a shared machine
//	snapshot-heap-MiB       heap the snapshot holds once the document is dropped
//	doc-heap-MiB            heap the validated document holds (a node keeps it too)
//	rss-MiB                 VmRSS growth with snapshot and document held, after a
//	                        collection returned what it could to the OS
//	peak-rss-MiB            VmHWM growth: the process's high-water mark over the build
//	health-swap-ns, -B      one WithHealthChanges of one endpoint, time and bytes
//	record-change-ns, -B    one WithRecordChanges of one A record in a zone of
//	                        250,000 names (what an UPDATE costs), time and bytes
const (
	memZones          = 4
	memRecords        = 1_000_000
	memServices       = 10_000
	memHealthSwaps    = 1_000
	memRecordChanges  = 100
	memRecordsPerZone = memRecords / memZones
)

func BenchmarkMemory1MRecords10kServices(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		debug.FreeOSMemory()
		heap0, rss0, hwm0 := heapInuse(), procStatusKiB(b, "VmRSS"), procStatusKiB(b, "VmHWM")

		doc := memDocument()
		start, cpu := time.Now(), cpuTime(b)
		if err := doc.Validate(); err != nil {
			b.Fatalf("the generated document does not validate: %v", err)
		}
		validate, validateCPU := time.Since(start), cpuTime(b)-cpu
		runtime.GC()
		docHeap := heapInuse() - heap0

		start, cpu = time.Now(), cpuTime(b)
		snap, err := resolver.Build(doc, 1)
		if err != nil {
			b.Fatalf("Build: %v", err)
		}
		build, buildCPU := time.Since(start), cpuTime(b)-cpu

		runtime.GC()
		debug.FreeOSMemory()
		rss := procStatusKiB(b, "VmRSS") - rss0
		hwm := procStatusKiB(b, "VmHWM") - hwm0
		runtime.KeepAlive(doc)
		doc = nil
		runtime.GC()
		snapHeap := heapInuse() - heap0

		h := resolver.NewHandler(resolver.Options{})
		h.Swap(snap)
		checkMemAnswers(b, h, "192.0.2.1")

		// One endpoint down, then up again, and so on: each swap is what
		// the node does for one health change.
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		start = time.Now()
		cur := snap
		for i := range memHealthSwaps {
			svc := fmt.Sprintf("svc%d.z0.mem.test.", i*(memServices/memHealthSwaps))
			cur = cur.WithHealthChanges([]resolver.HealthChange{{Service: svc, Endpoint: "primary", Healthy: i%2 == 1}})
		}
		swap := time.Since(start)
		runtime.ReadMemStats(&ms1)
		// The first change took svc0's primary down: its answer is the secondary.
		h.Swap(cur)
		checkMemAnswers(b, h, "198.51.100.1")

		healthAlloc := ms1.TotalAlloc - ms0.TotalAlloc

		// An A record changed, then changed back, and so on, in the
		// second zone: each is what the node does for one UPDATE.
		runtime.ReadMemStats(&ms0)
		start = time.Now()
		changed := snap
		for i := range memRecordChanges {
			addr := "192.0.2.7"
			if i%2 == 1 {
				addr = "192.0.2.8"
			}
			name := fmt.Sprintf("n%d.z1.mem.test.", memRecordsPerZone+10)
			next, ok, err := changed.WithRecordChanges("z1.mem.test.", uint32(2+i), []resolver.RecordChange{{Name: name, Type: "A", Record: &config.Record{Name: name, Type: "A", Data: []string{addr}}}})
			if err != nil || !ok {
				b.Fatalf("WithRecordChanges: %v, %v", ok, err)
			}
			changed = next
		}
		change := time.Since(start)
		runtime.ReadMemStats(&ms1)
		h.Swap(changed)
		if resp := h.Resolve(new(dns.Msg).SetQuestion(fmt.Sprintf("n%d.z1.mem.test.", memRecordsPerZone+10), dns.TypeA), netip.MustParseAddr("127.0.0.1"), false); resp == nil || len(resp.Answer) != 1 || resp.Answer[0].(*dns.A).A.String() != "192.0.2.8" {
			b.Fatalf("after the record changes: %v", resp)
		}

		b.ReportMetric(validate.Seconds(), "validate-s")
		b.ReportMetric(build.Seconds(), "build-s")
		b.ReportMetric(validateCPU.Seconds(), "validate-cpu-s")
		b.ReportMetric(buildCPU.Seconds(), "build-cpu-s")
		b.ReportMetric(mib(snapHeap), "snapshot-heap-MiB")
		b.ReportMetric(mib(docHeap), "doc-heap-MiB")
		b.ReportMetric(float64(rss)/1024, "rss-MiB")
		b.ReportMetric(float64(hwm)/1024, "peak-rss-MiB")
		b.ReportMetric(float64(swap.Nanoseconds())/memHealthSwaps, "health-swap-ns")
		b.ReportMetric(float64(healthAlloc)/memHealthSwaps, "health-swap-B")
		b.ReportMetric(float64(change.Nanoseconds())/memRecordChanges, "record-change-ns")
		b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/memRecordChanges, "record-change-B")
		runtime.KeepAlive(snap)
	}
}

// memDocument is the document: four zones of 250,000 names each, one
// record per name (A 50%, AAAA 20%, TXT 20%, CNAME to an A of the same
// zone 10%), and 10,000 failover services of two endpoints in the first.
func memDocument() *config.Traffic {
	t := &config.Traffic{Zones: make([]config.Zone, memZones)}
	for z := range memZones {
		apex := fmt.Sprintf("z%d.mem.test.", z)
		zone := config.Zone{
			Name:    apex,
			SOA:     config.SOA{MName: "ns1." + apex, RName: "hostmaster." + apex},
			NS:      []string{"ns1." + apex},
			Records: make([]config.Record, 0, memRecordsPerZone+1),
		}
		zone.Records = append(zone.Records, config.Record{Name: "ns1", Type: "A", Data: []string{"192.0.2.53"}})
		for i := range memRecordsPerZone {
			n := z*memRecordsPerZone + i
			name := "n" + strconv.Itoa(n)
			var r config.Record
			switch i % 10 {
			case 0, 1, 2, 3, 4:
				r = config.Record{Name: name, Type: "A", Data: []string{netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}).String()}}
			case 5, 6:
				r = config.Record{Name: name, Type: "AAAA", Data: []string{fmt.Sprintf("2001:db8::%x:%x", n>>16, n&0xffff)}}
			case 7, 8:
				r = config.Record{Name: name, Type: "TXT", Data: []string{fmt.Sprintf("\"v=bench1 record %d\"", n)}}
			case 9:
				r = config.Record{Name: name, Type: "CNAME", Data: []string{"n" + strconv.Itoa(n-9)}}
			}
			zone.Records = append(zone.Records, r)
		}
		t.Zones[z] = zone
	}
	t.Services = make([]config.Service, memServices)
	for i := range t.Services {
		t.Services[i] = config.Service{
			Name:   fmt.Sprintf("svc%d.z0.mem.test.", i),
			Policy: config.PolicyFailover,
			Endpoints: []config.Endpoint{
				{ID: "primary", Priority: 1, A: []string{"192.0.2.1"}},
				{ID: "secondary", Priority: 2, A: []string{"198.51.100.1"}},
			},
		}
	}
	return t
}

// checkMemAnswers asks for a record of the last zone, a CNAME and svc0,
// whose answer must be svc0Addr, so the benchmark measures a snapshot that
// answers.
func checkMemAnswers(tb testing.TB, h *resolver.Handler, svc0Addr string) {
	tb.Helper()
	last := memRecords - 10 // an A record (i % 10 == 0) in the last zone
	cases := []struct {
		name  string
		qtype uint16
		want  string
	}{
		{fmt.Sprintf("n%d.z%d.mem.test.", last, memZones-1), dns.TypeA, netip.AddrFrom4([4]byte{10, byte(last >> 16), byte(last >> 8), byte(last)}).String()},
		{fmt.Sprintf("n%d.z0.mem.test.", 19), dns.TypeA, "10.0.0.10"}, // CNAME to n10, then its A
		{"svc0.z0.mem.test.", dns.TypeA, svc0Addr},
	}
	for _, c := range cases {
		resp := h.Resolve(new(dns.Msg).SetQuestion(c.name, c.qtype), netip.MustParseAddr("127.0.0.1"), false)
		if resp == nil || resp.Rcode != dns.RcodeSuccess || len(resp.Answer) == 0 {
			tb.Fatalf("%s %s: %v, want an answer %s", c.name, dns.TypeToString[c.qtype], resp, c.want)
		}
		a, ok := resp.Answer[len(resp.Answer)-1].(*dns.A)
		if !ok || a.A.String() != c.want {
			tb.Fatalf("%s %s: answer %v, want %s", c.name, dns.TypeToString[c.qtype], resp.Answer, c.want)
		}
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapInuse is the Go heap in use: spans holding live objects and the
// garbage not yet swept from them.
func heapInuse() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// procStatusKiB reads a kB line such as VmRSS from /proc/self/status, 0
// where there is no /proc.
func procStatusKiB(tb testing.TB, key string) int64 {
	tb.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), key+":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			tb.Fatalf("reading %s from /proc/self/status: %v", key, err)
		}
		return n
	}
	return 0
}
