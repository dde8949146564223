package resolver_test

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// TestHealthChangeKeepsOtherDecisions: a snapshot WithHealthChanges
// derives remembers the decisions of the services whose health did not
// change, and none of the one whose did; the snapshot it started from
// keeps its own.
func TestHealthChangeKeepsOtherDecisions(t *testing.T) {
	base := snapshotFrom(t, zoneDoc("d.test.")+`
  - {name: one.d.test., policy: failover, endpoints: [{id: primary, priority: 1, a: [192.0.2.1]}, {id: backup, priority: 2, a: [192.0.2.2]}]}
  - {name: two.d.test., policy: failover, endpoints: [{id: primary, priority: 1, a: [192.0.2.3]}, {id: backup, priority: 2, a: [192.0.2.4]}]}
`)
	client := netip.MustParseAddr("198.51.100.7")
	h := resolver.NewHandler(resolver.Options{})
	answer := func(s *resolver.Snapshot, name string) string {
		h.Swap(s)
		resp := h.Resolve(new(dns.Msg).SetQuestion(name, dns.TypeA), client, false)
		if len(resp.Answer) != 1 {
			t.Fatalf("%s: %d answers, want 1", name, len(resp.Answer))
		}
		return resp.Answer[0].(*dns.A).A.String()
	}
	answer(base, "one.d.test.")
	answer(base, "two.d.test.")
	flipped := base.WithHealthChanges([]resolver.HealthChange{{Service: "one.d.test.", Endpoint: "primary", Healthy: false}})
	cases := []struct {
		name    string
		snap    *resolver.Snapshot
		service string
		kept    bool
		answer  string
	}{
		{"the changed service chooses again", flipped, "one.d.test.", false, "192.0.2.2"},
		{"the other service is remembered", flipped, "two.d.test.", true, "192.0.2.3"},
		{"the snapshot before keeps its decision", base, "one.d.test.", true, "192.0.2.1"},
	}
	for _, c := range cases {
		if got := resolver.Remembered(c.snap, c.service, client); got != c.kept {
			t.Errorf("%s: decision remembered %v, want %v", c.name, got, c.kept)
		}
		if got := answer(c.snap, c.service); got != c.answer {
			t.Errorf("%s: answered %s, want %s", c.name, got, c.answer)
		}
	}
	again := flipped.WithHealthChanges([]resolver.HealthChange{{Service: "one.d.test.", Endpoint: "primary", Healthy: true}})
	if got := answer(again, "one.d.test."); got != "192.0.2.1" {
		t.Errorf("primary back: answered %s, want 192.0.2.1 (a decision of the flipped snapshot leaked)", got)
	}
}
