package cluster

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// sameTraffic fails the test when got and want differ, showing both as
// JSON.
func sameTraffic(t testing.TB, what string, got, want *config.Traffic) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s differs from the applied document:\ngot  %s\nwant %s", what, g, w)
	}
}

// TestApplyTrafficRoundTrip stores documents that use every field
// (pkg/config's fixtures included) and reads them back: what is stored is
// JSON that parses to the same normalized document.
func TestApplyTrafficRoundTrip(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	n := openNode(t, eps, "a")
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)

	if _, _, err := n.Traffic(ctx); !errors.Is(err, ErrNoDocument) {
		t.Fatalf("Traffic of an empty store: %v, want ErrNoDocument", err)
	}
	st := n.states.wait(t, 5*time.Second, "the first state arrives", func(*State) bool { return true })
	if st.Traffic != nil || st.TrafficRevision != 0 || st.TrafficError != nil {
		t.Errorf("empty store: traffic %v revision %d error %v", st.Traffic, st.TrafficRevision, st.TrafficError)
	}

	for _, file := range []string{
		"testdata/traffic.yaml",
		"../config/testdata/traffic_full.yaml",
		"../config/testdata/traffic_zonefile.yaml", // zone file merged when loaded
	} {
		t.Run(file, func(t *testing.T) {
			want, err := config.LoadTraffic(file)
			if err != nil {
				t.Fatal(err)
			}
			rev, err := n.ApplyTraffic(ctx, want, AnyRevision)
			if err != nil {
				t.Fatal(err)
			}
			got, gotRev, err := n.Traffic(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if gotRev != rev {
				t.Errorf("Traffic revision %d, ApplyTraffic returned %d", gotRev, rev)
			}
			if !SameDocument(got, want) {
				sameTraffic(t, "Traffic()", got, want)
			}
			st := n.states.wait(t, 5*time.Second, "the document is seen", func(s *State) bool { return s.TrafficRevision == rev })
			if st.TrafficError != nil {
				t.Errorf("state: traffic error %v", st.TrafficError)
			}
			// The state holds the document as stored, its records apart.
			sameTraffic(t, "State().Traffic", st.Traffic, WithoutRecords(want))
			if !SameDocument(st.Document(), want) {
				sameTraffic(t, "State().Document()", st.Document(), want)
			}

			resp, err := raw.Get(ctx, testPrefix+"traffic")
			if err != nil || len(resp.Kvs) != 1 {
				t.Fatalf("raw get: %v %v", resp, err)
			}
			if !json.Valid(resp.Kvs[0].Value) {
				t.Errorf("stored document is not JSON: %s", resp.Kvs[0].Value)
			}
			reparsed, err := config.ParseTraffic("stored", resp.Kvs[0].Value, "")
			if err != nil {
				t.Fatal(err)
			}
			sameTraffic(t, "the stored document parsed again", reparsed, WithoutRecords(want))
		})
	}

	// Keys outside the prefix, or unknown below it, are not the store's.
	before := n.State()
	if _, err := raw.Put(ctx, "/elsewhere/traffic", "not a document"); err != nil {
		t.Fatal(err)
	}
	put, err := raw.Put(ctx, testPrefix+"unknown/key", "x")
	if err != nil {
		t.Fatal(err)
	}
	st = n.states.wait(t, 5*time.Second, "the unknown key's revision is seen", func(s *State) bool { return s.Revision >= put.Header.Revision })
	if st.TrafficError != nil || st.TrafficRevision != before.TrafficRevision || st.Traffic != before.Traffic {
		t.Errorf("after writes elsewhere: traffic revision %d error %v", st.TrafficRevision, st.TrafficError)
	}
}

