package cluster

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

// stateDiff says how two states differ, "" when they hold the same.
func stateDiff(a, b *State) string {
	var d []string
	if a.Revision != b.Revision {
		d = append(d, fmt.Sprintf("revision %d vs %d", a.Revision, b.Revision))
	}
	if a.TrafficRevision != b.TrafficRevision {
		d = append(d, fmt.Sprintf("traffic revision %d vs %d", a.TrafficRevision, b.TrafficRevision))
	}
	if !reflect.DeepEqual(a.Traffic, b.Traffic) {
		d = append(d, "traffic documents differ")
	}
	if fmt.Sprint(a.TrafficError) != fmt.Sprint(b.TrafficError) {
		d = append(d, fmt.Sprintf("traffic error %v vs %v", a.TrafficError, b.TrafficError))
	}
	if !reflect.DeepEqual(a.Members, b.Members) {
		d = append(d, fmt.Sprintf("members %v vs %v", a.Members, b.Members))
	}
	if !reflect.DeepEqual(a.Observations, b.Observations) {
		d = append(d, fmt.Sprintf("observations %v vs %v", a.Observations, b.Observations))
	}
	if !reflect.DeepEqual(a.Overrides, b.Overrides) {
		d = append(d, fmt.Sprintf("%d overrides vs %d", len(a.Overrides), len(b.Overrides)))
	}
	if !reflect.DeepEqual(a.External, b.External) {
		d = append(d, fmt.Sprintf("%d external vs %d", len(a.External), len(b.External)))
	}
	if !reflect.DeepEqual(a.KeySets, b.KeySets) {
		d = append(d, fmt.Sprintf("key sets %v vs %v", a.KeySets, b.KeySets))
	}
	return strings.Join(d, "; ")
}

// retry calls f with a short deadline until it succeeds: for writes right
// after etcd returns or elects a leader.
func retry(t testing.TB, timeout time.Duration, what string, f func(ctx context.Context) error) {
	t.Helper()
	eventuallyNil(t, timeout, what, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return f(ctx)
	})
}

