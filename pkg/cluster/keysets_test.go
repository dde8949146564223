package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// TestCreateKeySetRace has two nodes create the key set of the same zone
// at the same moment, round after round: exactly one creates it, and
// both come away with the creator's value at the same revision.
func TestCreateKeySetRace(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	nodes := []*node{openNode(t, eps, "a"), openNode(t, eps, "b")}
	ctx := ctxT(t)
	for round := range 20 {
		zone := fmt.Sprintf("z%d.example.com.", round)
		type result struct {
			ks      StoredKeySet
			created bool
			err     error
		}
		results := make([]result, len(nodes))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() {
				<-start
				ks, created, err := n.CreateKeySet(ctx, zone, []byte(fmt.Sprintf(`{"by":%q}`, n.opts.Self.ID)))
				results[i] = result{ks, created, err}
			})
		}
		close(start)
		wg.Wait()
		creators := 0
		var winner StoredKeySet
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("round %d, node %d: %v", round, i, r.err)
			}
			if r.created {
				creators++
				winner = r.ks
			}
		}
		if creators != 1 {
			t.Fatalf("round %d: %d nodes created the key set, want exactly 1", round, creators)
		}
		for i, r := range results {
			if r.ks.Zone != zone || !bytes.Equal(r.ks.Value, winner.Value) || r.ks.Revision != winner.Revision {
				t.Errorf("round %d, node %d holds %s, want the creator's %s", round, i, show(r.ks), show(winner))
			}
		}
		stored, err := nodes[0].KeySet(ctx, zone)
		if err != nil || !bytes.Equal(stored.Value, winner.Value) || stored.Revision != winner.Revision {
			t.Errorf("round %d: the store holds %s (%v), want %s", round, show(stored), err, show(winner))
		}
	}
}

func show(ks StoredKeySet) string { return fmt.Sprintf("%s %q @%d", ks.Zone, ks.Value, ks.Revision) }

// TestKeySetWrites covers the compare-and-swap, the names a zone goes by
// and every value the store refuses.
func TestKeySetWrites(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	n := openNode(t, eps, "a")
	ctx := ctxT(t)

	if _, err := n.KeySet(ctx, "example.com."); !errors.Is(err, ErrNoKeySet) {
		t.Fatalf("KeySet of an empty store: %v, want ErrNoKeySet", err)
	}
	// Written in one case, found in another: one zone.
	first, created, err := n.CreateKeySet(ctx, "Example.COM", []byte("v1"))
	if err != nil || !created || first.Zone != "example.com." {
		t.Fatalf("CreateKeySet: %s, created %v, %v", show(first), created, err)
	}
	again, created, err := n.CreateKeySet(ctx, "example.com.", []byte("other"))
	if err != nil || created || string(again.Value) != "v1" || again.Revision != first.Revision {
		t.Fatalf("CreateKeySet of an existing zone: %s, created %v, %v; want v1 @%d kept", show(again), created, err, first.Revision)
	}

	rev2, err := n.UpdateKeySet(ctx, "example.com.", []byte("v2"), first.Revision)
	if err != nil || rev2 <= first.Revision {
		t.Fatalf("UpdateKeySet at the stored revision: %d, %v", rev2, err)
	}
	// A node that read v1 and writes after another node moved on.
	_, err = n.UpdateKeySet(ctx, "EXAMPLE.com.", []byte("stale"), first.Revision)
	var mm *RevisionMismatchError
	if !errors.As(err, &mm) || *mm != (RevisionMismatchError{Want: first.Revision, Current: rev2, Zone: "example.com."}) {
		t.Fatalf("UpdateKeySet at a stale revision: %v, want a *RevisionMismatchError", err)
	}
	if want := fmt.Sprintf("the stored DNSSEC key set of zone example.com. is at revision %d, not %d", rev2, first.Revision); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if ks, err := n.KeySet(ctx, "example.com"); err != nil || string(ks.Value) != "v2" || ks.Revision != rev2 {
		t.Errorf("after the refused write the store holds %s (%v), want v2 @%d", show(ks), err, rev2)
	}
	_, err = n.UpdateKeySet(ctx, "none.example.", []byte("x"), rev2)
	if !errors.As(err, &mm) || mm.Current != 0 {
		t.Errorf("UpdateKeySet of a zone without keys: %v, want a mismatch with Current 0", err)
	}

	atLimit := bytes.Repeat([]byte("k"), MaxKeySetBytes)
	if _, created, err := n.CreateKeySet(ctx, "big.example.", atLimit); err != nil || !created {
		t.Errorf("a key set of exactly %d bytes: created %v, %v", MaxKeySetBytes, created, err)
	}
	over := append(atLimit, 'k')
	for _, tc := range []struct {
		name  string
		write func() error
		want  string
	}{
		{"create over the limit", func() error { _, _, err := n.CreateKeySet(ctx, "over.example.", over); return err },
			"creating the DNSSEC key set: zone over.example.: the key set is 65537 bytes, over the limit of 65536: DNSSEC key set too large"},
		{"update over the limit", func() error { _, err := n.UpdateKeySet(ctx, "example.com.", over, rev2); return err },
			"replacing the DNSSEC key set: zone example.com.: the key set is 65537 bytes, over the limit of 65536: DNSSEC key set too large"},
		{"empty value", func() error { _, _, err := n.CreateKeySet(ctx, "empty.example.", nil); return err },
			"creating the DNSSEC key set: zone empty.example.: a key set is never empty"},
		{"no zone", func() error { _, _, err := n.CreateKeySet(ctx, "", []byte("x")); return err },
			`creating the DNSSEC key set: "" is not a zone name`},
		{"not a name", func() error { _, err := n.KeySet(ctx, "a..b"); return err },
			`reading the DNSSEC key set: "a..b" is not a zone name`},
		{"no revision", func() error { _, err := n.UpdateKeySet(ctx, "example.com.", []byte("x"), 0); return err },
			"replacing the DNSSEC key set: revision 0: a key set is replaced at the revision it was read at (CreateKeySet makes the first)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(); err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant     %s", err, tc.want)
			}
		})
	}
	if _, err := n.KeySet(ctx, "over.example."); !errors.Is(err, ErrNoKeySet) {
		t.Errorf("the refused key set was stored: %v", err)
	}
	if ks, _ := n.KeySet(ctx, "example.com."); ks.Revision != rev2 {
		t.Errorf("a refused update changed the key set: %s", show(ks))
	}
}

