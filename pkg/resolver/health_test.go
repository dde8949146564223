package resolver_test

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// TestWithHealthChanges applies changes one snapshot after another: each
// answers with its own health, and the snapshots before it still answer
// with theirs.
func TestWithHealthChanges(t *testing.T) {
	primaryA := []string{"www.example.test. 30 IN A 198.51.100.1"}
	backupA := []string{"www.example.test. 30 IN A 198.51.100.2"}
	edge := []string{"cdn.example.test. 20 IN CNAME edge.cdn.example.net."}
	chased := []string{"cdn.example.test. 20 IN CNAME c.example.test.", "c.example.test. 300 IN A 192.0.2.30"}
	steps := []struct {
		name       string
		changes    []resolver.HealthChange
		www, cdnTo []string
	}{
		{"primary down", []resolver.HealthChange{{Service: "www.example.test.", Endpoint: "primary", Healthy: false}}, backupA, edge},
		{"edge down too, primary unchanged", []resolver.HealthChange{{Service: "cdn.example.test.", Endpoint: "edge", Healthy: false}}, backupA, chased},
		{"an endpoint and a service the document lacks change nothing", []resolver.HealthChange{
			{Service: "www.example.test.", Endpoint: "nowhere", Healthy: false},
			{Service: "none.example.test.", Endpoint: "backup", Healthy: false},
		}, backupA, chased},
		{"primary back, spelt in capitals", []resolver.HealthChange{{Service: "WWW.Example.Test.", Endpoint: "primary", Healthy: true}}, primaryA, chased},
		{"no change", nil, primaryA, chased},
	}
	base := testSnapshot(t)
	snap := base
	var served []*resolver.Snapshot
	var want [][2][]string
	for _, st := range steps {
		snap = snap.WithHealthChanges(st.changes)
		served = append(served, snap)
		want = append(want, [2][]string{st.www, st.cdnTo})
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			runCases(t, newHandler(served[i]), []dnsCase{
				{name: "www", qname: "www.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: want[i][0]},
				{name: "cdn", qname: "cdn.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: want[i][1]},
			})
		})
	}
	t.Run("the snapshot changes started from", func(t *testing.T) {
		runCases(t, newHandler(base), []dnsCase{
			{name: "www", qname: "www.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: primaryA},
		})
	})
}
