package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestStoredObservationFormat reads observations as nodes of every
// version stored them, through a real store: the {"status","since"} of
// today, and the {"status","latency_ns","error","at"} of nodes that
// rewrote every result, whose detail is kept for GET /v1/health.
func TestStoredObservationFormat(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	at := time.Date(2026, 11, 30, 1, 2, 8, 500_000_000, time.UTC)
	cases := []struct {
		name, node, stored string
		want               health.Observation
	}{
		{"today", "new", `{"status":"down","since":"2026-11-30T01:02:03Z"}`, health.Observation{Status: health.Down, Since: since}},
		{"today without since", "bare", `{"status":"up"}`, health.Observation{Status: health.Up}},
		{"old node", "old", `{"status":"down","latency_ns":2500000,"error":"connection refused","at":"2026-11-30T01:02:08.5Z"}`,
			health.Observation{Status: health.Down, Latency: 2500 * time.Microsecond, Error: "connection refused", At: at}},
		{"old node, success", "old-up", `{"status":"up","latency_ns":1000,"at":"2026-11-30T01:02:08.5Z"}`,
			health.Observation{Status: health.Up, Latency: time.Microsecond, At: at}},
	}
	eps := clustertest.StartEtcd(t)
	cli := clustertest.Client(t, eps)
	for _, c := range cases {
		if _, err := cli.Put(ctxT(t), testPrefix+"observations/"+c.node+"/us-web", c.stored); err != nil {
			t.Fatal(err)
		}
	}
	n := openNode(t, eps, "reader")
	st := n.states.wait(t, 10*time.Second, "every stored observation read", func(s *State) bool {
		for _, c := range cases {
			if _, ok := s.Observations[c.node]["us-web"]; !ok {
				return false
			}
		}
		return true
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := st.Observations[c.node]["us-web"]
			if got.Status != c.want.Status || !got.Since.Equal(c.want.Since) || got.Latency != c.want.Latency || got.Error != c.want.Error || !got.At.Equal(c.want.At) {
				t.Errorf("%s read as %+v, want %+v", c.stored, got, c.want)
			}
		})
	}

	// What a node writes today is the status and since when, nothing more.
	n.Observe("eu-web", health.Observation{Status: health.Up, Since: since, Latency: time.Millisecond, Error: "x", At: at})
	eventuallyNil(t, 5*time.Second, "reader's observation stored", func() error {
		resp, err := cli.Get(ctxT(t), testPrefix+"observations/reader/eu-web")
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 0 {
			return fmt.Errorf("not stored")
		}
		if got, want := string(resp.Kvs[0].Value), `{"status":"up","since":"2026-11-30T01:02:03Z"}`; got != want {
			return fmt.Errorf("stored %s, want %s", got, want)
		}
		return nil
	})
}

// putCounter counts, by directory, the puts etcd makes below the test
// prefix, from a watch of its own.
type putCounter struct {
	mu   sync.Mutex
	puts []put
	rev  int64 // the latest revision the watch has reported
}

type put struct {
	dir string
	rev int64
}

// countPuts watches the prefix from the revision after from.
func countPuts(t testing.TB, cli *clientv3.Client, from int64) *putCounter {
	t.Helper()
	c := &putCounter{rev: from}
	ctx, cancel := context.WithCancel(context.Background())
	wch := cli.Watch(ctx, testPrefix, clientv3.WithPrefix(), clientv3.WithRev(from+1), clientv3.WithProgressNotify())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for wr := range wch {
			c.mu.Lock()
			for _, ev := range wr.Events {
				if ev.Type == mvccpb.PUT {
					dir, _, _ := strings.Cut(strings.TrimPrefix(string(ev.Kv.Key), testPrefix), "/")
					c.puts = append(c.puts, put{dir, ev.Kv.ModRevision})
				}
			}
			c.rev = max(c.rev, wr.Header.Revision)
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c
}

// until waits for the watch to have reported revision rev, and returns
// the puts up to it, by directory.
func (c *putCounter) until(t testing.TB, cli *clientv3.Client, rev int64) map[string]int {
	t.Helper()
	// A put of its own makes the watch report at least this far.
	if _, err := cli.Put(ctxT(t), testPrefix+"sentinel", "x"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.rev > rev
	}, "the watch reported revision %d", rev)
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, p := range c.puts {
		if p.rev <= rev {
			out[p.dir]++
		}
	}
	return out
}

