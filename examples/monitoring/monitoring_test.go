package monitoring_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// exported is every metric gtmd exports; the rules and the dashboard may
// use these and no others.
var exported = []string{
	"gtmd_dns_queries_total",
	"gtmd_dns_request_duration_seconds",
	"gtmd_policy_decisions_total",
	"gtmd_health_checks_total",
	"gtmd_health_check_duration_seconds",
	"gtmd_health_probe_duration_seconds",
	"gtmd_health_check_up",
	"gtmd_health_state_changes_total",
	"gtmd_health_endpoint_up",
	"gtmd_health_probe_lag_seconds",
	"gtmd_health_check_lag_seconds",
	"gtmd_health_probe_slots",
	"gtmd_health_probes_in_flight",
	"gtmd_cluster_store_connected",
	"gtmd_cluster_config_revision",
	"gtmd_cluster_members",
	"gtmd_cluster_store_alarm",
	"gtmd_cluster_store_history_uncompacted",
	"gtmd_cluster_document_rejected_total",
	"gtmd_cluster_document_rejected_revision",
	"gtmd_cluster_cookie_secret_rotated_timestamp_seconds",
	"gtmd_cluster_cookie_secret_writes_total",
	"gtmd_dns_rrl_responses_total",
	"gtmd_dns_cookie_queries_total",
	"gtmd_dns_tcp_connections",
	"gtmd_dns_tcp_connections_closed_total",
	"gtmd_dns_udp_read_batch_datagrams",
	"gtmd_dns_udp_send_errors_total",
	"gtmd_dns_udp_batch_waits_total",
	"gtmd_admin_connections",
	"gtmd_admin_connections_evicted_total",
	"gtmd_admin_requests_limited_total",
	"gtmd_admin_accept_errors_total",
	"gtmd_target_lookups_total",
	"gtmd_target_names",
	"gtmd_target_addresses",
}

// histograms are the exported histograms, whose series carry the
// _bucket, _sum and _count suffixes.
var histograms = []string{"gtmd_dns_request_duration_seconds", "gtmd_dns_udp_read_batch_datagrams", "gtmd_health_probe_duration_seconds", "gtmd_health_probe_lag_seconds"}

// prometheusOwn are series Prometheus itself makes, which rules may use.
var prometheusOwn = []string{"up"}

// TestPromtool runs Debian's promtool (package prometheus) over the rules,
// their unit tests and the Prometheus configuration.
func TestPromtool(t *testing.T) {
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Skip("promtool is not on PATH (apt-get install prometheus): rules.yml and prometheus.yml are not checked")
	}
	for _, args := range [][]string{
		{"check", "rules", "rules.yml"},
		{"test", "rules", "rules_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		out, err := exec.Command("promtool", args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// metricName finds metric names in a PromQL expression: a gtmd_ name
// anywhere, or any name right before a label matcher.
var (
	gtmdName     = regexp.MustCompile(`\bgtmd_[a-zA-Z0-9_]+`)
	selectorName = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)
)

// checkNames checks that expr uses only exported metrics and returns the
// base names it uses.
func checkNames(t *testing.T, where, expr string) []string {
	t.Helper()
	var used []string
	names := gtmdName.FindAllString(expr, -1)
	for _, m := range selectorName.FindAllStringSubmatch(expr, -1) {
		names = append(names, m[1])
	}
	for _, n := range names {
		base := n
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(n, suffix); ok && slices.Contains(histograms, b) {
				base = b
			}
		}
		switch {
		case slices.Contains(exported, base):
			used = append(used, base)
		case slices.Contains(prometheusOwn, base):
		default:
			t.Errorf("%s: %s is not a metric gtmd exports: %s", where, n, expr)
		}
	}
	if len(names) == 0 {
		t.Errorf("%s: no metric in %q", where, expr)
	}
	return used
}

func TestRulesUseExportedMetrics(t *testing.T) {
	src, err := os.ReadFile("rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(src, &rules); err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			checkNames(t, "rules.yml: "+r.Alert, r.Expr)
			alerts = append(alerts, r.Alert)
		}
	}
	for _, want := range []string{"GtmdEndpointDown", "GtmdNodeOutOfSync", "GtmdStoreUnreachable", "GtmdServfailRate", "GtmdSlowAnswers", "GtmdStoreAlarm", "GtmdDocumentRefused", "GtmdCookieSecretStale"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("rules.yml has no alert %s", want)
		}
	}
}

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Label      string `json:"label"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name string `json:"name"`
			Expr string `json:"expr"`
		} `json:"list"`
	} `json:"annotations"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos *struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

func TestDashboard(t *testing.T) {
	src, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(src) {
		t.Fatal("grafana-dashboard.json is not valid JSON")
	}
	var d dashboard
	if err := json.Unmarshal(src, &d); err != nil {
		t.Fatal(err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("title %q, uid %q", d.Title, d.UID)
	}
	ids := map[int]bool{}
	used := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("panel %q has no place on the grid", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			for _, n := range checkNames(t, "panel "+p.Title, q.Expr) {
				used[n] = true
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Definition != "" {
			checkNames(t, "variable "+v.Name, v.Definition)
		}
	}
	for _, a := range d.Annotations.List {
		checkNames(t, "annotation "+a.Name, a.Expr)
	}
	for _, n := range exported {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}
