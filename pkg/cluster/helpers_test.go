package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

const testPrefix = "/gtmd-test/"

// eventually polls cond every 10ms until it holds, failing the test after
// timeout. For conditions no callback reports (Connected, etcd contents).
func eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, fmt.Sprintf(format, args...))
		}
		<-tick.C
	}
}

// eventuallyNil calls f every 10ms until it returns nil, failing the test
// with its last error after timeout.
func eventuallyNil(t testing.TB, timeout time.Duration, what string, f func() error) {
	t.Helper()
	var err error
	eventually(t, timeout, func() bool {
		err = f()
		return err == nil
	}, "%s: %v", what, lazy(func() string { return fmt.Sprint(err) }))
}

// lazy formats as what it returns when the message is written, for
// eventually's messages that show the last value seen.
type lazy func() string

func (l lazy) String() string { return l() }

// states records the states a store reports and lets a test wait
// for one that satisfies a condition, woken by each new state.
type states struct {
	mu      sync.Mutex
	last    *State
	changed chan struct{} // closed and replaced on every state
	// zoneSizes are the RRset counts of example.com. in each state seen.
	zoneSizes []int
	// unsettled names a zone whose records a state was handed out with
	// before they were settled (overlays left in them), if any.
	unsettled string
}

func newStates() *states { return &states{changed: make(chan struct{})} }

