package health

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// Targets looks up the host names endpoints are named by
// (config.Endpoint.Target), each again when its answer's TTL runs out,
// and says what each resolves to and whether its endpoints can be
// served. It only observes: the node carries the addresses into the
// answer snapshot and the failures into Evaluator.SetUnresolved.
//
// A lookup that the name itself refuses (NXDOMAIN, or neither A nor AAAA
// records) fails the target at once: the name says it has no address.
// A lookup that the resolvers fail (timeouts, SERVFAIL, REFUSED) keeps
// the last good addresses served, for as long again as their TTL, as a
// resolver serving stale data would (RFC 8767); only then, or at once
// when there never were good addresses, does the target fail. A failed
// target is asked again every MinTTL. At most maxLookups lookups run at
// once, so a document of many targets, applied or started, does not
// flood the resolvers.
type Targets struct {
	opts    TargetOptions
	servers []string
	log     *slog.Logger
	clock   Clock
	metrics *targetMetrics

	// slots bounds the lookups in flight.
	slots chan struct{}

	// resolvConf is resolv.conf's servers as last read, with the file's
	// modification time and size then: it is read again only when they
	// change, not at every lookup.
	resolvConfMu sync.Mutex
	resolvConf   struct {
		mod     time.Time
		size    int64
		servers []string
	}

	mu      sync.Mutex
	targets map[string]*target
	closed  bool
	wg      sync.WaitGroup
}

// TargetOptions are what Targets needs.
type TargetOptions struct {
	// Servers are the resolvers (IP:port), asked in order; empty reads
	// the nameservers of ResolvConf.
	Servers []string
	// ResolvConf is read when Servers is empty; "" is /etc/resolv.conf.
	ResolvConf string
	// MinTTL and MaxTTL bound how long an answer is used; Timeout bounds
	// one question to one server.
	MinTTL, MaxTTL, Timeout time.Duration
	// Clock schedules lookups; nil is the wall clock.
	Clock      Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// OnChange is called, with no lock held, after a target's addresses
	// or its state change.
	OnChange func(name string)
}

// maxLookups is how many targets are looked up at once: each lookup
// takes one or two exchanges of a few milliseconds, so 16 go through
// thousands of targets a second.
const maxLookups = 16

// Target states.
const (
	// TargetPending: no lookup has ended yet.
	TargetPending = "pending"
	// TargetResolved: the latest lookup answered addresses.
	TargetResolved = "resolved"
	// TargetStale: the resolvers failed, and the last good addresses are
	// served while their grace lasts.
	TargetStale = "stale"
	// TargetFailed: the target's endpoints are out.
	TargetFailed = "failed"
)

