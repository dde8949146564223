package dnstaplog_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/pkg/dnstaplog"
)

// TestMetricsLint: the logger's metrics pass promlint and are named as
// the README says; a second logger on the same registry is refused
// rather than counting into the first one's series.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := dnstaplog.New(dnstaplog.Options{Output: discard{}, Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	if n, err := testutil.GatherAndCount(reg, "gtmd_dnstap_sent_messages_total", "gtmd_dnstap_dropped_messages_total"); err != nil || n != 2 {
		t.Errorf("found %d of the two metrics (%v)", n, err)
	}
	if _, err := dnstaplog.New(dnstaplog.Options{Output: discard{}, Registerer: reg}); err == nil {
		t.Error("a second logger registered the same metrics")
	}
}
