package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
)

// TestExplainTargets: explain prints what an endpoint named by hostname
// resolved to beside its health, and nothing more for one with
// addresses of its own.
func TestExplainTargets(t *testing.T) {
	ex := &admin.Explanation{Node: "n1", Name: "example.com.", Type: "A", Rcode: "NOERROR", Endpoints: []admin.ExplainEndpoint{
		{ID: "lb", Healthy: true, Target: &admin.TargetStatus{Name: "lb-123.example.net.", State: "resolved", Addresses: []string{"203.0.113.10", "2001:db8::10"}}},
		{ID: "lb2", Healthy: false, Target: &admin.TargetStatus{Name: "lb-9.example.net.", State: "failed", Addresses: []string{}, Failure: "NXDOMAIN"}},
		{ID: "backup", Healthy: true},
	}}
	var b bytes.Buffer
	if err := printExplanation(&b, ex); err != nil {
		t.Fatal(err)
	}
	want := "endpoints:\n" +
		"  lb      healthy    lb-123.example.net. resolved 203.0.113.10,2001:db8::10\n" +
		"  lb2     UNHEALTHY  lb-9.example.net. failed - (NXDOMAIN)\n" +
		"  backup  healthy\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("explain lacks\n%s\nin\n%s", want, b.String())
	}
}