// TargetState is what one target resolves to now.
type TargetState struct {
	Name string `json:"name"`
	// State is TargetPending, TargetResolved, TargetStale or
	// TargetFailed.
	State string `json:"state"`
	// Addresses are the addresses answered for the target's endpoints:
	// the last good lookup's, kept while the target fails so that an
	// answer given with every endpoint down still has them.
	Addresses []netip.Addr `json:"addresses"`
	// Failure says why the latest lookup failed, "" when it did not;
	// FailingSince is when the lookups began to fail, the first of the
	// failures in a row.
	Failure      string    `json:"failure,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	// Resolved is when the lookup that answered Addresses ended: while
	// the target fails, how old the last good addresses are.
	Resolved time.Time `json:"resolved,omitzero"`
	// TTL is how long the last good answer is used, its TTL within
	// MinTTL and MaxTTL.
	TTL time.Duration `json:"ttl"`
	// LookedUp is when the latest lookup ended, Next when the next is due.
	LookedUp time.Time `json:"looked_up,omitzero"`
	Next     time.Time `json:"next,omitzero"`
	// StaleUntil is when a stale target fails.
	StaleUntil time.Time `json:"stale_until,omitzero"`
}

// Unresolved is the reason the target's endpoints are out, "" while they
// can be served: what Inputs.Unresolved holds.
func (s TargetState) Unresolved() string {
	switch s.State {
	case TargetPending:
		return "target " + s.Name + " has not resolved yet"
	case TargetFailed:
		return "target " + s.Name + " did not resolve: " + s.Failure
	}
	return ""
}

// target is one name and its lookup loop.
type target struct {
	state  TargetState
	cancel context.CancelFunc
}

// NewTargets makes a Targets that looks nothing up until Apply. Its
// metrics are registered on opts.Registerer.
func NewTargets(opts TargetOptions) (*Targets, error) {
	t := &Targets{opts: opts, servers: opts.Servers, log: opts.Logger, clock: opts.Clock, targets: map[string]*target{}, slots: make(chan struct{}, maxLookups)}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.clock == nil {
		t.clock = RealClock{}
	}
	var err error
	if t.metrics, err = newTargetMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	return t, nil
}

// Apply makes names (fully qualified, lower case) the targets looked
// up: a new one is looked up at once, one left out is forgotten.
func (t *Targets) Apply(names []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	want := make(map[string]bool, len(names))
	for _, name := range names {
		want[name] = true
		if t.targets[name] != nil {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.targets[name] = &target{state: TargetState{Name: name, State: TargetPending}, cancel: cancel}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.loop(ctx, name)
		}()
	}
	for name, tg := range t.targets {
		if !want[name] {
			tg.cancel()
			delete(t.targets, name)
		}
	}
	t.gaugesLocked()
}

// State returns a target's state, and false for a name not applied.
func (t *Targets) State(name string) (TargetState, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tg, ok := t.targets[name]
	if !ok {
		return TargetState{}, false
	}
	return tg.state, true
}

// States returns every target's state, sorted by name.
func (t *Targets) States() []TargetState {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]TargetState, 0, len(t.targets))
	for _, tg := range t.targets {
		out = append(out, tg.state)
	}
	slices.SortFunc(out, func(a, b TargetState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Close stops every lookup and waits for them to end.
func (t *Targets) Close() {
	t.mu.Lock()
	t.closed = true
	for _, tg := range t.targets {
		tg.cancel()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// loop looks name up, then again when its answer runs out, until ctx
// ends.
func (t *Targets) loop(ctx context.Context, name string) {
	for {
		select {
		case t.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		// The answer's TTL runs from when it was asked for, so the next
		// lookup is due that long after the start of this one.
		started := t.clock.Now()
		servers, err := t.resolvers()
		var l lookup
		if err != nil {
			l = lookup{failure: err.Error()}
		} else {
			l = lookupTarget(ctx, servers, name, t.opts.Timeout)
		}
		<-t.slots
		if ctx.Err() != nil {
			return
		}
		t.metrics.lookups.WithLabelValues(lookupResult(l)).Inc()
		next := t.record(name, l, started)
		timer := t.clock.NewTimer(next.Sub(t.clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
		}
	}
}

// resolvers are the servers to ask: the configured ones, else those of
// resolv.conf, read again whenever the file changed (as glibc does), so
// that an edited file is followed.
func (t *Targets) resolvers() ([]string, error) {
	if len(t.servers) > 0 {
		return t.servers, nil
	}
	path := t.opts.ResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	t.resolvConfMu.Lock()
	defer t.resolvConfMu.Unlock()
	c := &t.resolvConf
	if c.servers != nil && fi.ModTime().Equal(c.mod) && fi.Size() == c.size {
		return c.servers, nil
	}
	servers, err := readResolvConf(path)
	if err != nil {
		return nil, err
	}
	c.mod, c.size, c.servers = fi.ModTime(), fi.Size(), servers
	return servers, nil
}

// readResolvConf returns the nameservers of a resolv.conf, each on port
// 53.
func readResolvConf(path string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(cc.Servers))
	for _, s := range cc.Servers {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.AddrPortFrom(a, 53).String())
		}
	}
	if len(out) == 0 {
		return nil, &resolvConfError{path}
	}
	return out, nil
}

// resolvConfError is a resolv.conf that names no nameserver.
type resolvConfError struct{ path string }

func (e *resolvConfError) Error() string { return e.path + " names no nameserver" }

// record takes in the result of a lookup that started at started, and
// returns when the next is due.
func (t *Targets) record(name string, l lookup, started time.Time) time.Time {
	now := t.clock.Now()
	t.mu.Lock()
	tg := t.targets[name]
	if tg == nil {
		t.mu.Unlock()
		return started.Add(t.opts.MinTTL)
	}
	prev := tg.state
	next := prev
	next.LookedUp, next.Failure = now, l.failure
	wait := t.opts.MinTTL
	switch {
	case l.failure == "":
		next.State, next.Addresses, next.StaleUntil = TargetResolved, l.addrs, time.Time{}
		next.Resolved, next.FailingSince = now, time.Time{}
		next.TTL = min(max(l.ttl, t.opts.MinTTL), t.opts.MaxTTL)
		wait = next.TTL
	case l.negative || len(prev.Addresses) == 0:
		next.State, next.StaleUntil = TargetFailed, time.Time{}
	case prev.State == TargetResolved:
		next.State, next.StaleUntil = TargetStale, now.Add(prev.TTL)
	case prev.State == TargetStale && !now.Before(prev.StaleUntil):
		next.State, next.StaleUntil = TargetFailed, time.Time{}
	}
	if l.failure != "" && next.FailingSince.IsZero() {
		next.FailingSince = now
	}
	next.Next = started.Add(wait)
	tg.state = next
	changed := next.State != prev.State || next.Failure != prev.Failure || !slices.Equal(next.Addresses, prev.Addresses)
	if changed {
		t.gaugesLocked()
	}
	t.mu.Unlock()
	if changed {
		t.logChange(prev, next)
		if t.opts.OnChange != nil {
			t.opts.OnChange(name)
		}
	}
	return next.Next
}

// logChange logs a target's change once.
func (t *Targets) logChange(prev, next TargetState) {
	switch {
	case next.State == TargetFailed:
		t.log.Warn("endpoint target does not resolve; its endpoints are out", "target", next.Name, "failure", next.Failure)
	case next.State == TargetStale:
		t.log.Warn("endpoint target lookup failed; serving its last addresses while they last", "target", next.Name, "failure", next.Failure, "until", next.StaleUntil)
	case prev.State != next.State:
		t.log.Info("endpoint target resolves", "target", next.Name, "addresses", next.Addresses, "ttl", next.TTL)
	default:
		t.log.Info("endpoint target moved", "target", next.Name, "addresses", next.Addresses, "ttl", next.TTL)
	}
}

// gaugesLocked sets the gauges from every target's state.
func (t *Targets) gaugesLocked() {
	states := map[string]int{TargetPending: 0, TargetResolved: 0, TargetStale: 0, TargetFailed: 0}
	v4, v6 := 0, 0
	for _, tg := range t.targets {
		states[tg.state.State]++
		for _, a := range tg.state.Addresses {
			if a.Is4() {
				v4++
			} else {
				v6++
			}
		}
	}
	for s, n := range states {
		t.metrics.targets.WithLabelValues(s).Set(float64(n))
	}
	t.metrics.addresses.WithLabelValues("ipv4").Set(float64(v4))
	t.metrics.addresses.WithLabelValues("ipv6").Set(float64(v6))
}

// lookupResult is a lookup's result label: a bounded set.
func lookupResult(l lookup) string {
	switch l.failure {
	case "":
		return "ok"
	case "NXDOMAIN":
		return "nxdomain"
	case "no addresses":
		return "nodata"
	case "SERVFAIL":
		return "servfail"
	case "timeout":
		return "timeout"
	}
	return "error"
}