// TestKeySetsWatched checks that a key set one node writes reaches
// another node's State through the watch, each step of it, with the
// change named.
func TestKeySetsWatched(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a, b := openNode(t, eps, "a"), openNode(t, eps, "b")
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)
	has := func(zone, value string, rev int64) func(*State) bool {
		return func(s *State) bool {
			ks, ok := s.KeySets[zone]
			return ok && string(ks.Value) == value && ks.Revision == rev && ks.Zone == zone
		}
	}

	ks, _, err := a.CreateKeySet(ctx, "example.com.", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	before := b.states.wait(t, 5*time.Second, "b sees the created key set", has("example.com.", "v1", ks.Revision))
	rev2, err := a.UpdateKeySet(ctx, "example.com.", []byte("v2"), ks.Revision)
	if err != nil {
		t.Fatal(err)
	}
	after := b.states.wait(t, 5*time.Second, "b sees the rollover step", has("example.com.", "v2", rev2))
	if string(before.KeySets["example.com."].Value) != "v1" {
		t.Error("a published state changed: the earlier state now holds the later key set")
	}
	if changes, ok := after.ChangesSince(before); !ok || !containsChange(changes, Change{Kind: ChangeKeySet, Zone: "example.com."}) {
		t.Errorf("changes since the created key set: %v (%v); want the key set's", changes, ok)
	}

	// gtmd never deletes one; an operator may, and every node follows.
	if _, err := raw.Delete(ctx, testPrefix+"dnssec/example.com."); err != nil {
		t.Fatal(err)
	}
	b.states.wait(t, 5*time.Second, "b sees the key set deleted", func(s *State) bool { _, ok := s.KeySets["example.com."]; return !ok })
}

func containsChange(cs []Change, c Change) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// TestKeySetsResync cuts a node off while key sets are created, replaced
// and deleted and etcd's history is compacted: the node reads the store
// whole when it comes back and holds what a fresh node reads.
func TestKeySetsResync(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a, w, proxy := proxiedPair(t, eps)
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)

	kept, _, err := w.CreateKeySet(ctx, "kept.example.", []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	rolled, _, err := w.CreateKeySet(ctx, "rolled.example.", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.CreateKeySet(ctx, "gone.example.", []byte("gone")); err != nil {
		t.Fatal(err)
	}
	a.states.wait(t, 5*time.Second, "a sees the three key sets", func(s *State) bool { return len(s.KeySets) == 3 })

	proxy.Cut()
	rev2, err := w.UpdateKeySet(ctx, "rolled.example.", []byte("v2"), rolled.Revision)
	if err != nil {
		t.Fatal(err)
	}
	added, _, err := w.CreateKeySet(ctx, "added.example.", []byte("added"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Delete(ctx, testPrefix+"dnssec/gone.example."); err != nil {
		t.Fatal(err)
	}
	compacted := clustertest.Compact(t, eps)
	proxy.Restore()
	a.logs.wait(t, 15*time.Second, "reading the store again", "compacted")

	want := map[string]StoredKeySet{
		"kept.example.":   kept,
		"rolled.example.": {Zone: "rolled.example.", Value: []byte("v2"), Revision: rev2},
		"added.example.":  added,
	}
	st := a.states.wait(t, 15*time.Second, "a holds the key sets written while it was away", func(s *State) bool {
		return s.Revision >= compacted && len(s.KeySets) == len(want)
	})
	for zone, ks := range want {
		if got := st.KeySets[zone]; got.Zone != ks.Zone || !bytes.Equal(got.Value, ks.Value) || got.Revision != ks.Revision {
			t.Errorf("%s: a holds %s, want %s", zone, show(got), show(ks))
		}
	}
	fresh := openNode(t, eps, "fresh", longLease)
	var diff string
	eventually(t, 15*time.Second, func() bool {
		sa, sf := a.State(), fresh.State()
		diff = stateDiff(sa, sf)
		return diff == "" && hasMember("fresh")(sa)
	}, "a's state equals a fresh node's: %v", lazy(func() string { return diff }))
	if _, ok := st.KeySets["gone.example."]; ok {
		t.Error("the deleted key set is still there")
	}
}
