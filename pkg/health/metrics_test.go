package health_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, func(o *health.Options) { o.Registerer = reg })
	tg := h.fleet.target("web")
	// ext is evaluated, not probed: it has no series.
	h.s.Apply([]config.Check{probed("web", 2, 2), {Name: "ext", Type: config.CheckExternal}})
	for i, err := range results("off") {
		if i > 0 {
			h.block(t, 1)
			h.clk.Advance(ival)
		}
		tg.send(t, err)
	}
	h.block(t, 1)

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	want := `
# HELP gtmd_health_check_up Whether a check counts as healthy on this node: 1 when up or unknown, 0 when down.
# TYPE gtmd_health_check_up gauge
gtmd_health_check_up{check="web"} 0
# HELP gtmd_health_checks_total Health probes run, by check and result (ok or fail).
# TYPE gtmd_health_checks_total counter
gtmd_health_checks_total{check="web",result="fail"} 2
gtmd_health_checks_total{check="web",result="ok"} 1
# HELP gtmd_health_state_changes_total Status changes of health checks, by check and new status.
# TYPE gtmd_health_state_changes_total counter
gtmd_health_state_changes_total{check="web",to="down"} 1
gtmd_health_state_changes_total{check="web",to="up"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"gtmd_health_check_up", "gtmd_health_checks_total", "gtmd_health_state_changes_total"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var probes uint64
	for _, mf := range mfs {
		if mf.GetName() == "gtmd_health_probe_duration_seconds" {
			probes = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	if probes != 3 {
		t.Errorf("gtmd_health_probe_duration_seconds counts %d probes, want 3", probes)
	}
	if n := testutil.CollectAndCount(reg, "gtmd_health_check_duration_seconds"); n != 1 {
		t.Errorf("%d duration series, want web's only", n)
	}
	// web is probed; ext is not.
	wantProbed(t, reg, 1)

	// A removed check takes its series along.
	h.s.Apply(nil)
	for _, name := range []string{"gtmd_health_check_up", "gtmd_health_checks_total", "gtmd_health_check_duration_seconds", "gtmd_health_state_changes_total"} {
		if n := testutil.CollectAndCount(reg, name); n != 0 {
			t.Errorf("%s: %d series left after removal", name, n)
		}
	}

	wantProbed(t, reg, 0)

	// A second scheduler on the same registry shares the collectors.
	s2 := health.NewScheduler(health.Options{Registerer: reg})
	s2.Close()
}

// wantProbed checks gtmd_health_checks_probed.
func wantProbed(t *testing.T, reg *prometheus.Registry, n int) {
	t.Helper()
	want := fmt.Sprintf(`
# HELP gtmd_health_checks_probed Checks this node probes: the probed checks of the document, less the sharded ones (vantage) other nodes probe.
# TYPE gtmd_health_checks_probed gauge
gtmd_health_checks_probed %d
`, n)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_health_checks_probed"); err != nil {
		t.Error(err)
	}
}

func TestEndpointGauge(t *testing.T) {
	reg := prometheus.NewRegistry()
	g, err := health.NewEndpointGauge(reg)
	if err != nil {
		t.Fatal(err)
	}
	a := health.EndpointKey{Service: "www.example.com.", Endpoint: "us-east"}
	b := health.EndpointKey{Service: "www.example.com.", Endpoint: "eu-west"}
	g.Set(map[health.EndpointKey]bool{a: true, b: false})
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	want := `
# HELP gtmd_health_endpoint_up Whether a service endpoint is healthy as this node answers: 1 healthy, 0 not.
# TYPE gtmd_health_endpoint_up gauge
gtmd_health_endpoint_up{endpoint="eu-west",service="www.example.com."} 0
gtmd_health_endpoint_up{endpoint="us-east",service="www.example.com."} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_health_endpoint_up"); err != nil {
		t.Error(err)
	}
	g.Set(map[health.EndpointKey]bool{b: true})
	want = `
# HELP gtmd_health_endpoint_up Whether a service endpoint is healthy as this node answers: 1 healthy, 0 not.
# TYPE gtmd_health_endpoint_up gauge
gtmd_health_endpoint_up{endpoint="eu-west",service="www.example.com."} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_health_endpoint_up"); err != nil {
		t.Error(err)
	}
	if _, err := health.NewEndpointGauge(reg); err != nil {
		t.Errorf("second gauge on the registry: %v", err)
	}
}