func (r *states) on(s *State) {
	r.mu.Lock()
	r.last = s
	if z := s.Zones["example.com."]; z != nil {
		r.zoneSizes = append(r.zoneSizes, z.Len())
	}
	for name, z := range s.Zones {
		if z.sets.overlays != nil && r.unsettled == "" {
			r.unsettled = fmt.Sprintf("%s at revision %d", name, s.Revision)
		}
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// wait returns the first state, the current one included, for which cond
// holds.
func (r *states) wait(t testing.TB, timeout time.Duration, what string, cond func(*State) bool) *State {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		st, ch := r.last, r.changed
		r.mu.Unlock()
		if st != nil && cond(st) {
			return st
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("no state within %v in which %s; last: %s", timeout, what, describe(st))
			return nil
		}
	}
}

func describe(s *State) string {
	if s == nil {
		return "none"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "revision %d, traffic revision %d (error %v), members [", s.Revision, s.TrafficRevision, s.TrafficError)
	for id := range s.Members {
		b.WriteString(" " + id)
	}
	b.WriteString(" ], observations [")
	for n, obs := range s.Observations {
		for c, o := range obs {
			fmt.Fprintf(&b, " %s/%s=%s", n, c, o.Status)
		}
	}
	fmt.Fprintf(&b, " ], %d overrides, %d external, key sets [", len(s.Overrides), len(s.External))
	for zone, ks := range s.KeySets {
		fmt.Fprintf(&b, " %s@%d", zone, ks.Revision)
	}
	b.WriteString(" ]")
	return b.String()
}

// connEvent is one change of connection an update reported.
type connEvent struct {
	connected bool
	reason    string
}

// logs keeps every record a store logs, so a test can wait for one that
// proves a path was taken (a compacted watch, a lost lease).
type logs struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func newLogs() *logs { return &logs{changed: make(chan struct{})} }

func (l *logs) handler() slog.Handler { return logHandler{l: l} }

// wait waits for a record whose message and attributes hold every part.
func (l *logs) wait(t testing.TB, timeout time.Duration, parts ...string) string {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	seen := 0
	for {
		l.mu.Lock()
		lines, ch := l.lines[seen:], l.changed
		l.mu.Unlock()
		for _, line := range lines {
			if containsAll(line, parts) {
				return line
			}
		}
		seen += len(lines)
		select {
		case <-ch:
		case <-timer.C:
			l.mu.Lock()
			all := strings.Join(l.lines, "\n")
			l.mu.Unlock()
			t.Fatalf("no log record with %q within %v; logged:\n%s", parts, timeout, all)
			return ""
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

type logHandler struct {
	l     *logs
	attrs string
}

func (h logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Time.Format("15:04:05.000") + " " + r.Level.String() + " " + r.Message + h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	h.l.mu.Lock()
	h.l.lines = append(h.l.lines, b.String())
	close(h.l.changed)
	h.l.changed = make(chan struct{})
	h.l.mu.Unlock()
	return nil
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		h.attrs += " " + a.String()
	}
	return h
}

func (h logHandler) WithGroup(string) slog.Handler { return h }

// node is a Store as a test drives it: with its states, its connection
// changes and its log.
type node struct {
	*Store
	states *states
	conn   chan connEvent
	logs   *logs
}

// openNode opens a store on endpoints for node id, with a short probe
// interval, closed in t.Cleanup. edit changes the options before Open.
func openNode(t testing.TB, endpoints []string, id string, edit ...func(*Options)) *node {
	t.Helper()
	n := &node{states: newStates(), conn: make(chan connEvent, 64), logs: newLogs()}
	opts := Options{
		Endpoints:     endpoints,
		Prefix:        testPrefix,
		Self:          Member{ID: id, Region: "region-" + id, DNS: []string{"127.0.0.1:53"}, Admin: "http://127.0.0.1:8080", Version: "test"},
		LeaseTTL:      5 * time.Second,
		ProbeInterval: 100 * time.Millisecond,
		Logger:        slog.New(n.logs.handler()),
	}
	for _, e := range edit {
		e(&opts)
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	done := make(chan struct{})
	go n.follow(s.Updates(), done)
	t.Cleanup(func() {
		s.Close()
		<-done
		if n.states.unsettled != "" {
			t.Errorf("node %s: a state handed out with the records of zone %s not settled", id, n.states.unsettled)
		}
	})
	n.Store = s
	return n
}

// follow reads the store's updates until Close ends them, recording each
// state and each change of connection.
func (n *node) follow(updates <-chan Update, done chan<- struct{}) {
	defer close(done)
	connected, since := false, int64(0)
	for u := range updates {
		n.states.on(u.State)
		if u.Connected != connected || (u.Connected && u.ConnectedRevision != since) {
			connected, since = u.Connected, u.ConnectedRevision
			select {
			case n.conn <- connEvent{u.Connected, u.Reason}:
			default:
			}
		}
	}
}

// waitConn waits for a change of connection to connected.
func (n *node) waitConn(t testing.TB, timeout time.Duration, connected bool) connEvent {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case ev := <-n.conn:
			if ev.connected == connected {
				return ev
			}
		case <-timer.C:
			t.Fatalf("node %s: no update with connected %v within %v", n.opts.Self.ID, connected, timeout)
		}
	}
}

// loadTraffic loads the test traffic document, then lets edit change it
// and validates it again.
func loadTraffic(t testing.TB, edit ...func(*config.Traffic)) *config.Traffic {
	t.Helper()
	tr, err := config.LoadTraffic("testdata/traffic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(edit) > 0 {
		for _, e := range edit {
			e(tr)
		}
		if err := tr.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func withQuorum(q float64) func(*config.Traffic) {
	return func(t *config.Traffic) { t.Settings.HealthQuorum = q }
}

func ctxT(t testing.TB) context.Context { return ctxTimeout(t, 10*time.Second) }

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func hasMember(id string) func(*State) bool {
	return func(s *State) bool { _, ok := s.Members[id]; return ok }
}

func noMember(id string) func(*State) bool {
	return func(s *State) bool { _, ok := s.Members[id]; return !ok }
}

// longLease keeps a node's lease for a minute: no heartbeat writes while
// states are compared.
func longLease(o *Options) { o.LeaseTTL = time.Minute }

// proxiedPair opens node "a" behind a proxy that can cut it off from
// etcd, and a "writer" connected directly, both with long leases.
func proxiedPair(t testing.TB, eps []string) (a, w *node, proxy *clustertest.Proxy) {
	t.Helper()
	proxy = clustertest.StartProxy(t, eps[0])
	a = openNode(t, []string{proxy.Endpoint()}, "a", longLease)
	w = openNode(t, eps, "writer", longLease)
	return a, w, proxy
}
