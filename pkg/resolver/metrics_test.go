package resolver_test

import (
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// queriesHelp is what the exposition of gtmd_dns_queries_total begins
// with.
const queriesHelp = `
# HELP gtmd_dns_queries_total DNS queries answered, by zone, query type and response code.
# TYPE gtmd_dns_queries_total counter
`

// TestMetrics sends queries through ServeDNS and checks the counters, the
// histogram and the lint of every metric.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := resolver.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := newPolicySetup(t, true)
	h := resolver.NewHandler(resolver.Options{Metrics: m})
	h.Swap(s.snap.WithHealth(func(_, ep string) bool { return ep != "primary" }))
	queries := []struct {
		name  string
		qtype uint16
		n     int
	}{
		{"ns1.gtm.test.", dns.TypeA, 3},
		{"nope.gtm.test.", dns.TypeA, 2},
		{"ns1.gtm.test.", dns.TypeNAPTR, 1},
		{"example.org.", dns.TypeA, 1},
		{"failover.gtm.test.", dns.TypeA, 4},
	}
	began := time.Now()
	for _, q := range queries {
		for range q.n {
			w := &fakeWriter{remote: fakeUDPClient}
			h.ServeDNS(w, benchQuery(t, q.name, q.qtype, true, nil))
		}
	}
	// A query with a bad EDNS version counts as BADVERS, the full rcode.
	bad := benchQuery(t, "ns1.gtm.test.", dns.TypeA, true, nil)
	bad.IsEdns0().SetVersion(1)
	h.ServeDNS(&fakeWriter{remote: fakeUDPClient}, bad)
	spent := time.Since(began)

	want := queriesHelp + `gtmd_dns_queries_total{qtype="A",rcode="BADVERS",zone="none"} 1
gtmd_dns_queries_total{qtype="A",rcode="NOERROR",zone="gtm.test."} 7
gtmd_dns_queries_total{qtype="A",rcode="NXDOMAIN",zone="gtm.test."} 2
gtmd_dns_queries_total{qtype="A",rcode="REFUSED",zone="none"} 1
gtmd_dns_queries_total{qtype="other",rcode="NOERROR",zone="gtm.test."} 1
# HELP gtmd_policy_decisions_total Endpoints handed out in service answers, by service and endpoint.
# TYPE gtmd_policy_decisions_total counter
gtmd_policy_decisions_total{endpoint="backup",service="failover.gtm.test."} 4
gtmd_policy_decisions_total{endpoint="primary",service="failover.gtm.test."} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_dns_queries_total", "gtmd_policy_decisions_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "gtmd_dns_request_duration_seconds"); n != 1 {
		t.Errorf("duration histogram: %d series", n)
	}
	// Every query is timed, from its arrival: together they took some
	// time, and no more than the loop that sent them.
	var hist *dto.Histogram
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "gtmd_dns_request_duration_seconds" {
			hist = f.GetMetric()[0].GetHistogram()
		}
	}
	if hist == nil || hist.GetSampleCount() != 12 || hist.GetSampleSum() <= 0 || hist.GetSampleSum() > spent.Seconds() {
		t.Errorf("duration histogram %v, want 12 queries taking together more than 0 and at most %v", hist, spent)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

// TestMetricsKeepNoReplacedDocument: once a new document's snapshot
// replaces the old one, the decision counters keep nothing of the old
// document alive (they used to hold every service ever answered).
func TestMetricsKeepNoReplacedDocument(t *testing.T) {
	m, err := resolver.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := resolver.NewHandler(resolver.Options{Metrics: m})
	gone := func() weak.Pointer[config.Service] {
		tr := loadTraffic(t)
		snap, err := resolver.Build(tr, testSerial)
		if err != nil {
			t.Fatal(err)
		}
		h.Swap(snap)
		h.ServeDNS(&fakeWriter{remote: fakeUDPClient}, benchQuery(t, "www.example.test.", dns.TypeA, false, nil))
		return weak.Make(&tr.Services[0])
	}()
	h.Swap(testSnapshot(t))
	h.ServeDNS(&fakeWriter{remote: fakeUDPClient}, benchQuery(t, "www.example.test.", dns.TypeA, false, nil))
	for range 5 {
		runtime.GC()
	}
	if gone.Value() != nil {
		t.Error("the replaced document's services are still reachable after a new snapshot took over")
	}
	want := `
# HELP gtmd_policy_decisions_total Endpoints handed out in service answers, by service and endpoint.
# TYPE gtmd_policy_decisions_total counter
gtmd_policy_decisions_total{endpoint="backup",service="www.example.test."} 0
gtmd_policy_decisions_total{endpoint="primary",service="www.example.test."} 2
`
	reg := prometheus.NewRegistry()
	m2, err := resolver.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// The same snapshot counted by another Metrics counts there.
	h2 := resolver.NewHandler(resolver.Options{Metrics: m2})
	h2.Swap(h.Snapshot())
	for range 2 {
		h2.ServeDNS(&fakeWriter{remote: fakeUDPClient}, benchQuery(t, "www.example.test.", dns.TypeA, false, nil))
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_policy_decisions_total"); err != nil {
		t.Error(err)
	}
}

// TestFastPathMetrics: the fast path counts its answers as the full path
// does, under the zone each was found in: static, NXDOMAIN and service
// answers, and REFUSED outside the zones under "none".
func TestFastPathMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := resolver.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := resolver.NewHandler(resolver.Options{Metrics: m})
	h.Swap(testSnapshot(t))
	out := make([]byte, 0, 65535)
	for _, q := range []struct {
		name string
		n    int
	}{{"host.example.test.", 2}, {"nope.example.test.", 1}, {"www.example.test.", 3}, {"example.org.", 1}} {
		for range q.n {
			if _, ok := h.AnswerPacket(packEdited(t, q.name, dns.TypeA, nil), srcV4, out); !ok {
				t.Fatalf("the fast path declined %s", q.name)
			}
		}
	}
	want := queriesHelp + `gtmd_dns_queries_total{qtype="A",rcode="NOERROR",zone="example.test."} 5
gtmd_dns_queries_total{qtype="A",rcode="NXDOMAIN",zone="example.test."} 1
gtmd_dns_queries_total{qtype="A",rcode="REFUSED",zone="none"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_dns_queries_total"); err != nil {
		t.Error(err)
	}
}