// TestCompactionDuringWatch writes, compacts and writes again while a node
// watches, once with its watch live and once with it cut off so that it
// comes back behind the compaction; either way it must end with the state
// a fresh node reads.
func TestCompactionDuringWatch(t *testing.T) {
	t.Parallel()
	for _, cutOff := range []bool{false, true} {
		name := "live watch"
		if cutOff {
			name = "watch behind the compaction"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eps := clustertest.StartEtcd(t)
			a, w, proxy := proxiedPair(t, eps)
			ctx := ctxT(t)

			if _, err := w.ApplyTraffic(ctx, loadTraffic(t), NoDocument); err != nil {
				t.Fatal(err)
			}
			w.Observe("us-web", health.Observation{Status: health.Up, At: time.Now()})
			a.Observe("us-web", health.Observation{Status: health.Down, At: time.Now()})
			a.states.wait(t, 5*time.Second, "a sees the writer's observation", hasObservation("writer", "us-web", health.Up))
			if cutOff {
				proxy.Cut()
			}

			override := func(i int) (string, string) { return "www.example.com.", fmt.Sprintf("ep%03d", i) }
			write := func(from, to int, quorum float64) {
				for i := from; i < to; i++ {
					svc, ep := override(i)
					if err := w.SetOverride(ctx, svc, ep, health.Override{State: health.OverrideDown, At: time.Unix(int64(i), 0).UTC()}); err != nil {
						t.Fatal(err)
					}
					if i%3 == 0 {
						check := fmt.Sprintf("ext%d", i)
						if err := w.SetExternal(ctx, check, health.External{Healthy: i%2 == 0, At: time.Unix(int64(i), 0).UTC(), Expires: time.Unix(int64(i)+60, 0).UTC()}); err != nil {
							t.Fatal(err)
						}
					}
				}
				for i := from; i < to; i += 4 {
					svc, ep := override(i)
					if _, err := w.DeleteOverride(ctx, svc, ep); err != nil {
						t.Fatal(err)
					}
				}
				w.Observe(fmt.Sprintf("check%d", from), health.Observation{Status: health.Down, At: time.Unix(int64(from), 0).UTC()})
				if _, err := w.ApplyTraffic(ctx, loadTraffic(t, withQuorum(quorum)), AnyRevision); err != nil {
					t.Fatal(err)
				}
			}
			write(0, 60, 0.6)
			w.Forget("us-web")
			if !cutOff {
				// "Keeps up" is the point: on a loaded machine the watch
				// may still be delivering the writes, and a compaction
				// past where it stands breaks it as it should.
				eventually(t, 15*time.Second, func() bool {
					_, seen := a.State().Observations["writer"]["us-web"]
					return !seen && a.State().Traffic != nil && a.State().Traffic.Settings.HealthQuorum == 0.6
				}, "a has seen every write before the compaction")
			}
			compacted := clustertest.Compact(t, eps)
			write(60, 120, 0.7)
			if cutOff {
				proxy.Restore()
				line := a.logs.wait(t, 15*time.Second, "reading the store again", "compacted")
				t.Logf("a: %s", line)
			}

			fresh := openNode(t, eps, "fresh", longLease)
			var diff string
			eventually(t, 15*time.Second, func() bool {
				sa, sf := a.State(), fresh.State()
				diff = stateDiff(sa, sf)
				return diff == "" && sa.Revision > compacted && hasMember("fresh")(sa)
			}, "a's state equals a fresh node's: %v", lazy(func() string { return diff }))

			st := a.State()
			if st.Traffic == nil || st.Traffic.Settings.HealthQuorum != 0.7 {
				t.Errorf("a serves %+v, want the last document", st.Traffic)
			}
			if n := len(st.Overrides); n != 90 {
				t.Errorf("%d overrides, want 90", n)
			}
			if _, ok := st.Observations["writer"]["us-web"]; ok {
				t.Error("the forgotten observation is still there")
			}
			if !cutOff {
				// A watch that keeps up is not disturbed by a compaction
				// behind it: every change came through the watch.
				a.logs.mu.Lock()
				defer a.logs.mu.Unlock()
				for _, l := range a.logs.lines {
					if strings.Contains(l, "reading the store again") {
						t.Errorf("the live watch broke: %s", l)
					}
				}
			}
		})
	}
}

// TestEtcdStopRestart stops the only etcd member under two nodes, as a
// crash and as a graceful shutdown, and starts it again.
func TestEtcdStopRestart(t *testing.T) {
	t.Parallel()
	for _, stop := range []struct {
		name string
		stop func(*clustertest.Cluster)
	}{
		{"crash", func(c *clustertest.Cluster) { c.Stop(0) }},
		{"graceful", func(c *clustertest.Cluster) { c.StopGracefully(0) }},
	} {
		t.Run(stop.name, func(t *testing.T) {
			t.Parallel()
			testEtcdStopRestart(t, stop.stop)
		})
	}
}

