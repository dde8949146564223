package cluster

import (
	"errors"
	"testing"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// TestTrafficRevision follows the stored document through its changes:
// TrafficRevision says 0 while none is stored and the revision that
// stored it otherwise, for a document written straight into etcd that
// Traffic refuses too.
func TestTrafficRevision(t *testing.T) {
	eps := clustertest.StartEtcd(t)
	n := openNode(t, eps, "a")
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)
	key := testPrefix + "traffic"

	for _, step := range []struct {
		name string
		// do changes the store and returns the revision wanted after.
		do func() int64
	}{
		{"never stored", func() int64 { return 0 }},
		{"applied", func() int64 {
			rev, err := n.ApplyTraffic(ctx, loadTraffic(t), NoDocument)
			if err != nil {
				t.Fatal(err)
			}
			return rev
		}},
		{"written straight into etcd, refused", func() int64 {
			put, err := raw.Put(ctx, key, "zones: [{name: broken")
			if err != nil {
				t.Fatal(err)
			}
			var rejected *RejectedDocumentError
			if _, _, err := n.Traffic(ctx); !errors.As(err, &rejected) {
				t.Fatalf("Traffic of a broken document: %v, want a *RejectedDocumentError", err)
			}
			return put.Header.Revision
		}},
		{"deleted", func() int64 {
			if _, err := raw.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			return 0
		}},
	} {
		want := step.do()
		if got, err := n.TrafficRevision(ctx); err != nil || got != want {
			t.Errorf("%s: TrafficRevision = %d, %v; want %d", step.name, got, err, want)
		}
	}
}