// currentRevision reads etcd's revision.
func currentRevision(t testing.TB, cli *clientv3.Client) int64 {
	t.Helper()
	resp, err := cli.Get(ctxT(t), testPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// TestStableChecksWriteOnlyHeartbeats holds 500 checks at a stable status
// while their probes go on (new latency and time every round, handed to
// the store as the old 5s refresh did): etcd sees no observation written,
// and the puts and revisions it does see are bounded by the heartbeat and
// the detail key's pace — the formula of details.go — not by the checks.
func TestStableChecksWriteOnlyHeartbeats(t *testing.T) {
	t.Parallel()
	const (
		checks    = 500
		heartbeat = 200 * time.Millisecond
		rounds    = 40
	)
	cases := []struct {
		name      string
		detail    time.Duration
		perSecond int
		minDetail int
	}{
		// No byte budget: the detail interval alone paces the key.
		{"paced by the detail interval", 700 * time.Millisecond, 1 << 30, 1},
		// About 30 KB at 4 KiB/s: one every ~8 s, not every 100ms.
		{"paced by the byte budget", 100 * time.Millisecond, 4 << 10, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eps := clustertest.StartEtcd(t)
			cli := clustertest.Client(t, eps)
			n := openNode(t, eps, "steady", func(o *Options) {
				o.HeartbeatInterval, o.DetailInterval, o.DetailBytesPerSecond = heartbeat, c.detail, c.perSecond
			})
			since := time.Now().Add(-time.Hour).UTC()
			probe := func(round int) map[string]Detail {
				d := make(map[string]Detail, checks)
				for i := range checks {
					name := fmt.Sprintf("check-%03d", i)
					o := health.Observation{Status: health.Up, Since: since, Latency: time.Duration(round*1000 + i), At: time.Now()}
					n.Observe(name, o)
					d[name] = Detail{Latency: o.Latency, At: o.At}
				}
				return d
			}
			first := probe(0)
			n.SetDetails(first)
			n.states.wait(t, 20*time.Second, "every observation stored", func(s *State) bool {
				return len(s.Observations["steady"]) == checks && s.details["steady"] != nil
			})

			from := currentRevision(t, cli)
			counter := countPuts(t, cli, from)
			start := time.Now()
			tick := time.NewTicker(50 * time.Millisecond)
			var last map[string]Detail
			for r := 1; r <= rounds; r++ {
				<-tick.C
				last = probe(r)
				n.SetDetails(last)
			}
			tick.Stop()
			elapsed := time.Since(start)
			to := currentRevision(t, cli)
			puts := counter.until(t, cli, to)

			// The bound is the formula for the time the rounds took, plus
			// one of each for a write already due at the start and one for
			// the time between the last round and reading the revision.
			b, _ := encodeDetails(first, maxDetailBytes)
			every := max(c.detail, time.Duration(len(b))*time.Second/time.Duration(c.perSecond))
			maxMember := int(elapsed/heartbeat) + 2
			maxDetail := int(elapsed/every) + 2
			t.Logf("%d checks, %d rounds of new results in %v: %d revisions, puts %v (bound: %d member, %d detail of %d bytes every %v)", checks, rounds, elapsed, to-from, puts, maxMember, maxDetail, len(b), every)
			if puts["observations"] != 0 {
				t.Errorf("%d observations written while every status held, want 0", puts["observations"])
			}
			if puts["members"] > maxMember {
				t.Errorf("%d member entries written in %v, want at most %d (one a heartbeat of %v)", puts["members"], elapsed, maxMember, heartbeat)
			}
			if puts["details"] > maxDetail || puts["details"] < c.minDetail {
				t.Errorf("%d detail keys written in %v, want %d to %d (one per %v)", puts["details"], elapsed, c.minDetail, maxDetail, every)
			}
			if got := int(to - from); got > maxMember+maxDetail {
				t.Errorf("etcd advanced %d revisions, want at most %d", got, maxMember+maxDetail)
			}
			if c.minDetail == 0 {
				return
			}
			// The detail key ends with the last round's results.
			final := n.states.wait(t, 5*time.Second, "the last detail stored", func(s *State) bool {
				d, err := s.Details("steady")
				return err == nil && d["check-007"].Latency == last["check-007"].Latency
			})
			d, err := final.Details("steady")
			if err != nil {
				t.Fatal(err)
			}
			if len(d) != checks {
				t.Errorf("the detail key holds %d checks, want %d", len(d), checks)
			}
		})
	}
}

// TestFlipReachesOtherNode changes one status of 500 stable ones: the
// other node sees it, with its since, from exactly one observation put.
func TestFlipReachesOtherNode(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	cli := clustertest.Client(t, eps)
	a := openNode(t, eps, "a")
	b := openNode(t, eps, "b")
	since := time.Now().Add(-time.Hour).UTC()
	for i := range 500 {
		a.Observe(fmt.Sprintf("check-%03d", i), health.Observation{Status: health.Up, Since: since, At: time.Now()})
	}
	b.states.wait(t, 20*time.Second, "b sees a's 500 observations", func(s *State) bool { return len(s.Observations["a"]) == 500 })

	from := currentRevision(t, cli)
	counter := countPuts(t, cli, from)
	flipped := time.Now().UTC().Truncate(time.Millisecond)
	a.Observe("check-042", health.Observation{Status: health.Down, Since: flipped, Error: "connection refused", At: flipped})
	st := b.states.wait(t, 5*time.Second, "b sees the flip", hasObservation("a", "check-042", health.Down))
	if got := st.Observations["a"]["check-042"]; !got.Since.Equal(flipped) {
		t.Errorf("b sees check-042 down since %v, want %v", got.Since, flipped)
	}
	if got := st.Observations["a"]["check-041"]; got.Status != health.Up || !got.Since.Equal(since) {
		t.Errorf("b sees check-041 as %+v, want up since %v", got, since)
	}
	if puts := counter.until(t, cli, currentRevision(t, cli)); puts["observations"] != 1 {
		t.Errorf("the flip wrote %d observations, want 1", puts["observations"])
	}
}

// TestEncodeDetails trims the detail key to its limit, failing checks
// first, and always writes valid JSON.
func TestEncodeDetails(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	d := map[string]Detail{
		"a-up":   {Latency: time.Millisecond, At: at},
		"b-up":   {Latency: time.Millisecond, At: at},
		"z-down": {Error: "connection refused", At: at},
	}
	one, _ := json.Marshal(d["a-up"])
	entry := len(`"a-up":`) + len(one) + 1
	cases := []struct {
		name    string
		limit   int
		keep    []string
		dropped int
	}{
		{"all fit", 1 << 20, []string{"a-up", "b-up", "z-down"}, 0},
		{"room for two", len(`{"z-down":{"error":"connection refused","at":"2026-11-30T01:00:00Z"},}`) + entry, []string{"z-down", "a-up"}, 1},
		{"room for the failing one", len(`{"z-down":{"error":"connection refused","at":"2026-11-30T01:00:00Z"}}`), []string{"z-down"}, 2},
		{"room for none", 2, nil, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, dropped := encodeDetails(d, c.limit)
			if len(b) > c.limit {
				t.Errorf("%d bytes, over the limit of %d", len(b), c.limit)
			}
			var got map[string]Detail
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if dropped != c.dropped || len(got) != len(c.keep) {
				t.Errorf("%s: %d dropped, want %d (keeping %v)", b, dropped, c.dropped, c.keep)
			}
			for _, k := range c.keep {
				if got[k] != d[k] {
					t.Errorf("%s: %s is %+v, want %+v", b, k, got[k], d[k])
				}
			}
		})
	}
}

// TestDetailEvery: a small detail key is written at the interval, a large
// one as often as Options.DetailBytesPerSecond (here its default) allows.
func TestDetailEvery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		size int
		want time.Duration
	}{
		{0, 30 * time.Second},
		{2000 * 80, 39062500 * time.Microsecond},
		{10000 * 80, 195312500 * time.Microsecond},
		{maxDetailBytes, 256 * time.Second},
	}
	for _, c := range cases {
		if got := detailEvery(30*time.Second, 4<<10, c.size); got != c.want {
			t.Errorf("a detail key of %d bytes: every %v, want %v", c.size, got, c.want)
		}
	}
}