func testEtcdStopRestart(t *testing.T, stop func(*clustertest.Cluster)) {
	c := clustertest.StartCluster(t, 1)
	raw := clustertest.Client(t, c.Endpoints())
	short := func(o *Options) { o.LeaseTTL = time.Second }
	a := openNode(t, c.Endpoints(), "a", short)
	b := openNode(t, c.Endpoints(), "b", short)
	ctx := ctxT(t)

	doc1 := loadTraffic(t)
	rev1, err := b.ApplyTraffic(ctx, doc1, NoDocument)
	if err != nil {
		t.Fatal(err)
	}
	a.Observe("us-web", health.Observation{Status: health.Up, At: time.Now()})
	b.states.wait(t, 5*time.Second, "b sees a's observation", hasObservation("a", "us-web", health.Up))
	a.states.wait(t, 5*time.Second, "a sees the document and b", func(s *State) bool { return s.TrafficRevision == rev1 && hasMember("b")(s) })
	a.waitConn(t, 5*time.Second, true)
	resp, err := raw.Get(ctx, testPrefix+"members/a")
	if err != nil || len(resp.Kvs) != 1 || resp.Kvs[0].Lease == 0 {
		t.Fatalf("a's member entry: %v %v", resp, err)
	}
	oldLease := clientv3.LeaseID(resp.Kvs[0].Lease)

	stopped := time.Now()
	stop(c)
	ev := a.waitConn(t, 5*time.Second, false)
	t.Logf("a noticed etcd had stopped after %v: %s", time.Since(stopped), ev.reason)
	if a.Connected() || !strings.Contains(a.Degraded(), "etcd unreachable") || ev.reason != a.Degraded() {
		t.Errorf("while etcd is down: connected %v, degraded %q, reported reason %q", a.Connected(), a.Degraded(), ev.reason)
	}
	// Fail-static: the last state stays.
	if st := a.State(); st.TrafficRevision != rev1 || !hasMember("b")(st) {
		t.Errorf("while etcd is down a holds %s", describe(st))
	}
	if _, err := a.ApplyTraffic(ctxTimeout(t, 500*time.Millisecond), doc1, AnyRevision); err == nil {
		t.Error("ApplyTraffic succeeded while etcd is down")
	}
	// The node keeps checking; etcd hears of it on its return.
	a.Observe("eu-web", health.Observation{Status: health.Down, At: time.Now()})
	// Down longer than the lease: the node gives its lease up and must
	// register under a new one.
	a.logs.wait(t, 10*time.Second, "starting a new lease", "lease lost")

	c.Restart(0)
	restarted := time.Now()
	a.waitConn(t, 10*time.Second, true)
	reconnected := time.Since(restarted)
	// Logged, not asserted: the machines are shared (the e2e suite and
	// bench/failover.sh measure the goals).
	t.Logf("a reconnected %v after etcd restarted", reconnected)
	if a.Degraded() != "" {
		t.Errorf("reconnected, still degraded: %q", a.Degraded())
	}

	var rev2 int64
	retry(t, 10*time.Second, "applying a document after the restart", func(ctx context.Context) error {
		var err error
		rev2, err = b.ApplyTraffic(ctx, loadTraffic(t, withQuorum(0.6)), rev1)
		return err
	})
	applied := time.Now()
	a.states.wait(t, 5*time.Second, "a sees the new document", func(s *State) bool { return s.TrafficRevision == rev2 })
	t.Logf("a saw a document applied after the restart in %v", time.Since(applied))

	back := func(s *State) bool {
		return hasMember("a")(s) && hasObservation("a", "us-web", health.Up)(s) && hasObservation("a", "eu-web", health.Down)(s)
	}
	b.states.wait(t, 10*time.Second, "b sees a registered again with both observations", back)
	// Each read has its own deadline: ctx may have run out while etcd was
	// away (a graceful stop alone can take five seconds).
	var last lazy = func() string { return "no read yet" }
	eventually(t, 10*time.Second, func() bool {
		resp, err := raw.Get(ctxTimeout(t, time.Second), testPrefix+"members/a")
		last = func() string { return fmt.Sprintf("%v %v", resp, err) }
		return err == nil && len(resp.Kvs) == 1 && resp.Kvs[0].Lease != 0 && clientv3.LeaseID(resp.Kvs[0].Lease) != oldLease
	}, "a's member entry is under a new lease; last read: %v", &last)
	// The old lease, restored by etcd's restart, expires without taking
	// the new entries with it.
	eventually(t, 10*time.Second, func() bool {
		ttl, err := raw.TimeToLive(ctxTimeout(t, time.Second), oldLease)
		return err == nil && ttl.TTL == -1
	}, "the old lease expires")
	if st := b.State(); !back(st) {
		t.Errorf("after the old lease expired b holds %s", describe(st))
	}
}

