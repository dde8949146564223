package cluster

import (
	"reflect"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

func hasObservation(node, check string, status health.Status) func(*State) bool {
	return func(s *State) bool {
		o, ok := s.Observations[node][check]
		return ok && o.Status == status
	}
}

func noObservations(node string) func(*State) bool {
	return func(s *State) bool { return len(s.Observations[node]) == 0 }
}

func TestTwoNodesShareMembersAndObservations(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a := openNode(t, eps, "a")
	b := openNode(t, eps, "b")
	ctx := ctxT(t)

	// Each sees the other's member entry, as it registered.
	sa := a.states.wait(t, 5*time.Second, "a sees b", hasMember("b"))
	sb := b.states.wait(t, 5*time.Second, "b sees a", hasMember("a"))
	for _, c := range []struct {
		seen Member
		self Options
	}{{sa.Members["b"], b.opts}, {sb.Members["a"], a.opts}} {
		m, want := c.seen, c.self.Self
		if m.ID != want.ID || m.Region != want.Region || !reflect.DeepEqual(m.DNS, want.DNS) || m.Admin != want.Admin || m.Version != want.Version {
			t.Errorf("member entry %+v, want %+v", m, want)
		}
		if m.StartedAt.IsZero() || m.LastSeen.IsZero() || m.LastSeen.Before(m.StartedAt) {
			t.Errorf("member %s: started %v, last seen %v", m.ID, m.StartedAt, m.LastSeen)
		}
	}

	// An observation on a reaches b within a second.
	at := time.Now().UTC()
	start := time.Now()
	a.Observe("us-web", health.Observation{Status: health.Up, Since: at, Latency: 3 * time.Millisecond, At: at})
	sb = b.states.wait(t, 5*time.Second, "b sees a's observation", hasObservation("a", "us-web", health.Up))
	t.Logf("an observation reached the other node in %v", time.Since(start))
	// The status and since when are shared; the probe's detail is not
	// (it goes with SetDetails).
	if got := sb.Observations["a"]["us-web"]; !got.Since.Equal(at) || got.Latency != 0 || !got.At.IsZero() {
		t.Errorf("observation as b sees it: %+v, want up since %v and no detail", got, at)
	}

	// The quorum rule on the shared state: a says up, b says down.
	b.Observe("us-web", health.Observation{Status: health.Down, Error: "connection refused", At: at})
	cond := func(s *State) bool {
		return s.Traffic != nil && hasObservation("a", "us-web", health.Up)(s) && hasObservation("b", "us-web", health.Down)(s)
	}
	rev, err := a.ApplyTraffic(ctx, loadTraffic(t), AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	sa = a.states.wait(t, 5*time.Second, "a sees both observations and the document", cond)
	sb = b.states.wait(t, 5*time.Second, "b sees both observations and the document", cond)
	now := time.Now()
	evaluate := func(s *State, quorum float64) health.Evaluation {
		doc := *s.Traffic
		doc.Settings.HealthQuorum = quorum
		return health.Evaluate(health.Inputs{Traffic: &doc, Observations: s.Observations, Overrides: s.Overrides, External: s.External, Now: now})
	}
	for _, c := range []struct {
		quorum float64
		want   health.Status
	}{{0.5, health.Up}, {0.75, health.Down}} {
		va, vb := evaluate(sa, c.quorum).Checks["us-web"], evaluate(sb, c.quorum).Checks["us-web"]
		if va.Status != c.want || vb.Status != c.want {
			t.Errorf("quorum %g: a computes %s (%s), b computes %s (%s), want %s", c.quorum, va.Status, va.Reason, vb.Status, vb.Reason, c.want)
		}
	}
	if !reflect.DeepEqual(evaluate(sa, 0.5), evaluate(sb, 0.5)) {
		t.Error("a and b compute different verdicts from the same observations")
	}

	// Forget removes the observation; SetServing publishes the revision a
	// serves in its member entry.
	a.Forget("us-web")
	a.SetServing(rev)
	b.states.wait(t, 5*time.Second, "b sees a forget and serve", func(s *State) bool {
		_, has := s.Observations["a"]["us-web"]
		return !has && s.Members["a"].Revision == rev
	})

	// Three nodes: a third one sees both, and both see it.
	c := openNode(t, eps, "c")
	c.states.wait(t, 5*time.Second, "c sees a and b", func(s *State) bool {
		return hasMember("a")(s) && hasMember("b")(s) && hasMember("c")(s) && hasObservation("b", "us-web", health.Down)(s)
	})
	a.states.wait(t, 5*time.Second, "a sees c", hasMember("c"))
}

func TestCloseRevokesLease(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	// A long lease: only the revocation can make a's entries leave in time.
	a := openNode(t, eps, "a", func(o *Options) { o.LeaseTTL = time.Minute })
	b := openNode(t, eps, "b")
	a.Observe("us-web", health.Observation{Status: health.Up, At: time.Now()})
	a.Observe("eu-web", health.Observation{Status: health.Down, At: time.Now()})
	b.states.wait(t, 5*time.Second, "b sees a and its observations", func(s *State) bool {
		return hasMember("a")(s) && len(s.Observations["a"]) == 2
	})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b.states.wait(t, 5*time.Second, "a and its observations leave", func(s *State) bool {
		return noMember("a")(s) && noObservations("a")(s)
	})
}

// TestCutOffNodeExpires cuts a running node off from etcd, as a node that
// hangs or is killed would be: its lease expires and its member entry and
// observations leave the others' state after the TTL. The node itself
// keeps its last state and says it is disconnected.
func TestCutOffNodeExpires(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, eps[0])
	a := openNode(t, []string{proxy.Endpoint()}, "a", func(o *Options) { o.LeaseTTL = time.Second })
	b := openNode(t, eps, "b")
	a.Observe("us-web", health.Observation{Status: health.Down, At: time.Now()})
	b.states.wait(t, 5*time.Second, "b sees a's observation", hasObservation("a", "us-web", health.Down))
	a.states.wait(t, 5*time.Second, "a sees b and its own observation", func(s *State) bool {
		return hasMember("b")(s) && hasObservation("a", "us-web", health.Down)(s)
	})
	a.waitConn(t, 5*time.Second, true)

	proxy.Cut()
	start := time.Now()
	b.states.wait(t, 5*time.Second, "a's lease expires", func(s *State) bool {
		return noMember("a")(s) && noObservations("a")(s)
	})
	t.Logf("a cut-off node left the others' state after %v (lease TTL 1s)", time.Since(start))
	ev := a.waitConn(t, 5*time.Second, false)
	if ev.reason == "" || a.Connected() || a.Degraded() == "" {
		t.Errorf("cut-off node: reason %q, connected %v, degraded %q", ev.reason, a.Connected(), a.Degraded())
	}
	// Fail-static: the cut-off node keeps the last state it saw.
	if st := a.State(); !hasMember("b")(st) || !hasObservation("a", "us-web", health.Down)(st) {
		t.Errorf("cut-off node lost its last state: %s", describe(st))
	}

	// Back again, it registers anew and writes its observations again.
	a.Observe("eu-web", health.Observation{Status: health.Up, At: time.Now()})
	proxy.Restore()
	b.states.wait(t, 10*time.Second, "a is back with both observations", func(s *State) bool {
		return hasMember("a")(s) && hasObservation("a", "us-web", health.Down)(s) && hasObservation("a", "eu-web", health.Up)(s)
	})
	a.waitConn(t, 10*time.Second, true)
}

func TestOverridesAndExternal(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a := openNode(t, eps, "a")
	b := openNode(t, eps, "b")
	ctx := ctxT(t)
	key := health.EndpointKey{Service: "www.example.com.", Endpoint: "us-east"}
	now := time.Now().UTC()

	drain := health.Override{State: health.OverrideDown, Reason: "maintenance", At: now}
	if err := a.SetOverride(ctx, key.Service, key.Endpoint, drain); err != nil {
		t.Fatal(err)
	}
	st := b.states.wait(t, 5*time.Second, "b sees the drain", func(s *State) bool { _, ok := s.Overrides[key]; return ok })
	if got := st.Overrides[key]; !reflect.DeepEqual(got, drain) {
		t.Errorf("override %+v, want %+v", got, drain)
	}
	forceUp := health.Override{State: health.OverrideUp, At: now.Add(time.Second)}
	if err := b.SetOverride(ctx, key.Service, key.Endpoint, forceUp); err != nil {
		t.Fatal(err)
	}
	a.states.wait(t, 5*time.Second, "a sees the override replaced", func(s *State) bool { return s.Overrides[key].State == health.OverrideUp })

	for i, want := range []bool{true, false} {
		deleted, err := a.DeleteOverride(ctx, key.Service, key.Endpoint)
		if err != nil || deleted != want {
			t.Errorf("DeleteOverride #%d: %v, %v; want %v", i+1, deleted, err, want)
		}
	}
	b.states.wait(t, 5*time.Second, "b sees the override cleared", func(s *State) bool { return len(s.Overrides) == 0 })

	for _, e := range []health.External{
		{Healthy: true, At: now, Expires: now.Add(time.Minute)},
		{Healthy: false, At: now.Add(time.Second), Expires: now.Add(2 * time.Minute)},
	} {
		if err := a.SetExternal(ctx, "pushed", e); err != nil {
			t.Fatal(err)
		}
		st := b.states.wait(t, 5*time.Second, "b sees the pushed status", func(s *State) bool { return s.External["pushed"].At.Equal(e.At) })
		if got := st.External["pushed"]; !reflect.DeepEqual(got, e) {
			t.Errorf("external %+v, want %+v", got, e)
		}
	}

	// Overrides and external statuses are durable: they outlive the node
	// that wrote them and are read by a node that starts later.
	if err := a.SetOverride(ctx, key.Service, key.Endpoint, drain); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	c := openNode(t, eps, "c")
	c.states.wait(t, 5*time.Second, "a later node reads both", func(s *State) bool {
		return s.Overrides[key].State == health.OverrideDown && !s.External["pushed"].Healthy && !s.External["pushed"].At.IsZero() && noMember("a")(s)
	})
}
