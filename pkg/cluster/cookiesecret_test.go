package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health/healthtest"
)

const (
	testRotation = 24 * time.Hour
	secretWait   = 15 * time.Second
)

// newFakeClock is the nodes' clock, moved by the test: a rotation of a
// day happens without waiting one.
func newFakeClock() *healthtest.FakeClock {
	return healthtest.NewFakeClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
}

// secretsSeen records what a node hands to OnChange.
type secretsSeen struct {
	mu      sync.Mutex
	last    *CookieSecrets
	calls   int
	changed chan struct{} // closed and replaced on every call
}

func (r *secretsSeen) on(cs CookieSecrets) {
	r.mu.Lock()
	r.last, r.calls = &cs, r.calls+1
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *secretsSeen) get() (*CookieSecrets, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last, r.calls
}

// wait returns the latest secrets once cond holds for them.
func (r *secretsSeen) wait(t testing.TB, what string, cond func(CookieSecrets) bool) CookieSecrets {
	t.Helper()
	timer := time.NewTimer(secretWait)
	defer timer.Stop()
	for {
		r.mu.Lock()
		last, ch := r.last, r.changed
		r.mu.Unlock()
		if last != nil && cond(*last) {
			return *last
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("no cookie secrets within %v for which %s; last: %+v", secretWait, what, last)
		}
	}
}

// secretNode is a store that keeps cookie secrets on the test's clock.
type secretNode struct {
	*node
	seen *secretsSeen
}

func openSecretNode(t *testing.T, endpoints []string, id string, clock *healthtest.FakeClock, edit ...func(*Options)) *secretNode {
	t.Helper()
	edit = append(edit, func(o *Options) { o.Now = clock.Now })
	return &secretNode{node: openNode(t, endpoints, id, edit...), seen: &secretsSeen{changed: make(chan struct{})}}
}

func (n *secretNode) keep(t *testing.T) {
	t.Helper()
	if err := n.KeepCookieSecrets(CookieSecretOptions{Rotation: testRotation, CheckInterval: 10 * time.Millisecond, OnChange: n.seen.on}); err != nil {
		t.Fatal(err)
	}
}

// storedSecret reads the key as etcd holds it: the secrets and how many
// times the key was written since it was created.
func storedSecret(t *testing.T, endpoints []string) (CookieSecrets, int64) {
	t.Helper()
	resp, err := clustertest.Client(t, endpoints).Get(t.Context(), testPrefix+"cookie-secret")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("%d keys %scookie-secret", len(resp.Kvs), testPrefix)
	}
	cs, err := decodeCookieSecrets(resp.Kvs[0].Value)
	if err != nil {
		t.Fatalf("stored cookie secret %s: %v", resp.Kvs[0].Value, err)
	}
	return cs, resp.Kvs[0].Version
}

func anySecrets(CookieSecrets) bool { return true }

// same compares secrets, with times compared as instants.
func same(a, b CookieSecrets) bool {
	return a.Current == b.Current && a.Previous == b.Previous && a.RotatedAt.Equal(b.RotatedAt)
}

// TestCookieSecretsConverge: nodes started at once on an empty store all
// end up with the one secret a single transaction created.
func TestCookieSecretsConverge(t *testing.T) {
	eps := clustertest.StartEtcd(t)
	clock := newFakeClock()
	var nodes []*secretNode
	for _, id := range []string{"a", "b", "c", "d"} {
		nodes = append(nodes, openSecretNode(t, eps, id, clock))
	}
	var start sync.WaitGroup
	start.Add(1)
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			start.Wait()
			if err := n.KeepCookieSecrets(CookieSecretOptions{Rotation: testRotation, CheckInterval: 10 * time.Millisecond, OnChange: n.seen.on}); err != nil {
				t.Error(err)
			}
		})
	}
	start.Done()
	wg.Wait()
	nodes[0].seen.wait(t, "there is one", anySecrets)

	stored, version := storedSecret(t, eps)
	for _, n := range nodes {
		cs := n.seen.wait(t, "the secret is the stored one", func(cs CookieSecrets) bool { return cs.Current == stored.Current })
		if cs.Previous != ([16]byte{}) || !cs.RotatedAt.Equal(clock.Now()) {
			t.Errorf("node %s: %+v; want no previous secret, made now", n.opts.Self.ID, cs)
		}
	}
	if version != 1 {
		t.Errorf("the key was written %d times: more than one node created a secret", version)
	}
	if stored.Current == ([16]byte{}) {
		t.Error("the secret is all zeros")
	}
}