// TestThreeMembersOneStopped runs two nodes on every endpoint of a
// three-member cluster and stops the leader: the nodes keep applying,
// observing and watching.
func TestThreeMembersOneStopped(t *testing.T) {
	t.Parallel()
	c := clustertest.StartCluster(t, 3)
	a := openNode(t, c.Endpoints(), "a")
	b := openNode(t, c.Endpoints(), "b")
	ctx := ctxT(t)
	if _, err := a.ApplyTraffic(ctx, loadTraffic(t), NoDocument); err != nil {
		t.Fatal(err)
	}
	b.states.wait(t, 5*time.Second, "b sees a and the document", func(s *State) bool { return s.Traffic != nil && hasMember("a")(s) })

	leader := c.Leader()
	if leader < 0 {
		t.Fatal("no leader")
	}
	c.Stop(leader)
	t.Logf("stopped member %d, the leader", leader)

	var rev int64
	retry(t, 10*time.Second, "applying with a member stopped", func(ctx context.Context) error {
		var err error
		rev, err = a.ApplyTraffic(ctx, loadTraffic(t, withQuorum(0.75)), AnyRevision)
		return err
	})
	b.states.wait(t, 5*time.Second, "b sees the document", func(s *State) bool { return s.TrafficRevision == rev })
	b.Observe("us-web", health.Observation{Status: health.Down, At: time.Now()})
	a.states.wait(t, 5*time.Second, "a sees b's observation", hasObservation("b", "us-web", health.Down))
	retry(t, 10*time.Second, "an override with a member stopped", func(ctx context.Context) error {
		return a.SetOverride(ctx, "www.example.com.", "us-east", health.Override{State: health.OverrideDown})
	})
	b.states.wait(t, 5*time.Second, "b sees the override", func(s *State) bool { return len(s.Overrides) == 1 })
	eventually(t, 5*time.Second, func() bool { return a.Connected() && b.Connected() }, "both connected with a member stopped")

	c.Restart(leader)
	b.Observe("us-web", health.Observation{Status: health.Up, At: time.Now()})
	a.states.wait(t, 5*time.Second, "a sees b's observation after the member returns", hasObservation("b", "us-web", health.Up))
}

// TestPartitionedNodeCatchesUp points node a at one member of three and
// stops that member: a is cut off while b, on the other two, applies a
// document, observes, and sees a's lease expire. When the member returns,
// a serves the document within a second or two (catch up when
// etcd returns) and registers again with the observations it made
// meanwhile.
func TestPartitionedNodeCatchesUp(t *testing.T) {
	t.Parallel()
	c := clustertest.StartCluster(t, 3)
	a := openNode(t, []string{c.Endpoint(0)}, "a", func(o *Options) { o.LeaseTTL = time.Second })
	b := openNode(t, []string{c.Endpoint(1), c.Endpoint(2)}, "b")
	ctx := ctxT(t)
	rev1, err := b.ApplyTraffic(ctx, loadTraffic(t), NoDocument)
	if err != nil {
		t.Fatal(err)
	}
	a.states.wait(t, 5*time.Second, "a sees the document and b", func(s *State) bool { return s.TrafficRevision == rev1 && hasMember("b")(s) })
	a.waitConn(t, 5*time.Second, true)

	c.Stop(0)
	a.waitConn(t, 5*time.Second, false)
	a.Observe("us-web", health.Observation{Status: health.Down, At: time.Now()})
	var rev2 int64
	retry(t, 10*time.Second, "applying while a is cut off", func(ctx context.Context) error {
		var err error
		rev2, err = b.ApplyTraffic(ctx, loadTraffic(t, withQuorum(0.6)), rev1)
		return err
	})
	b.Observe("us-web", health.Observation{Status: health.Up, At: time.Now()})
	// Cut off longer than its lease: the others drop it, and it gives the
	// lease up.
	b.states.wait(t, 10*time.Second, "a's lease expires", noMember("a"))
	a.logs.wait(t, 10*time.Second, "starting a new lease", "lease lost")
	if st := a.State(); st.TrafficRevision != rev1 {
		t.Errorf("a, cut off, moved to traffic revision %d", st.TrafficRevision)
	}

	c.Restart(0)
	back := time.Now()
	st := a.states.wait(t, 5*time.Second, "a serves the document applied while it was cut off", func(s *State) bool {
		return s.TrafficRevision == rev2 && hasObservation("b", "us-web", health.Up)(s)
	})
	caughtUp := time.Since(back)
	if st.Traffic.Settings.HealthQuorum != 0.6 {
		t.Errorf("a serves %+v", st.Traffic.Settings)
	}
	b.states.wait(t, 5*time.Second, "b sees a again with the observation it made while cut off", func(s *State) bool {
		return hasMember("a")(s) && hasObservation("a", "us-web", health.Down)(s)
	})
	registered := time.Since(back)
	a.waitConn(t, 5*time.Second, true)
	t.Logf("after its member returned, a served the document in %v and was registered again in %v", caughtUp, registered)
	// The goal is a second; logged, not asserted (shared machines).
}

