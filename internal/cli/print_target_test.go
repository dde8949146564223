package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
)

// TestExplainTargets: explain prints what an endpoint named by hostname
// resolves to beside its health (a stale target answers its last good
// addresses), and nothing more for one with addresses of its own.
func TestExplainTargets(t *testing.T) {
	ex := &admin.Explanation{Node: "n1", Name: "example.com.", Type: "A", Rcode: "NOERROR", Endpoints: []admin.ExplainEndpoint{
		{ID: "lb", Healthy: true, Target: &admin.TargetStatus{Name: "lb-123.example.net.", State: "resolved", Addresses: []string{"203.0.113.10", "2001:db8::10"}}},
		{ID: "lb2", Healthy: false, Target: &admin.TargetStatus{Name: "lb-9.example.net.", State: "failed", Addresses: []string{}, Failure: "NXDOMAIN"}},
		{ID: "lb3", Healthy: true, Target: &admin.TargetStatus{Name: "lb-7.example.net.", State: "stale", Addresses: []string{"203.0.113.7"}, Failure: "SERVFAIL",
			LastGood: &admin.TargetLastGood{Addresses: []string{"203.0.113.7"}}}},
		{ID: "backup", Healthy: true},
	}}
	var b bytes.Buffer
	if err := printExplanation(&b, ex); err != nil {
		t.Fatal(err)
	}
	want := "endpoints:\n" +
		"  lb      healthy    lb-123.example.net. resolved 203.0.113.10,2001:db8::10\n" +
		"  lb2     UNHEALTHY  lb-9.example.net. failed - (NXDOMAIN)\n" +
		"  lb3     healthy    lb-7.example.net. stale 203.0.113.7 (SERVFAIL)\n" +
		"  backup  healthy\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("explain lacks\n%s\nin\n%s", want, b.String())
	}
}

// TestHealthTargets: gtmd health has a TARGET column when an endpoint
// is named by hostname, and none otherwise.
func TestHealthTargets(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	lb := admin.EndpointStatus{Service: "example.com.", Endpoint: "lb", Healthy: false, Since: now, Reason: "target lb-123.example.net. did not resolve: NXDOMAIN",
		Target: &admin.TargetStatus{Name: "lb-123.example.net.", State: "failed", Addresses: []string{}, Failure: "NXDOMAIN",
			LastGood: &admin.TargetLastGood{Addresses: []string{"203.0.113.10"}, Resolved: now.Add(-time.Minute)}}}
	backup := admin.EndpointStatus{Service: "example.com.", Endpoint: "backup", Healthy: true, Since: now, Reason: "no check: always healthy"}
	for _, c := range []struct {
		name string
		eps  []admin.EndpointStatus
		want []string
	}{
		{"with a target", []admin.EndpointStatus{lb, backup}, []string{
			"SERVICE       ENDPOINT  STATUS     SINCE  OVERRIDE  REASON                                                NODES  TARGET\n",
			"example.com.  lb        UNHEALTHY  0s     -         target lb-123.example.net. did not resolve: NXDOMAIN  -      lb-123.example.net. failed - (NXDOMAIN; last good 203.0.113.10)\n",
			"example.com.  backup    healthy    0s     -         no check: always healthy                              -      -\n",
		}},
		{"without", []admin.EndpointStatus{backup}, []string{
			"SERVICE       ENDPOINT  STATUS   SINCE  OVERRIDE  REASON                    NODES\n",
			"example.com.  backup    healthy  0s     -         no check: always healthy  -\n",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := printHealth(&b, c.eps, now); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != strings.Join(c.want, "") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(c.want, ""))
			}
		})
	}
}
