package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestDelegatedZone runs the scenarios of issue 7 against one set of
// processes: etcd, three gtmd nodes (ns1 and ns2 in us-east, ns3 in
// eu-west), the root zone delegating gtm.test. to them, and Unbound. Each
// scenario starts from the healthy state and puts it back when it ends,
// and the table of what each measured is printed at the end.
func TestDelegatedZone(t *testing.T) {
	e := newEnv(t)
	defer e.tm.print(t, fmt.Sprintf("gtmd e2e timings (TTL %s, interval %s, fall %d, rise %d; bounds add %s slack, and %s for the resolver's whole-second clock)", ttl, interval, fall, rise, slack, resolverClock))
	t.Run("1_location", e.scenarioLocation)
	t.Run("2_region_fails", e.scenarioRegionFails)
	t.Run("3_node_killed", e.scenarioNodeKilled)
	t.Run("4_etcd_outage", e.scenarioEtcdOutage)
	t.Run("5_drain", e.scenarioDrain)
}

// Bounds of the scenarios, from the traffic document's timing.
var (
	// A node stops handing out a failed region once fall checks in a row
	// have failed on enough nodes: at most fall × interval, plus slack.
	nodeDownBound = fall*interval + slack
	nodeUpBound   = rise*interval + slack
	// The resolver may hold the old answer for one more TTL, which it
	// counts in whole seconds.
	resolverDownBound = fall*interval + ttl + resolverClock + slack
	resolverUpBound   = rise*interval + ttl + resolverClock + slack
	// A change an operator makes reaches every node at once (issue 6:
	// within a second), and the resolver one TTL later.
	resolverDrainBound = ttl + resolverClock + slack
)

// wait is one condition a scenario waits for after an event, and the
// bound it must be met within (0: only measured).
type wait struct {
	what  string
	bound time.Duration
	cond  func() error
}

// measure waits for every condition at once, each counted from start,
// records how long each took, and fails the test for those that missed
// their bound (or never came true within the bound and ten seconds more).
func (e *env) measure(t *testing.T, scenario string, start time.Time, waits ...wait) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(waits))
	took := make([]time.Duration, len(waits))
	for i, w := range waits {
		wg.Go(func() {
			limit := w.bound + 10*time.Second
			if w.bound == 0 {
				limit = 30 * time.Second
			}
			took[i], errs[i] = pollFrom(start, limit, step, w.cond)
		})
	}
	wg.Wait()
	for i, w := range waits {
		note := ""
		switch {
		case errs[i] != nil:
			note = "FAILED"
			t.Errorf("%s: %s: %v", scenario, w.what, errs[i])
		case w.bound > 0 && took[i] > w.bound:
			note = "OVER BOUND"
			t.Errorf("%s: %s took %s, more than %s", scenario, w.what, round(took[i]), w.bound)
		}
		e.tm.add(scenario, w.what, took[i], w.bound, note)
		t.Logf("%s: %s: %s (bound %s)", scenario, w.what, round(took[i]), w.bound)
	}
}

// Questions the scenarios ask, through the resolver (rd) and directly.
func wwwFrom(client netip.Prefix, rd bool) ask {
	return ask{name: wwwName, qtype: dns.TypeA, ecs: client, rd: rd}
}

func apiFrom(client netip.Prefix, rd bool) ask {
	return ask{name: apiName, qtype: dns.TypeA, ecs: client, rd: rd}
}

