package health_test

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/health/healthtest"
)

const lb = "lb-123.example.net."

// newTargets starts a Targets on a fake clock asking servers, with the
// default TTL bounds; changes counts its OnChange calls.
func newTargets(t *testing.T, servers []string, timeout time.Duration) (*health.Targets, *healthtest.FakeClock, *prometheus.Registry) {
	t.Helper()
	clock := healthtest.NewFakeClock(time.Unix(1_800_000_000, 0))
	reg := prometheus.NewRegistry()
	tg, err := health.NewTargets(health.TargetOptions{Servers: servers, MinTTL: 5 * time.Second, MaxTTL: time.Hour, Timeout: timeout, Clock: clock, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	return tg, clock, reg
}

// TestTargetsFollowTheAnswers: one target through every state, each
// step after the wait the previous answer set: its TTL within the
// bounds, or the floor after a failure.
func TestTargetsFollowTheAnswers(t *testing.T) {
	up := healthtest.StartUpstream(t)
	tg, clock, reg := newTargets(t, []string{up.Addr}, 2*time.Second)
	steps := []struct {
		name       string
		answer     healthtest.Answer
		state      string
		addrs      []string
		ttl        time.Duration
		unresolved string
		result     string
		// resolved and failingSince are the steps whose lookups
		// answered the addresses and began the failures; -1: none.
		resolved, failingSince int
	}{
		{"first answer", healthtest.Answer{A: []string{"192.0.2.1"}, TTL: 30},
			health.TargetResolved, []string{"192.0.2.1"}, 30 * time.Second, "", "ok", 0, -1},
		{"moved, both families, TTL floored", healthtest.Answer{A: []string{"192.0.2.3", "192.0.2.2"}, AAAA: []string{"2001:db8::2"}, TTL: 1},
			health.TargetResolved, []string{"192.0.2.2", "192.0.2.3", "2001:db8::2"}, 5 * time.Second, "", "ok", 1, -1},
		{"SERVFAIL: the last addresses served for their TTL", healthtest.Answer{Rcode: dns.RcodeServerFailure},
			health.TargetStale, []string{"192.0.2.2", "192.0.2.3", "2001:db8::2"}, 5 * time.Second, "", "servfail", 1, 2},
		{"SERVFAIL past the grace: out", healthtest.Answer{Rcode: dns.RcodeServerFailure},
			health.TargetFailed, []string{"192.0.2.2", "192.0.2.3", "2001:db8::2"}, 5 * time.Second, "target " + lb + " did not resolve: SERVFAIL", "servfail", 1, 2},
		{"recovered, TTL capped", healthtest.Answer{A: []string{"192.0.2.4"}, TTL: 86400},
			health.TargetResolved, []string{"192.0.2.4"}, time.Hour, "", "ok", 4, -1},
		{"NXDOMAIN: out at once, last addresses kept", healthtest.Answer{Rcode: dns.RcodeNameError},
			health.TargetFailed, []string{"192.0.2.4"}, time.Hour, "target " + lb + " did not resolve: NXDOMAIN", "nxdomain", 4, 5},
		{"back", healthtest.Answer{AAAA: []string{"2001:db8::5"}, TTL: 60},
			health.TargetResolved, []string{"2001:db8::5"}, time.Minute, "", "ok", 6, -1},
		{"no address of either family: out at once", healthtest.Answer{TTL: 60},
			health.TargetFailed, []string{"2001:db8::5"}, time.Minute, "target " + lb + " did not resolve: no addresses", "nodata", 6, 7},
	}
	wait := time.Duration(0)
	results := map[string]int{}
	at := make([]time.Time, len(steps)) // when each step's lookup ended
	stepTime := func(i int) time.Time {
		if i < 0 {
			return time.Time{}
		}
		return at[i]
	}
	for i, st := range steps {
		up.Set(lb, st.answer)
		if i == 0 {
			tg.Apply([]string{lb})
		} else {
			clock.Advance(wait)
		}
		clock.BlockUntil(1) // the lookup has ended and the next is due
		at[i] = clock.Now()
		got, ok := tg.State(lb)
		if !ok {
			t.Fatalf("%s: no state for %s", st.name, lb)
		}
		var addrs []string
		for _, a := range got.Addresses {
			addrs = append(addrs, a.String())
		}
		if got.State != st.state || !slices.Equal(addrs, st.addrs) || got.TTL != st.ttl || got.Unresolved() != st.unresolved {
			t.Errorf("%s: got %s %v ttl %s unresolved %q, want %s %v ttl %s unresolved %q", st.name, got.State, addrs, got.TTL, got.Unresolved(), st.state, st.addrs, st.ttl, st.unresolved)
		}
		if !got.Resolved.Equal(stepTime(st.resolved)) || !got.FailingSince.Equal(stepTime(st.failingSince)) {
			t.Errorf("%s: resolved %s, failing since %s; want the lookups of steps %d and %d", st.name, got.Resolved, got.FailingSince, st.resolved, st.failingSince)
		}
		results[st.result]++
		want := "# HELP gtmd_target_lookups_total Lookups of endpoint targets (A and AAAA), by result: ok, nxdomain, nodata, servfail, timeout or error.\n# TYPE gtmd_target_lookups_total counter\n"
		for _, result := range slices.Sorted(maps.Keys(results)) {
			want += fmt.Sprintf("gtmd_target_lookups_total{result=%q} %d\n", result, results[result])
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_target_lookups_total"); err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
		wait = got.Next.Sub(clock.Now())
		if want := st.ttl; st.result != "ok" {
			want = 5 * time.Second
			if wait != want {
				t.Errorf("%s: next lookup in %s, want the floor %s", st.name, wait, want)
			}
		} else if wait != want {
			t.Errorf("%s: next lookup in %s, want the TTL %s", st.name, wait, want)
		}
	}
	if n := up.Queries(lb); n < len(steps) {
		t.Errorf("the resolver had %d questions, fewer than the %d lookups", n, len(steps))
	}
}

// TestTargetsAskTheNextServer: a server that does not answer, or
// refuses, passes the question on; when none answers the target fails
// with the last one's reason, and before any good answer it fails at
// once.
func TestTargetsAskTheNextServer(t *testing.T) {
	silent, refusing, good := healthtest.StartUpstream(t), healthtest.StartUpstream(t), healthtest.StartUpstream(t)
	silent.Set(lb, healthtest.Answer{Drop: true})
	good.Set(lb, healthtest.Answer{A: []string{"192.0.2.9"}, TTL: 60})
	cases := []struct {
		name    string
		servers []string
		state   string
		reason  string
	}{
		{"silent, refusing, then good", []string{silent.Addr, refusing.Addr, good.Addr}, health.TargetResolved, ""},
		{"refusing, then silent", []string{refusing.Addr, silent.Addr}, health.TargetFailed, "target " + lb + " did not resolve: timeout"},
		{"silent, then refusing", []string{silent.Addr, refusing.Addr}, health.TargetFailed, "target " + lb + " did not resolve: REFUSED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg, clock, _ := newTargets(t, c.servers, 200*time.Millisecond)
			if st, _ := tg.State(lb); st.State != "" {
				t.Fatalf("a target not applied has state %q", st.State)
			}
			tg.Apply([]string{lb})
			if st, _ := tg.State(lb); st.State != health.TargetPending || !strings.Contains(st.Unresolved(), "has not resolved yet") {
				t.Errorf("before its first lookup: %s %q, want pending and out", st.State, st.Unresolved())
			}
			clock.BlockUntil(1)
			st, _ := tg.State(lb)
			if st.State != c.state || st.Unresolved() != c.reason {
				t.Errorf("got %s %q, want %s %q", st.State, st.Unresolved(), c.state, c.reason)
			}
		})
	}
}

// TestTargetsResolvConf: without servers, the nameservers of resolv.conf
// are asked; a file without one fails every target, saying so.
func TestTargetsResolvConf(t *testing.T) {
	path := t.TempDir() + "/resolv.conf"
	if err := os.WriteFile(path, []byte("search example.net\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := healthtest.NewFakeClock(time.Unix(1_800_000_000, 0))
	tg, err := health.NewTargets(health.TargetOptions{ResolvConf: path, MinTTL: 5 * time.Second, MaxTTL: time.Hour, Timeout: time.Second, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	tg.Apply([]string{lb})
	clock.BlockUntil(1)
	st, _ := tg.State(lb)
	if want := "target " + lb + " did not resolve: " + path + " names no nameserver"; st.Unresolved() != want {
		t.Errorf("got %q, want %q", st.Unresolved(), want)
	}
	tg.Apply(nil)
	if _, ok := tg.State(lb); ok || len(tg.States()) != 0 {
		t.Error("a target left out of Apply is still looked up")
	}
}

// TestTargetMetricsLint: the target metrics pass promlint and say how
// many targets are in each state and how many addresses they hold.
func TestTargetMetricsLint(t *testing.T) {
	up := healthtest.StartUpstream(t)
	up.Set(lb, healthtest.Answer{A: []string{"192.0.2.1"}, AAAA: []string{"2001:db8::1", "2001:db8::2"}, TTL: 60})
	up.Set("gone.example.net.", healthtest.Answer{Rcode: dns.RcodeNameError})
	tg, clock, reg := newTargets(t, []string{up.Addr}, 2*time.Second)
	tg.Apply([]string{lb, "gone.example.net."})
	clock.BlockUntil(2)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	want := `
# HELP gtmd_target_addresses Addresses the endpoint targets resolve to, over every target, by family (ipv4, ipv6).
# TYPE gtmd_target_addresses gauge
gtmd_target_addresses{family="ipv4"} 1
gtmd_target_addresses{family="ipv6"} 2
# HELP gtmd_target_names Endpoint targets this node looks up, by state: pending, resolved, stale (last addresses served after a failed lookup) or failed (their endpoints are out).
# TYPE gtmd_target_names gauge
gtmd_target_names{state="failed"} 1
gtmd_target_names{state="pending"} 0
gtmd_target_names{state="resolved"} 1
gtmd_target_names{state="stale"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_target_addresses", "gtmd_target_names"); err != nil {
		t.Error(err)
	}
}

// TestTargetsBoundLookups: however many targets a document names, at
// most 16 are looked up at once: behind a resolver that never answers,
// 40 targets put 16 questions to it and no more until those time out.
func TestTargetsBoundLookups(t *testing.T) {
	silent := healthtest.StartUpstream(t)
	var names []string
	for i := range 40 {
		name := fmt.Sprintf("lb-%d.example.net.", i)
		silent.Set(name, healthtest.Answer{Drop: true})
		names = append(names, name)
	}
	// A timeout far longer than the test: no question is retried.
	tg, _, _ := newTargets(t, []string{silent.Addr}, time.Hour)
	tg.Apply(names)
	asked := func() int {
		n := 0
		for _, name := range names {
			n += silent.Queries(name)
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for asked() < 16 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// A window for a 17th question to arrive if the bound did not hold.
	time.Sleep(300 * time.Millisecond)
	if n := asked(); n != 16 {
		t.Errorf("%d questions in flight, want 16", n)
	}
}

// TestTargetsOddAnswers: records a resolver should not send (an A
// record without data, records of other types, addresses of the other
// family) never crash a lookup and are passed over.
func TestTargetsOddAnswers(t *testing.T) {
	up := healthtest.StartUpstream(t)
	hdr := func(t uint16) dns.RR_Header { return dns.RR_Header{Name: lb, Rrtype: t, Class: dns.ClassINET, Ttl: 60} }
	odd := []dns.RR{
		&dns.A{Hdr: hdr(dns.TypeA)},
		&dns.AAAA{Hdr: hdr(dns.TypeAAAA)},
		&dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{"hello"}},
		&dns.A{Hdr: hdr(dns.TypeA), A: []byte{192, 0, 2, 77}},
	}
	up.Set(lb, healthtest.Answer{A: []string{"192.0.2.1"}, TTL: 30, Records: odd})
	st, got := lookUpOnce(t, up)
	// 192.0.2.77 arrives in the answers to both questions: an A record
	// in the AAAA answer is not an IPv6 address, and is not taken.
	if want := []string{"192.0.2.1", "192.0.2.77"}; st.State != health.TargetResolved || !slices.Equal(got, want) {
		t.Errorf("got %s %v, want resolved %v", st.State, got, want)
	}
}

// TestTargetsCapAddresses: a target answers with at most 32 addresses
// of each family, the lowest, once each.
func TestTargetsCapAddresses(t *testing.T) {
	up := healthtest.StartUpstream(t)
	var a, want []string
	for i := 40; i > 0; i-- {
		a = append(a, fmt.Sprintf("192.0.2.%d", i))
	}
	a = append(a, "192.0.2.1", "192.0.2.2")
	for i := 1; i <= 32; i++ {
		want = append(want, fmt.Sprintf("192.0.2.%d", i))
	}
	up.Set(lb, healthtest.Answer{A: a, AAAA: []string{"2001:db8::1"}, TTL: 30})
	want = append(want, "2001:db8::1")
	if _, got := lookUpOnce(t, up); !slices.Equal(got, want) {
		t.Errorf("got %v,\nwant %v", got, want)
	}
}

// lookUpOnce looks lb up through up once and returns its state and
// addresses.
func lookUpOnce(t *testing.T, up *healthtest.Upstream) (health.TargetState, []string) {
	t.Helper()
	tg, clock, _ := newTargets(t, []string{up.Addr}, 2*time.Second)
	tg.Apply([]string{lb})
	clock.BlockUntil(1)
	st, _ := tg.State(lb)
	var addrs []string
	for _, a := range st.Addresses {
		addrs = append(addrs, a.String())
	}
	return st, addrs
}
