package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestAuditTrailIsBounded: entries written by two nodes, some in the same
// instant, are read back oldest first; the store keeps only the newest
// AuditKeep of them, trimmed as they are written; a limit returns the
// newest; the state's watch passes the trail by.
func TestAuditTrailIsBounded(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	cli := clustertest.Client(t, eps)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const keep = 5
	a := openNode(t, eps, "a", func(o *Options) { o.AuditKeep = keep })
	b := openNode(t, eps, "b", func(o *Options) { o.AuditKeep = keep })
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		writes  int
		limit   int
		want    []string // targets, oldest first
		wantLen int64    // keys under audit/
	}{
		{"under the bound", 3, 0, []string{"t0", "t1", "t2"}, 3},
		{"past the bound", 8, 0, []string{"t3", "t4", "t5", "t6", "t7"}, keep},
		{"newest two", 8, 2, []string{"t6", "t7"}, keep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cli.Delete(ctx, testPrefix+dirAudit, clientv3.WithPrefix()); err != nil {
				t.Fatal(err)
			}
			for i := range tc.writes {
				// Two entries share each instant, one from each node,
				// and a's come first.
				s, when := a.Store, base.Add(time.Duration(i/2)*time.Second)
				if i%2 == 1 {
					s = b.Store
				}
				e := audit.Entry{Who: "ops", When: when, From: "127.0.0.1", Action: audit.ActionDrain, Target: fmt.Sprintf("t%d", i)}
				if err := s.AppendAudit(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			got, err := a.Audit(ctx, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var targets []string
			for _, e := range got {
				targets = append(targets, e.Target)
				if e.Who != "ops" || e.From != "127.0.0.1" || e.Action != audit.ActionDrain || e.When.Location() != time.UTC {
					t.Errorf("entry %+v", e)
				}
			}
			if fmt.Sprint(targets) != fmt.Sprint(tc.want) {
				t.Errorf("targets %v, want %v", targets, tc.want)
			}
			n, err := cli.Get(ctx, testPrefix+dirAudit, clientv3.WithPrefix(), clientv3.WithCountOnly())
			if err != nil {
				t.Fatal(err)
			}
			if n.Count != tc.wantLen {
				t.Errorf("%d keys under audit/, want %d", n.Count, tc.wantLen)
			}
		})
	}
}

// TestRegionOverrideReachesOtherNode: a region's override is one key that
// the other node's state shows, and clears.
func TestRegionOverrideReachesOtherNode(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a := openNode(t, eps, "a")
	b := openNode(t, eps, "b")
	ctx := context.Background()
	o := health.Override{State: health.OverrideDown, Reason: "maintenance"}
	if err := a.SetRegionOverride(ctx, "us-east", o); err != nil {
		t.Fatal(err)
	}
	b.states.wait(t, 5*time.Second, "b sees the region drained", func(s *State) bool { return s.RegionOverrides["us-east"] == o })
	for _, want := range []bool{true, false} {
		found, err := a.DeleteRegionOverride(ctx, "us-east")
		if err != nil || found != want {
			t.Fatalf("DeleteRegionOverride: %v, %v; want %v", found, err, want)
		}
	}
	b.states.wait(t, 5*time.Second, "b sees the region cleared", func(s *State) bool { _, ok := s.RegionOverrides["us-east"]; return !ok })
}