func TestApplyTrafficConditions(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	// The node writes its member entry once it has a lease, on its own
	// time, and again at each heartbeat; a failed apply below must be the
	// only thing that could move the etcd revision, so the first write has
	// to be behind us and the next one far off.
	n := openNode(t, eps, "a", func(o *Options) { o.HeartbeatInterval = time.Hour })
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)
	n.states.wait(t, 5*time.Second, "the node registered", hasMember("a"))

	// revs[i] is the revision step i stored (0 when it failed).
	var revs []int64
	last := func() int64 { // the latest stored revision
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i] > 0 {
				return revs[i]
			}
		}
		return 0
	}
	steps := []struct {
		name string
		// ifRevision picks the condition from the revisions so far.
		ifRevision func() int64
		// wantCurrent, when set, is the Current of the expected
		// *RevisionMismatchError.
		wantCurrent func() int64
		deleteFirst bool
	}{
		{name: "NoDocument on an empty store", ifRevision: func() int64 { return NoDocument }},
		{name: "NoDocument when one is stored", ifRevision: func() int64 { return NoDocument }, wantCurrent: last},
		{name: "If-Match the stored revision", ifRevision: last},
		{name: "If-Match an older revision", ifRevision: func() int64 { return revs[0] }, wantCurrent: last},
		{name: "If-Match a future revision", ifRevision: func() int64 { return last() + 100 }, wantCurrent: last},
		{name: "AnyRevision", ifRevision: func() int64 { return AnyRevision }},
		{name: "If-Match the stored revision again", ifRevision: last},
		{name: "If-Match when none is stored", deleteFirst: true, ifRevision: last, wantCurrent: func() int64 { return 0 }},
		{name: "NoDocument after a delete", ifRevision: func() int64 { return NoDocument }},
	}
	for i, s := range steps {
		if s.deleteFirst {
			if _, err := raw.Delete(ctx, testPrefix+"traffic"); err != nil {
				t.Fatal(err)
			}
			n.states.wait(t, 5*time.Second, "the delete is seen", func(st *State) bool { return st.Traffic == nil })
		}
		beforeEtcd, err := raw.Get(ctx, "rev", clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		// The state follows etcd through the watch: let it catch up with
		// every write so far (the step before, the node's own member
		// entry) before taking it as the baseline.
		n.states.wait(t, 5*time.Second, "the state catches up with etcd", func(st *State) bool { return st.Revision >= beforeEtcd.Header.Revision })
		before := n.State()
		doc := loadTraffic(t, withQuorum(0.5+float64(i)/100))
		cond := s.ifRevision()
		rev, err := n.ApplyTraffic(ctx, doc, cond)
		if s.wantCurrent != nil {
			revs = append(revs, 0)
			var mm *RevisionMismatchError
			if !errors.As(err, &mm) {
				t.Fatalf("%s: got revision %d error %v, want a *RevisionMismatchError", s.name, rev, err)
			}
			if mm.Want != cond || mm.Current != s.wantCurrent() {
				t.Errorf("%s: mismatch want %d current %d, expected want %d current %d", s.name, mm.Want, mm.Current, cond, s.wantCurrent())
			}
			if !strings.Contains(mm.Error(), "revision") {
				t.Errorf("%s: error text %q", s.name, mm.Error())
			}
			// A failed apply stores nothing: the etcd revision does not
			// move and no new state follows it.
			afterEtcd, err := raw.Get(ctx, "rev", clientv3.WithCountOnly())
			if err != nil {
				t.Fatal(err)
			}
			if afterEtcd.Header.Revision != beforeEtcd.Header.Revision {
				t.Errorf("%s: failed apply moved the etcd revision from %d to %d", s.name, beforeEtcd.Header.Revision, afterEtcd.Header.Revision)
			}
			if st := n.State(); st.TrafficRevision != before.TrafficRevision || st.Revision != before.Revision {
				t.Errorf("%s: failed apply changed the state: revision %d→%d, traffic revision %d→%d", s.name, before.Revision, st.Revision, before.TrafficRevision, st.TrafficRevision)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if rev <= last() || rev <= before.Revision {
			t.Errorf("%s: revision %d does not rise above %d (state at %d)", s.name, rev, last(), before.Revision)
		}
		revs = append(revs, rev)
		st := n.states.wait(t, 5*time.Second, "the applied document is seen", func(st *State) bool { return st.TrafficRevision == rev })
		if st.Traffic == nil || st.Traffic.Settings.HealthQuorum != doc.Settings.HealthQuorum || st.Revision < rev {
			t.Errorf("%s: state at revision %d holds %+v, want the document applied at %d", s.name, st.Revision, st.Traffic, rev)
		}
		if _, got, err := n.Traffic(ctx); err != nil || got != rev {
			t.Errorf("%s: Traffic() revision %d, %v; want %d", s.name, got, err, rev)
		}
	}
}

func TestGarbageTrafficRejected(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, eps[0])
	// n reaches etcd through a proxy, so the test can break its watch and
	// make it read everything again.
	n := openNode(t, []string{proxy.Endpoint()}, "a")
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)

	good := loadTraffic(t)
	rev, err := n.ApplyTraffic(ctx, good, AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	n.states.wait(t, 5*time.Second, "the good document is seen", func(s *State) bool { return s.TrafficRevision == rev })

	garbage := []struct{ name, value string }{
		{"not YAML", "{zones: [unterminated"},
		{"valid JSON, invalid document", `{"zones": [{"name": "example.com."}]}`},
		{"unknown field", `{"zones": [], "surprise": 1}`},
		{"empty", ""},
	}
	for _, g := range garbage {
		put, err := raw.Put(ctx, testPrefix+"traffic", g.value)
		if err != nil {
			t.Fatal(err)
		}
		badRev := put.Header.Revision
		st := n.states.wait(t, 5*time.Second, g.name+" is seen", func(s *State) bool { return s.Revision >= badRev })
		if st.TrafficError == nil {
			t.Errorf("%s: no TrafficError", g.name)
		} else if !strings.Contains(st.TrafficError.Error(), "revision") {
			t.Errorf("%s: TrafficError %q does not name the revision", g.name, st.TrafficError)
		}
		if st.TrafficRevision != rev {
			t.Errorf("%s: traffic revision %d, want the good one's %d", g.name, st.TrafficRevision, rev)
		}
		sameTraffic(t, g.name+": State().Traffic", st.Traffic, good)
		if _, _, err := n.Traffic(ctx); err == nil {
			t.Errorf("%s: Traffic() read a garbage document without error", g.name)
		}
	}

	// A watch that breaks reads everything again; the unreadable document
	// must not cost the node the good one it serves.
	before := n.State()
	proxy.Cut()
	// Writes while n is cut off, compacted away before n can watch them
	// (a compaction keeps its own revision, so two writes).
	for _, ep := range []string{"us-east", "eu-west"} {
		if _, err := raw.Put(ctx, testPrefix+"overrides/www.example.com./"+ep, `{"state":"down"}`); err != nil {
			t.Fatal(err)
		}
	}
	clustertest.Compact(t, eps)
	proxy.Restore()
	n.logs.wait(t, 15*time.Second, "reading the store again", "compacted")
	st := n.states.wait(t, 10*time.Second, "the state is read again", func(s *State) bool { return s != before })
	if st.TrafficError == nil {
		t.Error("after a resync: no TrafficError")
	}
	if st.TrafficRevision != rev {
		t.Errorf("after a resync: traffic revision %d, want the good one's %d", st.TrafficRevision, rev)
	}
	sameTraffic(t, "after a resync: State().Traffic", st.Traffic, good)
	if len(st.Overrides) != 2 {
		t.Errorf("after a resync: overrides %v, want the two written while cut off", st.Overrides)
	}

	// A fresh node has no good document to keep.
	fresh := openNode(t, eps, "fresh")
	fst := fresh.states.wait(t, 5*time.Second, "the fresh node reads the store", func(s *State) bool { return s.Revision > 0 })
	if fst.Traffic != nil || fst.TrafficError == nil {
		t.Errorf("fresh node: traffic %v error %v, want none and an error", fst.Traffic, fst.TrafficError)
	}

	// Deleting the unreadable document leaves no document and no error.
	del, err := raw.Delete(ctx, testPrefix+"traffic")
	if err != nil {
		t.Fatal(err)
	}
	st = n.states.wait(t, 5*time.Second, "the delete is seen", func(s *State) bool { return s.Revision >= del.Header.Revision })
	if st.Traffic != nil || st.TrafficRevision != 0 || st.TrafficError != nil {
		t.Errorf("after the delete: traffic %v revision %d error %v, want none", st.Traffic != nil, st.TrafficRevision, st.TrafficError)
	}

	// A good document clears the error.
	rev, err = n.ApplyTraffic(ctx, good, NoDocument)
	if err != nil {
		t.Fatal(err)
	}
	st = n.states.wait(t, 5*time.Second, "the good document is seen again", func(s *State) bool { return s.TrafficRevision == rev })
	if st.TrafficError != nil {
		t.Errorf("after a good document: TrafficError %v", st.TrafficError)
	}
}
