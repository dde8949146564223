package admin_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/pkg/admin"
)

// TestMetricsLint: the API's metrics pass promlint, every label value is
// there from the start, and registering twice is an error naming them.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := admin.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	want := `
# HELP gtmd_admin_requests_limited_total Admin API requests refused with 429, by the limit they hit: token (admin.limits.max_requests_per_token) or event_streams (admin.limits.max_event_streams).
# TYPE gtmd_admin_requests_limited_total counter
gtmd_admin_requests_limited_total{limit="event_streams"} 0
gtmd_admin_requests_limited_total{limit="token"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_admin_requests_limited_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "gtmd_admin_connections"); n != 3 {
		t.Errorf("gtmd_admin_connections has %d series, want 3 (new, active, idle)", n)
	}
	if _, err := admin.NewMetrics(reg); err == nil || !strings.Contains(err.Error(), "registering the admin API's metrics") {
		t.Errorf("registering twice: %v", err)
	}
}