// baseline waits until the cluster is back to its healthy state: every
// node, and the resolver, answers US clients with us-east and DE clients
// with eu-west.
func (e *env) baseline(t *testing.T) {
	t.Helper()
	var conds []func() error
	for _, n := range e.nodes {
		conds = append(conds,
			answerIs(n.dns, wwwFrom(usClient, false), usWWW),
			answerIs(n.dns, wwwFrom(deClient, false), euWWW),
			answerIs(n.dns, apiFrom(deClient, false), usAPI))
	}
	conds = append(conds,
		answerIs(e.resAddr, wwwFrom(usClient, true), usWWW),
		answerIs(e.resAddr, wwwFrom(deClient, true), euWWW),
		answerIs(e.resAddr, apiFrom(usClient, true), usAPI))
	if _, err := poll(resolverUpBound+20*time.Second, 100*time.Millisecond, func() error {
		for _, c := range conds {
			if err := c(); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("the cluster did not come back to its healthy state: %v", err)
	}
}

// Scenario 1: the resolver finds the zone through the delegation, and the
// answer follows the client's location, which it learns from the client
// subnet Unbound forwards.
func (e *env) scenarioLocation(t *testing.T) {
	const sc = "1 location"
	// The first question of each kind is a cache miss: Unbound walks
	// from the root's referral to a gtmd node.
	for _, c := range []struct {
		what string
		q    ask
		want []string
	}{
		{"www A, US client", ask{name: wwwName, qtype: dns.TypeA, ecs: usClient, rd: true}, []string{usWWW}},
		{"www A, DE client", ask{name: wwwName, qtype: dns.TypeA, ecs: deClient, rd: true}, []string{euWWW}},
		{"www AAAA, US client", ask{name: wwwName, qtype: dns.TypeAAAA, ecs: usClient, rd: true}, []string{usWWW6}},
		{"www AAAA, DE client", ask{name: wwwName, qtype: dns.TypeAAAA, ecs: deClient, rd: true}, []string{euWWW6}},
		{"api A, US client", ask{name: apiName, qtype: dns.TypeA, ecs: usClient, rd: true}, []string{usAPI}},
		{"api A, DE client", ask{name: apiName, qtype: dns.TypeA, ecs: deClient, rd: true}, []string{usAPI}},
	} {
		r, rtt, err := exchange(e.resAddr, c.q, 5*time.Second)
		if err != nil {
			t.Errorf("%s through Unbound: %v", c.what, err)
			continue
		}
		if r.Rcode != dns.RcodeSuccess || !slices.Equal(addrs(r), c.want) {
			t.Errorf("%s through Unbound: %s %s, want NOERROR %s", c.what, dns.RcodeToString[r.Rcode], show(addrs(r)), show(c.want))
		}
		scope := "none"
		if s := ecsOf(r); s != nil {
			scope = fmt.Sprintf("/%d", s.SourceScope)
		}
		e.tm.add(sc, "Unbound, cold: "+c.what, rtt, 0, "ECS scope "+scope)
	}
	// Unbound forwarded the subnet: the same name, asked by clients in
	// two places, has two answers. Warm, from the cache per subnet:
	us, err := resolve(e.resAddr, wwwFrom(usClient, true), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	de, err := resolve(e.resAddr, wwwFrom(deClient, true), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(us, de) {
		t.Errorf("Unbound gave US and DE clients the same answer %s: it did not forward the client subnet", show(us))
	}
	// A client that sends no subnet is placed by Unbound's own address,
	// which no GeoIP database knows: still an answer.
	if got, err := resolve(e.resAddr, ask{name: wwwName, qtype: dns.TypeA, rd: true}, 5*time.Second); err != nil || len(got) != 1 {
		t.Errorf("www A through Unbound without a client subnet: %v %v, want one address", got, err)
	}

	// The same answers straight from each node, with the RFC 7871 scope
	// that let Unbound cache per subnet.
	for _, n := range e.nodes {
		for _, c := range []struct {
			q         ask
			want      string
			wantScope bool
		}{
			{wwwFrom(usClient, false), usWWW, true},
			{wwwFrom(deClient, false), euWWW, true},
			{apiFrom(usClient, false), usAPI, false},
		} {
			r, _, err := exchange(n.dns, c.q, time.Second)
			if err != nil {
				t.Errorf("%s: %v", n.id, err)
				continue
			}
			if !r.Authoritative || r.RecursionAvailable || !slices.Equal(addrs(r), []string{c.want}) {
				t.Errorf("%s %s ecs %s: aa %v ra %v %s, want aa, no ra, %s", n.id, c.q.name, c.q.ecs, r.Authoritative, r.RecursionAvailable, show(addrs(r)), c.want)
			}
			s := ecsOf(r)
			switch {
			case s == nil:
				t.Errorf("%s %s ecs %s: no client subnet option in the answer (RFC 7871 §7.2.1)", n.id, c.q.name, c.q.ecs)
			case c.wantScope && s.SourceScope == 0:
				t.Errorf("%s %s ecs %s: scope /0 on an answer that depends on the location", n.id, c.q.name, c.q.ecs)
			case !c.wantScope && s.SourceScope != 0:
				t.Errorf("%s %s ecs %s: scope /%d on an answer that does not depend on the location", n.id, c.q.name, c.q.ecs, s.SourceScope)
			}
		}
	}

	// The operator's view agrees: every node explains the same answer.
	if out, err := e.cli("explain", wwwName, "A", "--ecs", usClient.String(), "--all-nodes", "--admin", e.nodes[1].admin); err != nil {
		t.Error(err)
	} else if !strings.Contains(out, usWWW) {
		t.Errorf("gtmd explain %s --ecs %s --all-nodes does not show %s:\n%s", wwwName, usClient, usWWW, out)
	} else {
		t.Logf("gtmd explain %s A --ecs %s --all-nodes:\n%s", wwwName, usClient, out)
	}

	// Every node answers the other shapes of question resolvers send.
	e.checkResolverQueries(t)

	// The rest of the zone resolves as any delegated zone does.
	r, _, err := exchange(e.resAddr, ask{name: zone, qtype: dns.TypeNS, rd: true}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var nss []string
	for _, rr := range r.Answer {
		if ns, ok := rr.(*dns.NS); ok {
			nss = append(nss, ns.Ns)
		}
	}
	slices.Sort(nss)
	if want := []string{"ns1." + zone, "ns2." + zone, "ns3." + zone}; !slices.Equal(nss, want) {
		t.Errorf("%s NS through Unbound: %v, want %v", zone, nss, want)
	}
	r, _, err = exchange(e.resAddr, ask{name: "nope." + zone, qtype: dns.TypeA, rd: true}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != dns.RcodeNameError || len(r.Ns) == 0 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("nope.%s through Unbound: %s with authority %v, want NXDOMAIN with the SOA", zone, dns.RcodeToString[r.Rcode], r.Ns)
	}
	r, _, err = exchange(e.resAddr, ask{name: zone, qtype: dns.TypeTXT, rd: true}, 5*time.Second)
	if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("%s TXT through Unbound: %v %v, want the apex TXT", zone, r, err)
	}
}

// Scenario 2: the US region's target fails; US clients get eu-west within
// fall × interval on every node and one TTL later through Unbound; it
// comes back within rise × interval (+ TTL).
func (e *env) scenarioRegionFails(t *testing.T) {
	const sc = "2 region fails"
	e.baseline(t)
	t.Cleanup(func() { _ = e.us.Up() })

	start := time.Now()
	e.us.Down()
	waits := []wait{
		{"US down → Unbound: www to US clients is eu-west", resolverDownBound, answerIs(e.resAddr, wwwFrom(usClient, true), euWWW)},
		{"US down → Unbound: api fails over to eu-west", resolverDownBound, answerIs(e.resAddr, apiFrom(usClient, true), euAPI)},
	}
	for _, n := range e.nodes {
		waits = append(waits, wait{"US down → " + n.id + " (direct): www to US clients is eu-west", nodeDownBound, answerIs(n.dns, wwwFrom(usClient, false), euWWW)})
	}
	e.measure(t, sc, start, waits...)
	if out, err := e.cli("health", "--admin", e.nodes[0].admin); err != nil {
		t.Error(err)
	} else {
		t.Logf("gtmd health, us-east down:\n%s", out)
	}
	// Once gone, it stays gone while the region is down.
	w := e.watchNever(t, wwwFrom(usClient, false), usWWW)
	time.Sleep(2 * interval) // a watch, not a synchronisation: two more checks on every node
	w.check(t, e.tm, sc, "US down: a node hands out us-east again")

	start = time.Now()
	if err := e.us.Up(); err != nil {
		t.Fatal(err)
	}
	waits = []wait{
		{"US up → Unbound: www to US clients is us-east", resolverUpBound, answerIs(e.resAddr, wwwFrom(usClient, true), usWWW)},
		{"US up → Unbound: api back on us-east", resolverUpBound, answerIs(e.resAddr, apiFrom(usClient, true), usAPI)},
	}
	for _, n := range e.nodes {
		waits = append(waits, wait{"US up → " + n.id + " (direct): www to US clients is us-east", nodeUpBound, answerIs(n.dns, wwwFrom(usClient, false), usWWW)})
	}
	e.measure(t, sc, start, waits...)
}

// uniqueName returns a name of the zone no question has asked yet, which
// the zone's wildcard answers: every question for one misses Unbound's
// cache and goes to a name server.
func uniqueName() string {
	return fmt.Sprintf("q%d.wild.%s", uniqueCounter.Add(1), zone)
}

var uniqueCounter atomic.Int64

// Scenario 3: a name server dies (SIGKILL, no goodbye); Unbound keeps
// resolving through the other two. Every question is a cache miss, so
// each one makes Unbound pick a name server, the dead one included until
// it learns better.
func (e *env) scenarioNodeKilled(t *testing.T) {
	const sc = "3 node killed"
	e.baseline(t)
	victim := e.nodes[0]
	t.Cleanup(func() {
		if !victim.proc.running() {
			_ = victim.proc.start()
			_, _ = e.waitNodeReady(victim, 30*time.Second)
		}
	})
	if err := victim.proc.kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()

	// The others notice when its lease runs out (only measured).
	var leftWG sync.WaitGroup
	leftWG.Go(func() {
		e.measure(t, sc, killed, wait{victim.id + " leaves the members list (its lease expires)", 0, func() error {
			ms, err := members(e.nodes[1])
			if err != nil {
				return err
			}
			if slices.ContainsFunc(ms, func(m member) bool { return m.ID == victim.id }) {
				return errNotYet
			}
			return nil
		}})
	})

	// Ask for two TTLs and a bit: a name never asked before (a cache
	// miss each time), and www for a US and a DE client (a miss once a
	// TTL). Every question must be answered, and right.
	window := 2*ttl + 2*time.Second
	const clientTimeout = 5 * time.Second
	var lat []time.Duration
	var failures []string
	for time.Since(killed) < window {
		for _, c := range []struct {
			q    ask
			want string
		}{
			{ask{name: uniqueName(), qtype: dns.TypeA, rd: true}, wildA},
			{wwwFrom(usClient, true), usWWW},
			{wwwFrom(deClient, true), euWWW},
		} {
			r, rtt, err := exchange(e.resAddr, c.q, clientTimeout)
			switch {
			case err != nil:
				failures = append(failures, fmt.Sprintf("%s (ecs %v): %v", c.q.name, c.q.ecs, err))
			case r.Rcode != dns.RcodeSuccess || !slices.Equal(addrs(r), []string{c.want}):
				failures = append(failures, fmt.Sprintf("%s (ecs %v): %s %s, want %s", c.q.name, c.q.ecs, dns.RcodeToString[r.Rcode], show(addrs(r)), c.want))
			default:
				lat = append(lat, rtt)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d questions through Unbound failed after %s was killed:\n%s", len(failures), len(failures)+len(lat), victim.id, strings.Join(failures, "\n"))
	}
	slices.Sort(lat)
	e.tm.addText(sc, fmt.Sprintf("questions through Unbound in the %s after the kill", window),
		fmt.Sprintf("%d ok, %d failed", len(lat), len(failures)), "0 failed", "a third of them cache misses")
	if len(lat) > 0 {
		e.tm.add(sc, "answer time through Unbound, median", lat[len(lat)/2], 0, "")
		e.tm.add(sc, "answer time through Unbound, slowest", lat[len(lat)-1], clientTimeout, "Unbound's retry to another name server")
	}
	for _, n := range e.nodes[1:] {
		if err := answerIs(n.dns, wwwFrom(usClient, false), usWWW)(); err != nil {
			t.Errorf("a surviving node: %v", err)
		}
	}
	leftWG.Wait()

	// Bring it back: it rejoins and serves again.
	start := time.Now()
	if err := victim.proc.start(); err != nil {
		t.Fatal(err)
	}
	took, err := e.waitNodeReady(victim, 30*time.Second)
	if err != nil {
		t.Fatalf("%s after restart: %v", victim.id, err)
	}
	e.tm.add(sc, victim.id+" restarted → ready and answering", took, 0, "")
	e.measure(t, sc, start, wait{victim.id + " restarted → back in the members list", 0, func() error {
		ms, err := members(e.nodes[1])
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ms, func(m member) bool { return m.ID == victim.id }) {
			return errNotYet
		}
		return nil
	}})
}

// Scenario 4: etcd goes away. Every node keeps answering from what it
// knows, applies its own health checks to its own answers, says it is
// degraded, and converges with the others once etcd is back.
func (e *env) scenarioEtcdOutage(t *testing.T) {
	const sc = "4 etcd outage"
	e.baseline(t)
	t.Cleanup(func() {
		if !e.etcd.running() {
			e.restartEtcd(t)
		}
		_ = e.us.Up()
	})
	if err := e.etcd.kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var waits []wait
	for _, n := range e.nodes {
		waits = append(waits, wait{"etcd killed → " + n.id + " /readyz says degraded", 0, func() error { return readyz(n, "degraded") }})
	}
	e.measure(t, sc, start, waits...)
	if t.Failed() {
		return
	}

	// Every node still answers, directly and through Unbound.
	for _, n := range e.nodes {
		for _, c := range []struct {
			q    ask
			want string
		}{{wwwFrom(usClient, false), usWWW}, {wwwFrom(deClient, false), euWWW}, {apiFrom(usClient, false), usAPI}} {
			if err := answerIs(n.dns, c.q, c.want)(); err != nil {
				t.Errorf("etcd down: %v", err)
			}
		}
	}
	for range 4 {
		if err := answerIs(e.resAddr, ask{name: uniqueName(), qtype: dns.TypeA, rd: true}, wildA)(); err != nil {
			t.Errorf("etcd down, through Unbound: %v", err)
		}
	}

	// The US region fails while etcd is away: each node sees it with its
	// own checks and drops it from its own answers.
	start = time.Now()
	e.us.Down()
	waits = []wait{{"etcd down, US down → Unbound: www to US clients is eu-west", resolverDownBound, answerIs(e.resAddr, wwwFrom(usClient, true), euWWW)}}
	for _, n := range e.nodes {
		waits = append(waits, wait{"etcd down, US down → " + n.id + " (direct) drops us-east", nodeDownBound, answerIs(n.dns, wwwFrom(usClient, false), euWWW)})
	}
	e.measure(t, sc, start, waits...)

	// etcd comes back on its data: the nodes reconnect, publish, and
	// agree again, and none of them hands out us-east on the way, as
	// every node has seen it down.
	w := e.watchNever(t, wwwFrom(usClient, false), usWWW)
	start = time.Now()
	took := e.restartEtcd(t)
	e.tm.add(sc, "etcd restarted → healthy", took, 0, "")
	e.measure(t, sc, start, wait{"etcd restarted → every node ready, same members and revision, same answers", 0, e.converged})
	w.check(t, e.tm, sc, "etcd back, US still down: a node hands out us-east")
	if out, err := e.cli("members", "--admin", e.nodes[2].admin); err != nil {
		t.Error(err)
	} else {
		t.Logf("gtmd members after etcd's return:\n%s", out)
	}

	start = time.Now()
	if err := e.us.Up(); err != nil {
		t.Fatal(err)
	}
	waits = []wait{{"etcd back, US up → Unbound: www to US clients is us-east", resolverUpBound, answerIs(e.resAddr, wwwFrom(usClient, true), usWWW)}}
	for _, n := range e.nodes {
		waits = append(waits, wait{"etcd back, US up → " + n.id + " (direct) is us-east", nodeUpBound, answerIs(n.dns, wwwFrom(usClient, false), usWWW)})
	}
	e.measure(t, sc, start, waits...)
}

// converged says whether the nodes agree again: each is ready (not
// degraded), sees all three members serving one revision, and gives the
// same answers, with the same SOA serial.
func (e *env) converged() error {
	var revision int64 = -1
	var serial uint32
	answers := map[string][]string{}
	for i, n := range e.nodes {
		if err := readyz(n, "ready"); err != nil {
			return err
		}
		ms, err := members(n)
		if err != nil {
			return err
		}
		if len(ms) != len(e.nodes) {
			return fmt.Errorf("%s sees %d members, want %d", n.id, len(ms), len(e.nodes))
		}
		for _, m := range ms {
			if revision == -1 {
				revision = m.Revision
			}
			if m.Revision != revision || m.Revision == 0 {
				return fmt.Errorf("%s: member %s serves revision %d, another %d", n.id, m.ID, m.Revision, revision)
			}
		}
		r, _, err := exchange(n.dns, ask{name: zone, qtype: dns.TypeSOA}, time.Second)
		if err != nil {
			return err
		}
		if len(r.Answer) != 1 {
			return fmt.Errorf("%s: %d SOA records", n.id, len(r.Answer))
		}
		s := r.Answer[0].(*dns.SOA).Serial
		if i > 0 && s != serial {
			return fmt.Errorf("%s: SOA serial %d, %s has %d", n.id, s, e.nodes[0].id, serial)
		}
		serial = s
		for _, q := range []ask{wwwFrom(usClient, false), wwwFrom(deClient, false), apiFrom(usClient, false)} {
			got, err := resolve(n.dns, q, time.Second)
			if err != nil {
				return err
			}
			key := q.name + " " + q.ecs.String()
			if i > 0 && !slices.Equal(got, answers[key]) {
				return fmt.Errorf("%s answers %s with %s, %s with %s", n.id, key, show(got), e.nodes[0].id, show(answers[key]))
			}
			answers[key] = got
		}
	}
	return nil
}

// Scenario 5: an operator drains us-east with the CLI, and Unbound stops
// handing it out after the TTL; undrain brings it back.
func (e *env) scenarioDrain(t *testing.T) {
	const sc = "5 drain"
	e.baseline(t)
	t.Cleanup(func() {
		for _, svc := range []string{wwwName, apiName} {
			_, _ = e.cli("undrain", svc, "us-east", "--admin", e.nodes[0].admin)
		}
	})
	start := time.Now()
	for _, svc := range []string{wwwName, apiName} {
		if _, err := e.cli("drain", svc, "us-east", "--admin", e.nodes[0].admin, "--reason", "e2e: maintenance"); err != nil {
			t.Fatal(err)
		}
	}
	e.tm.add(sc, "gtmd drain (www and api) returned", time.Since(start), 0, "")
	waits := []wait{
		{"drain → Unbound: www to US clients is eu-west", resolverDrainBound, answerIs(e.resAddr, wwwFrom(usClient, true), euWWW)},
		{"drain → Unbound: api is eu-west", resolverDrainBound, answerIs(e.resAddr, apiFrom(usClient, true), euAPI)},
	}
	for _, n := range e.nodes {
		waits = append(waits, wait{"drain → " + n.id + " (direct) drops us-east", slack, answerIs(n.dns, wwwFrom(usClient, false), euWWW)})
	}
	e.measure(t, sc, start, waits...)
	if out, err := e.cli("health", "--admin", e.nodes[2].admin); err != nil {
		t.Error(err)
	} else {
		t.Logf("gtmd health --admin %s:\n%s", e.nodes[2].admin, out)
	}

	// Undrain through another node: any node's API operates the cluster.
	start = time.Now()
	for _, svc := range []string{wwwName, apiName} {
		if _, err := e.cli("undrain", svc, "us-east", "--admin", e.nodes[1].admin); err != nil {
			t.Fatal(err)
		}
	}
	waits = []wait{
		{"undrain → Unbound: www to US clients is us-east", resolverDrainBound, answerIs(e.resAddr, wwwFrom(usClient, true), usWWW)},
		{"undrain → Unbound: api is us-east", resolverDrainBound, answerIs(e.resAddr, apiFrom(usClient, true), usAPI)},
	}
	for _, n := range e.nodes {
		waits = append(waits, wait{"undrain → " + n.id + " (direct) is us-east", slack, answerIs(n.dns, wwwFrom(usClient, false), usWWW)})
	}
	e.measure(t, sc, start, waits...)
}

// cli runs an operator subcommand of gtmd and returns what it printed.
func (e *env) cli(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, e.gtmd, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("gtmd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// never watches every node, as fast as they answer, for an answer that
// must not come: an address of a region that is down. Users' resolvers
// would keep such an answer for a whole TTL, so even a moment counts.
type never struct {
	stop, done  chan struct{}
	stopOnce    sync.Once
	start       time.Time
	mu          sync.Mutex
	asked       int
	wrong       int
	first, last time.Duration // when the wrong answers came, from start
	seen        []string      // the first few, for the failure message
}

// watchNever starts asking each node q until stopped, noting every answer
// that holds bad.
func (e *env) watchNever(t *testing.T, q ask, bad string) *never {
	w := &never{stop: make(chan struct{}), done: make(chan struct{}), start: time.Now()}
	t.Cleanup(w.halt) // if the test ends before check
	go func() {
		defer close(w.done)
		for !isDone(w.stop) {
			for _, n := range e.nodes {
				r, _, err := exchange(n.dns, q, 200*time.Millisecond)
				w.mu.Lock()
				w.asked++
				if err == nil && slices.Contains(addrs(r), bad) {
					at := time.Since(w.start)
					if w.wrong == 0 {
						w.first = at
					}
					w.wrong++
					w.last = at
					if len(w.seen) < 10 {
						w.seen = append(w.seen, fmt.Sprintf("%s answered %s at +%s", n.id, show(addrs(r)), round(at)))
					}
				}
				w.mu.Unlock()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return w
}

// halt stops the watch and waits for it.
func (w *never) halt() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}

// check stops the watch, records it in the table, and fails the test if
// the answer came.
func (w *never) check(t *testing.T, tm *timings, scenario, what string) {
	t.Helper()
	w.halt()
	w.mu.Lock()
	defer w.mu.Unlock()
	took := time.Since(w.start)
	result, note := fmt.Sprintf("%d of %d", w.wrong, w.asked), ""
	if w.wrong > 0 {
		note = fmt.Sprintf("FAILED: from +%s to +%s", round(w.first), round(w.last))
		t.Errorf("%s: %d of %d answers in %s were wrong, from +%s to +%s:\n%s", what, w.wrong, w.asked, round(took), round(w.first), round(w.last), strings.Join(w.seen, "\n"))
	}
	tm.addText(scenario, what+", answers over "+round(took).String(), result, "0", note)
}