// TestQuorumLostAndRegained stops two members of three under node a,
// whose member is left without a leader: a's watch, which requires one,
// breaks and a reports itself degraded while it keeps its last state.
// When the quorum returns, a follows new writes within a second or so.
func TestQuorumLostAndRegained(t *testing.T) {
	t.Parallel()
	c := clustertest.StartCluster(t, 3)
	a := openNode(t, []string{c.Endpoint(0)}, "a")
	b := openNode(t, []string{c.Endpoint(1), c.Endpoint(2)}, "b")
	ctx := ctxT(t)
	rev1, err := b.ApplyTraffic(ctx, loadTraffic(t), NoDocument)
	if err != nil {
		t.Fatal(err)
	}
	a.states.wait(t, 5*time.Second, "a sees the document", func(s *State) bool { return s.TrafficRevision == rev1 })
	a.waitConn(t, 5*time.Second, true)

	c.Stop(1)
	c.Stop(2)
	ev := a.waitConn(t, 5*time.Second, false)
	if !strings.Contains(a.Degraded(), "etcd unreachable") || ev.reason == "" {
		t.Errorf("without a quorum: degraded %q, reason %q", a.Degraded(), ev.reason)
	}
	a.logs.wait(t, 10*time.Second, "reading the store again", "no leader")
	if st := a.State(); st.TrafficRevision != rev1 {
		t.Errorf("without a quorum a holds %s", describe(st))
	}

	c.Restart(1)
	c.Restart(2)
	back := time.Now()
	var rev2 int64
	retry(t, 5*time.Second, "applying after the quorum returned", func(ctx context.Context) error {
		var err error
		rev2, err = b.ApplyTraffic(ctx, loadTraffic(t, withQuorum(0.6)), rev1)
		return err
	})
	a.states.wait(t, 5*time.Second, "a sees the new document", func(s *State) bool { return s.TrafficRevision == rev2 })
	took := time.Since(back)
	t.Logf("after the quorum returned, a served a new document in %v", took)
	a.waitConn(t, 5*time.Second, true)
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	// Nothing listens on a port just closed.
	c := clustertest.StartCluster(t, 1)
	eps := c.Endpoints()
	c.Stop(0)
	start := time.Now()
	a := openNode(t, eps, "a")
	if a.Connected() || a.Degraded() == "" {
		t.Errorf("just opened: connected %v, degraded %q", a.Connected(), a.Degraded())
	}
	// The store starts disconnected, so no update says connected until
	// it connects; Degraded says why it is not.
	eventually(t, 5*time.Second, func() bool { return strings.Contains(a.Degraded(), "etcd unreachable") }, "Degraded names the probe's failure: %v", lazy(a.Degraded))
	if a.Connected() {
		t.Error("connected to nothing")
	}
	if st := a.State(); st == nil || st.Traffic != nil || len(st.Members) != 0 {
		t.Errorf("unreachable at start: state %s", describe(st))
	}
	if err := a.Close(); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("open and close against nothing took %v", d)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		prefix string
		id     string
		want   string
	}{
		{"prefix without a slash", "/gtmd", "a", "must end in '/'"},
		{"no node id", "/gtmd/", "", "must be set"},
		{"node id with a slash", "/gtmd/", "a/b", "hold no '/'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(Options{Endpoints: []string{"http://127.0.0.1:1"}, Prefix: c.prefix, Self: Member{ID: c.id}})
			if err == nil {
				s.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}
