package resolver

import (
	"net/netip"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// TestHealthChangeKeepsOtherDecisions: a snapshot WithHealthChanges
// derives remembers the decisions of the services whose health did not
// change, and none of the one whose did; the snapshot it started from
// keeps its own.
func TestHealthChangeKeepsOtherDecisions(t *testing.T) {
	tr, err := config.ParseTraffic("inline.yaml", []byte(`
zones:
  - name: d.test.
    soa: {mname: ns1.d.test., rname: hostmaster.d.test., minimum: 30}
    ns: [ns1.d.test.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
services:
  - name: one.d.test.
    policy: failover
    endpoints:
      - {id: primary, priority: 1, a: [192.0.2.1]}
      - {id: backup, priority: 2, a: [192.0.2.2]}
  - name: two.d.test.
    policy: failover
    endpoints:
      - {id: primary, priority: 1, a: [192.0.2.3]}
      - {id: backup, priority: 2, a: [192.0.2.4]}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	base, err := Build(tr, 1)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(Options{})
	client := netip.MustParseAddr("198.51.100.7")
	choose := func(s *Snapshot, service int) []int {
		r := request{source: client}
		return h.decide(s, s.services[service], &r)
	}
	remembered := func(s *Snapshot, service int) *decision {
		p, _ := client.Prefix(client.BitLen())
		return s.decisions.get(s.health.key(service), p)
	}
	choose(base, 0)
	choose(base, 1)
	flipped := base.WithHealthChanges([]HealthChange{{Service: "one.d.test.", Endpoint: "primary", Healthy: false}})
	cases := []struct {
		name    string
		snap    *Snapshot
		service int
		kept    bool
		chosen  int
	}{
		{"the changed service chooses again", flipped, 0, false, 1},
		{"the other service is remembered", flipped, 1, true, 0},
		{"the snapshot before keeps its decision", base, 0, true, 0},
	}
	for _, c := range cases {
		if got := remembered(c.snap, c.service) != nil; got != c.kept {
			t.Errorf("%s: decision remembered %v, want %v", c.name, got, c.kept)
		}
		if got := choose(c.snap, c.service); len(got) != 1 || got[0] != c.chosen {
			t.Errorf("%s: chose %v, want [%d]", c.name, got, c.chosen)
		}
	}
	again := flipped.WithHealthChanges([]HealthChange{{Service: "one.d.test.", Endpoint: "primary", Healthy: true}})
	if got := choose(again, 0); len(got) != 1 || got[0] != 0 {
		t.Errorf("primary back: chose %v, want [0] (a decision of the flipped snapshot leaked)", got)
	}
}
