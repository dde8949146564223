package resolver_test

import (
	"fmt"
	"strings"
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

// TestWithHealthChangesAcrossChunks: with more services than one chunk
// of the health table holds, a change reaches its own service only, in
// whichever chunk, and the snapshot it came from keeps its health.
func TestWithHealthChangesAcrossChunks(t *testing.T) {
	const services = 150
	var doc strings.Builder
	doc.WriteString("zones:\n  - {name: example.test., soa: {mname: ns1.example.test., rname: hostmaster.example.test.}, ns: [ns1.example.test.], records: [{name: ns1, type: A, data: [192.0.2.53]}]}\nservices:\n")
	for i := range services {
		fmt.Fprintf(&doc, "  - {name: s%d.example.test., policy: failover, ttl: 30, endpoints: [{id: primary, priority: 1, a: [198.51.100.1]}, {id: backup, priority: 2, a: [198.51.100.2]}]}\n", i)
	}
	base := snapshotFrom(t, doc.String())
	down := []int{0, 63, 64, 149}
	var changes []resolver.HealthChange
	for _, i := range down {
		changes = append(changes, resolver.HealthChange{Service: fmt.Sprintf("s%d.example.test.", i), Endpoint: "primary", Healthy: false})
	}
	changed := base.WithHealthChanges(changes)
	back := changed.WithHealthChanges(changes[:1:1])
	back = back.WithHealthChanges([]resolver.HealthChange{{Service: "s0.example.test.", Endpoint: "primary", Healthy: true}})
	cases := []struct {
		name    string
		snap    *resolver.Snapshot
		service int
		want    string
	}{
		{"the base keeps s0", base, 0, "198.51.100.1"},
		{"the base keeps s64", base, 64, "198.51.100.1"},
		{"s0 down", changed, 0, "198.51.100.2"},
		{"s63, last of the first chunk, down", changed, 63, "198.51.100.2"},
		{"s64, first of the second chunk, down", changed, 64, "198.51.100.2"},
		{"s149, in the last, short chunk, down", changed, 149, "198.51.100.2"},
		{"s1 untouched", changed, 1, "198.51.100.1"},
		{"s100 untouched", changed, 100, "198.51.100.1"},
		{"s0 back in a later snapshot", back, 0, "198.51.100.1"},
		{"s64 still down there", back, 64, "198.51.100.2"},
		{"s0 still down in the one before", changed, 0, "198.51.100.2"},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("s%d.example.test.", tc.service)
		runCases(t, newHandler(tc.snap), []dnsCase{
			{name: tc.name, qname: name, qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: []string{name + " 30 IN A " + tc.want}},
		})
	}
}
