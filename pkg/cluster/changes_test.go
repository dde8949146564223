package cluster

import (
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestChangesSinceThroughEtcd follows real writes: a reader's state lists
// what other nodes wrote since an earlier state, across however many
// watch batches the reader skipped, and the earlier state is unchanged.
func TestChangesSinceThroughEtcd(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a := openNode(t, eps, "a")
	b := openNode(t, eps, "b")
	ctx := ctxT(t)
	key := health.EndpointKey{Service: "www.example.com.", Endpoint: "us-east"}
	now := time.Now().UTC()

	a.Observe("us-web", health.Observation{Status: health.Up, At: now})
	before := b.states.wait(t, 5*time.Second, "b sees a's first result", hasObservation("a", "us-web", health.Up))
	a.Observe("us-web", health.Observation{Status: health.Down, At: now})
	if err := a.SetOverride(ctx, key.Service, key.Endpoint, health.Override{State: health.OverrideDown}); err != nil {
		t.Fatal(err)
	}
	if err := a.SetExternal(ctx, "pushed", health.External{Healthy: true, At: now, Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	after := b.states.wait(t, 5*time.Second, "b sees all three", func(s *State) bool {
		_, o := s.Overrides[key]
		_, x := s.External["pushed"]
		return o && x && hasObservation("a", "us-web", health.Down)(s)
	})
	changes, ok := after.ChangesSince(before)
	if !ok {
		t.Fatal("ChangesSince: cannot tell, want the changes")
	}
	for _, want := range []Change{
		{Kind: ChangeObservation, Node: "a", Check: "us-web"},
		{Kind: ChangeOverride, Endpoint: key},
		{Kind: ChangeExternal, Check: "pushed"},
	} {
		if !slices.Contains(changes, want) {
			t.Errorf("changes %+v lack %+v", changes, want)
		}
	}
	if got := before.Observations["a"]["us-web"].Status; got != health.Up {
		t.Errorf("the earlier state changed: a/us-web is %v", got)
	}
	if _, ok := before.ChangesSince(after); ok {
		t.Error("a state tells changes since a later one")
	}
	if _, ok := after.ChangesSince(nil); ok {
		t.Error("a state tells changes since none")
	}
}

// TestChangesSinceBatches applies batches as the watch does and checks
// what each state lists, and that a batch copies only what it writes.
func TestChangesSinceBatches(t *testing.T) {
	t.Parallel()
	s := &Store{keys: keys{prefix: testPrefix}, log: slog.New(slog.DiscardHandler)}
	put := func(key, val string) func(*State) {
		return func(st *State) {
			s.applyPut(st, &mvccpb.KeyValue{Key: []byte(testPrefix + key), Value: []byte(val), ModRevision: 9})
		}
	}
	del := func(key string) func(*State) { return func(st *State) { s.applyDelete(st, testPrefix+key) } }
	obs := `{"status":"up","at":"2025-01-01T00:00:00Z"}`
	cases := []struct {
		name  string
		batch []func(*State)
		want  []Change
	}{
		{"a member and its results", []func(*State){put("members/a", `{"id":"a"}`), put("observations/a/web", obs), put("observations/a/db", obs)},
			[]Change{{Kind: ChangeMember, Node: "a"}, {Kind: ChangeObservation, Node: "a", Check: "web"}, {Kind: ChangeObservation, Node: "a", Check: "db"}}},
		{"another node's result", []func(*State){put("observations/b/web", obs)},
			[]Change{{Kind: ChangeObservation, Node: "b", Check: "web"}}},
		{"a result gone, and one that was never there", []func(*State){del("observations/a/web"), del("observations/a/nothing")},
			[]Change{{Kind: ChangeObservation, Node: "a", Check: "web"}}},
		{"override and external, set and cleared", []func(*State){put("overrides/s./e", `{"state":"down"}`), del("external/x")},
			[]Change{{Kind: ChangeOverride, Endpoint: health.EndpointKey{Service: "s.", Endpoint: "e"}}, {Kind: ChangeExternal, Check: "x"}}},
		{"a member gone", []func(*State){del("members/a")},
			[]Change{{Kind: ChangeMember, Node: "a"}}},
		{"a status pushed, the override cleared", []func(*State){put("external/x", `{"healthy":true}`), del("overrides/s./e")},
			[]Change{{Kind: ChangeExternal, Check: "x"}, {Kind: ChangeOverride, Endpoint: health.EndpointKey{Service: "s.", Endpoint: "e"}}}},
	}
	type frozen struct {
		state *State
		obs   map[string]map[string]health.Observation
		ovr   map[health.EndpointKey]health.Override
		ext   map[string]health.External
	}
	var states []frozen
	first := newState()
	prev := first
	var all []Change
	for _, tc := range cases {
		st := prev.clone()
		for _, apply := range tc.batch {
			apply(st)
		}
		st.owned = nil
		got, ok := st.ChangesSince(prev)
		if !ok || !slices.Equal(got, tc.want) {
			t.Errorf("%s: changes %+v, %v; want %+v", tc.name, got, ok, tc.want)
		}
		for node, m := range st.Observations {
			written := slices.ContainsFunc(tc.want, func(c Change) bool { return c.Kind == ChangeObservation && c.Node == node })
			if shared := prev.Observations[node] != nil && sameMap(m, prev.Observations[node]); shared == written {
				t.Errorf("%s: node %s's results shared %v, written %v", tc.name, node, shared, written)
			}
		}
		all = append(all, tc.want...)
		prev = st
		f := frozen{state: st, obs: map[string]map[string]health.Observation{}, ovr: maps.Clone(st.Overrides), ext: maps.Clone(st.External)}
		for node, m := range st.Observations {
			f.obs[node] = maps.Clone(m)
		}
		states = append(states, f)
	}
	for i, f := range states {
		if !reflect.DeepEqual(f.state.Observations, f.obs) || !reflect.DeepEqual(f.state.Overrides, f.ovr) || !reflect.DeepEqual(f.state.External, f.ext) {
			t.Errorf("the state after %q changed once later batches were applied", cases[i].name)
		}
	}
	if got, ok := prev.ChangesSince(first); !ok || !slices.Equal(got, all) {
		t.Errorf("changes since the first state: %+v, %v; want %+v", got, ok, all)
	}
	if _, ok := prev.ChangesSince(newState()); ok {
		t.Error("a state tells changes since a state read whole apart from it")
	}
}

// sameMap reports whether two maps are one.
func sameMap(a, b map[string]health.Observation) bool {
	if len(a) != len(b) {
		return false
	}
	const probe = "\x00probe"
	a[probe] = health.Observation{}
	_, same := b[probe]
	delete(a, probe)
	return same
}

// TestChangesSinceTrimmed: past the limit a state keeps the newer half of
// the log; a reader within it still gets its changes, one further behind
// is told to read the state whole.
func TestChangesSinceTrimmed(t *testing.T) {
	t.Parallel()
	first := newState()
	prev, st := first, first
	var recent, before *State
	for i := range changeLogLimit + 10 {
		before = prev
		st = prev.clone()
		st.record(Change{Kind: ChangeMember, Node: fmt.Sprint(i)})
		st.owned = nil
		if i == changeLogLimit-100 {
			recent = st
		}
		prev = st
	}
	cases := []struct {
		name string
		prev *State
		n    int // changes told; -1: cannot tell
		last string
	}{
		{"a reader within the kept half", recent, 109, fmt.Sprint(changeLogLimit + 9)},
		{"a reader one change behind", before, 1, fmt.Sprint(changeLogLimit + 9)},
		{"a reader further behind than kept", first, -1, ""},
	}
	for _, tc := range cases {
		got, ok := st.ChangesSince(tc.prev)
		switch {
		case tc.n < 0 && ok:
			t.Errorf("%s: told %d changes, want none", tc.name, len(got))
		case tc.n >= 0 && (!ok || len(got) != tc.n || got[len(got)-1].Node != tc.last):
			t.Errorf("%s: %d changes (%v), want %d ending with %s", tc.name, len(got), ok, tc.n, tc.last)
		}
	}
}