// TestCookieSecretsRotate: once the rotation is due, one node rotates and
// every node moves current to previous, however many noticed.
func TestCookieSecretsRotate(t *testing.T) {
	eps := clustertest.StartEtcd(t)
	clock := newFakeClock()
	cookieMetricNames := []string{"gtmd_cluster_cookie_secret_rotated_timestamp_seconds", "gtmd_cluster_cookie_secret_writes_total"}
	reg := prometheus.NewRegistry()
	withReg := func(o *Options) { o.Registerer = reg }
	a, b := openSecretNode(t, eps, "a", clock, withReg), openSecretNode(t, eps, "b", clock, withReg)
	a.keep(t)
	first := a.seen.wait(t, "there is one", anySecrets)
	b.keep(t)
	b.seen.wait(t, "it is a's", func(cs CookieSecrets) bool { return same(cs, first) })

	// Not due yet: nothing changes.
	clock.Advance(testRotation - time.Second)
	if _, calls := a.seen.get(); calls != 1 {
		t.Errorf("a was handed secrets %d times before a rotation", calls)
	}
	for round, prev := 1, first; round <= 2; round++ {
		clock.Advance(testRotation)
		next := a.seen.wait(t, "it is rotated", func(cs CookieSecrets) bool { return cs.Current != prev.Current })
		if next.Previous != prev.Current || !next.RotatedAt.Equal(clock.Now()) {
			t.Errorf("round %d: a has %+v; want previous %x, made now", round, next, prev.Current)
		}
		b.seen.wait(t, "it is a's rotated one", func(cs CookieSecrets) bool { return same(cs, next) })
		// Both nodes count in one registry: one write made each secret.
		want := fmt.Sprintf(`
# HELP gtmd_cluster_cookie_secret_rotated_timestamp_seconds When the DNS cookie secret this node uses was made (Unix time), by the clock of the node that made it.
# TYPE gtmd_cluster_cookie_secret_rotated_timestamp_seconds gauge
gtmd_cluster_cookie_secret_rotated_timestamp_seconds %d
# HELP gtmd_cluster_cookie_secret_writes_total DNS cookie secrets this node wrote to the store: the first one, rotations and replacements of an unreadable one.
# TYPE gtmd_cluster_cookie_secret_writes_total counter
gtmd_cluster_cookie_secret_writes_total %d
`, next.RotatedAt.Unix(), 1+round)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), cookieMetricNames...); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		stored, version := storedSecret(t, eps)
		if !same(stored, next) || version != int64(1+round) {
			t.Errorf("round %d: stored %+v at version %d; want %+v at version %d (one write per rotation)", round, stored, version, next, 1+round)
		}
		prev = next
	}
	if problems, err := testutil.GatherAndLint(reg, cookieMetricNames...); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", err, problems)
	}
}

// TestCookieSecretsOutage: a node cut off from the store keeps the secret
// it has while the others rotate, and takes theirs when it is back.
func TestCookieSecretsOutage(t *testing.T) {
	eps := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, eps[0])
	clock := newFakeClock()
	a := openSecretNode(t, []string{proxy.Endpoint()}, "a", clock)
	b := openSecretNode(t, eps, "b", clock)
	a.keep(t)
	first := a.seen.wait(t, "there is one", anySecrets)
	b.keep(t)
	b.seen.wait(t, "it is a's", func(cs CookieSecrets) bool { return same(cs, first) })

	proxy.Cut()
	clock.Advance(testRotation)
	rotated := b.seen.wait(t, "b rotated it", func(cs CookieSecrets) bool { return cs.Previous == first.Current })
	a.logs.wait(t, secretWait, "cannot keep the cookie secret in the store")
	if last, calls := a.seen.get(); !same(*last, first) || calls != 1 {
		t.Errorf("a, cut off, has %+v after %d changes; want still %+v", *last, calls, first)
	}

	proxy.Restore()
	a.seen.wait(t, "a has b's rotated one", func(cs CookieSecrets) bool { return same(cs, rotated) })
	a.logs.wait(t, secretWait, "cookie secret read from the store again")
}

// TestCookieSecretsRepair: a secret deleted or overwritten with something
// unreadable is replaced, the node's current one staying valid beside it.
func TestCookieSecretsRepair(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, eps []string)
	}{
		{"deleted", func(t *testing.T, eps []string) {
			if _, err := clustertest.Client(t, eps).Delete(t.Context(), testPrefix+"cookie-secret"); err != nil {
				t.Fatal(err)
			}
		}},
		{"not JSON", func(t *testing.T, eps []string) {
			if _, err := clustertest.Client(t, eps).Put(t.Context(), testPrefix+"cookie-secret", "{"); err != nil {
				t.Fatal(err)
			}
		}},
		{"a short secret", func(t *testing.T, eps []string) {
			b, err := json.Marshal(storedCookieSecrets{Current: "00ff", RotatedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := clustertest.Client(t, eps).Put(t.Context(), testPrefix+"cookie-secret", string(b)); err != nil {
				t.Fatal(err)
			}
		}},
		{"all zeros", func(t *testing.T, eps []string) {
			b, err := json.Marshal(storedCookieSecrets{Current: "00000000000000000000000000000000", RotatedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := clustertest.Client(t, eps).Put(t.Context(), testPrefix+"cookie-secret", string(b)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eps := clustertest.StartEtcd(t)
			a := openSecretNode(t, eps, "a", newFakeClock())
			a.keep(t)
			first := a.seen.wait(t, "there is one", anySecrets)
			tc.spoil(t, eps)
			next := a.seen.wait(t, "it is replaced", func(cs CookieSecrets) bool { return cs.Current != first.Current })
			if next.Previous != first.Current {
				t.Errorf("the replacement %+v drops the node's current secret %x", next, first.Current)
			}
			if stored, _ := storedSecret(t, eps); !same(stored, next) {
				t.Errorf("stored %+v, the node has %+v", stored, next)
			}
		})
	}
}
