package admin_test

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestTargetStatus: the API's addresses are those the node answers for
// the endpoint now; a failing target's earlier ones are shown apart, as
// the last good, with when they were looked up.
func TestTargetStatus(t *testing.T) {
	resolved := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	failing := resolved.Add(time.Minute)
	addrs := []netip.Addr{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("2001:db8::10")}
	for _, tc := range []struct {
		name string
		st   health.TargetState
		want string
	}{
		{"pending", health.TargetState{Name: "lb.", State: health.TargetPending},
			`{"name":"lb.","state":"pending","addresses":[],"ttl_seconds":0}`},
		{"resolved", health.TargetState{Name: "lb.", State: health.TargetResolved, Addresses: addrs, TTL: time.Minute, Resolved: resolved, LookedUp: resolved},
			`{"name":"lb.","state":"resolved","addresses":["203.0.113.10","2001:db8::10"],"ttl_seconds":60,"looked_up":"2026-11-30T12:00:00Z"}`},
		{"stale: the last good still answered", health.TargetState{Name: "lb.", State: health.TargetStale, Addresses: addrs, Failure: "SERVFAIL", FailingSince: failing, TTL: time.Minute, Resolved: resolved, LookedUp: failing, StaleUntil: failing.Add(time.Minute)},
			`{"name":"lb.","state":"stale","addresses":["203.0.113.10","2001:db8::10"],"failure":"SERVFAIL","failing_since":"2026-11-30T12:01:00Z","last_good":{"addresses":["203.0.113.10","2001:db8::10"],"resolved":"2026-11-30T12:00:00Z"},"ttl_seconds":60,"looked_up":"2026-11-30T12:01:00Z","stale_until":"2026-11-30T12:02:00Z"}`},
		{"failed: nothing answered, the last good apart", health.TargetState{Name: "lb.", State: health.TargetFailed, Addresses: addrs, Failure: "NXDOMAIN", FailingSince: failing, TTL: time.Minute, Resolved: resolved, LookedUp: failing},
			`{"name":"lb.","state":"failed","addresses":[],"failure":"NXDOMAIN","failing_since":"2026-11-30T12:01:00Z","last_good":{"addresses":["203.0.113.10","2001:db8::10"],"resolved":"2026-11-30T12:00:00Z"},"ttl_seconds":60,"looked_up":"2026-11-30T12:01:00Z"}`},
		{"failed, never resolved", health.TargetState{Name: "lb.", State: health.TargetFailed, Failure: "NXDOMAIN", FailingSince: failing, LookedUp: failing},
			`{"name":"lb.","state":"failed","addresses":[],"failure":"NXDOMAIN","failing_since":"2026-11-30T12:01:00Z","ttl_seconds":0,"looked_up":"2026-11-30T12:01:00Z"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(admin.NewTargetStatus(tc.st))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
