package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnssecStatus is what the tests read of GET /v1/dnssec/{zone}, the
// status `gtmd dnssec status` shows.
type dnssecStatus struct {
	Zone         string `json:"zone"`
	SigningReady bool   `json:"signing_ready"`
	Degraded     string `json:"degraded"`
	Keys         []struct {
		Tag   uint16 `json:"tag"`
		Role  string `json:"role"`
		State string `json:"state"`
	} `json:"keys"`
	Rollover *struct {
		Step       string `json:"step"`
		WaitingFor string `json:"waiting_for"`
		Hint       string `json:"hint"`
	} `json:"rollover"`
}

// statusOf asks a node for the zone's DNSSEC status.
func statusOf(n *node) (*dnssecStatus, error) {
	body, err := httpGet(n.admin + "/v1/dnssec/" + zone)
	if err != nil {
		return nil, err
	}
	var st dnssecStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return nil, fmt.Errorf("%s /v1/dnssec/%s: %w", n.id, zone, err)
	}
	return &st, nil
}

// String is a line of the status for logs and failure messages.
func (st *dnssecStatus) String() string {
	var keys []string
	for _, k := range st.Keys {
		keys = append(keys, fmt.Sprintf("%d %s %s", k.Tag, k.Role, k.State))
	}
	roll := "no rollover"
	if st.Rollover != nil {
		roll = fmt.Sprintf("rollover at %s, waiting for %q", st.Rollover.Step, st.Rollover.WaitingFor)
	}
	return fmt.Sprintf("ready %v; keys [%s]; %s", st.SigningReady, strings.Join(keys, ", "), roll)
}

// tags are the tags of the status's keys, sorted.
func (st *dnssecStatus) tags() []uint16 {
	var out []uint16
	for _, k := range st.Keys {
		out = append(out, k.Tag)
	}
	slices.Sort(out)
	return out
}

// apexKeys asks a node for the zone's DNSKEY (or CDS) RRset and returns
// the key tags it holds, sorted.
func apexKeys(n *node, qtype uint16) ([]uint16, error) {
	r, _, err := exchange(n.dns, ask{name: zone, qtype: qtype, do: true}, time.Second)
	if err != nil {
		return nil, err
	}
	var tags []uint16
	for _, rr := range r.Answer {
		switch v := rr.(type) {
		case *dns.DNSKEY:
			tags = append(tags, v.KeyTag())
		case *dns.CDS:
			tags = append(tags, v.KeyTag)
		}
	}
	slices.Sort(tags)
	return tags, nil
}

// notBefore records a rollover step that took took, and fails the test
// when it came sooner than min: the step's safety is its wait (RFC 7583),
// which why names. The poll that saw the step ran after it happened, so
// took is never shorter than the real wait.
func (e *env) notBefore(t *testing.T, sc, what string, took, min time.Duration, why string) {
	t.Helper()
	e.tm.addText(sc, what, round(took).String(), "≥ "+min.String(), "not before "+why)
	if took < min {
		t.Errorf("%s: after %s, sooner than %s = %s", what, round(took), why, min)
	}
}

// everyNode is a poll condition: cond holds for every node.
func (e *env) everyNode(cond func(n *node) error) func() error {
	return func() error {
		for _, n := range e.nodes {
			if err := cond(n); err != nil {
				return fmt.Errorf("%s: %w", n.id, err)
			}
		}
		return nil
	}
}

// Scenario 4: a CSK rollover, as an operator runs it, with the timings
// of the document (propagation delay 2 s, TTLs 5 s, parent DS TTL 5 s):
// `gtmd dnssec rollover`; the new key is published, then signs; the
// status asks for the new DS, which goes into the root zone; `gtmd dnssec
// submitted`; the old key is retired and removed. A node is stopped
// while the roll moves on and started again: it continues from the step
// the store holds. All along the validating watch asks Unbound every
// 200 ms, and the nodes directly: no answer may lose AD.
func (e *env) scenarioRollover(t *testing.T) {
	const sc = "4 rollover"
	e.baseline(t)
	first, restarted := e.nodes[0], e.nodes[1]
	st, err := statusOf(first)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Keys) != 1 || st.Rollover != nil || !st.SigningReady {
		t.Fatalf("before the rollover: %s; want one key, signing, no rollover", st)
	}
	oldTag := st.Keys[0].Tag
	w := e.watchValid(t)
	t.Cleanup(func() {
		if !restarted.proc.running() {
			_ = restarted.proc.start()
			_, _ = e.waitNodeReady(restarted, 30*time.Second)
		}
	})

	// Publish: the new key joins the DNSKEY RRset on every node.
	start := time.Now()
	out, err := e.cli("dnssec", "rollover", zone, "--admin", first.admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gtmd dnssec rollover %s:\n%s", zone, out)
	var newTag uint16
	e.measure(t, sc, start, wait{"rollover → the new key is in every node's DNSKEY RRset", 0, e.everyNode(func(n *node) error {
		tags, err := apexKeys(n, dns.TypeDNSKEY)
		if err != nil {
			return err
		}
		if len(tags) != 2 || !slices.Contains(tags, oldTag) {
			return fmt.Errorf("DNSKEY tags %v, want %d and a new one", tags, oldTag)
		}
		newTag = tags[0] + tags[1] - oldTag
		return nil
	})})
	if t.Failed() {
		return
	}

	// A node goes away while the roll moves on without it.
	w.setAway(restarted, true)
	restarted.proc.stop(5 * time.Second)
	stopped := time.Now()

	// Ready: after the propagation delay and the DNSKEY TTL the new key
	// signs, and the status asks for its DS at the parent. Not earlier:
	// a resolver could still hold the DNSKEY RRset without it.
	publish := propagationDelay + ttl
	var ready *dnssecStatus
	took, err := pollFrom(start, publish+30*time.Second, 100*time.Millisecond, func() error {
		st, err := statusOf(first)
		if err != nil {
			return err
		}
		if st.Rollover == nil || st.Rollover.WaitingFor != "ds-at-parent" {
			return fmt.Errorf("%s: %s", first.id, st)
		}
		ready = st
		return nil
	})
	if err != nil {
		t.Fatalf("the rollover never asked for the DS: %v", err)
	}
	e.notBefore(t, sc, "rollover → the status asks for the new DS at the parent", took, publish, "propagation delay + DNSKEY TTL")
	t.Logf("waiting for the DS: %s; hint: %q", ready, ready.Rollover.Hint)

	// The stopped node comes back and carries on from the store's step.
	down := time.Since(stopped)
	su, took, err := e.startWatched(restarted)
	if err != nil {
		t.Fatalf("%s after its restart: %v", restarted.id, err)
	}
	e.tm.add(sc, restarted.id+" stopped during the publish step, restarted → ready, signing", took, 0, fmt.Sprintf("down %s", round(down)))
	e.tm.addText(sc, restarted.id+" restarted: SERVFAIL answers after /readyz said ready", fmt.Sprintf("%d of %d", su.servfailReady, su.answered), "0",
		fmt.Sprintf("%d SERVFAIL before it was ready", su.servfail-su.servfailReady))
	if su.servfail > 0 {
		t.Logf("%s restarted: %d of %d answers SERVFAIL; the first: %s", restarted.id, su.servfail, su.answered, su.first)
	}
	if su.servfailReady > 0 {
		t.Errorf("%s restarted: %d answers SERVFAIL after its /readyz said ready (%s)", restarted.id, su.servfailReady, su.first)
	}
	if st, err := statusOf(restarted); err != nil {
		t.Error(err)
	} else if st.Rollover == nil || st.Rollover.WaitingFor != "ds-at-parent" || !slices.Equal(st.tags(), ready.tags()) {
		t.Errorf("%s after its restart: %s; want the store's step: %s", restarted.id, st, ready)
	}
	w.setAway(restarted, false)

	// CDS shows the new key on every node, and gtmd dnssec ds prints it.
	out, err = e.cli("dnssec", "ds", zone, "--admin", restarted.admin)
	if err != nil {
		t.Fatal(err)
	}
	newDS, err := parseDS(out)
	if err != nil {
		t.Fatalf("gtmd dnssec ds %s during the rollover: %v", zone, err)
	}
	if len(newDS) != 1 || !strings.Contains(dsRdata(newDS[0]), fmt.Sprintf("%d ", newTag)) {
		t.Fatalf("gtmd dnssec ds %s waiting for the new DS prints %v, want the DS of key %d", zone, newDS, newTag)
	}
	if err := e.everyNode(func(n *node) error {
		tags, err := apexKeys(n, dns.TypeCDS)
		if err != nil {
			return err
		}
		if !slices.Equal(tags, []uint16{newTag}) {
			return fmt.Errorf("CDS tags %v, want %d", tags, newTag)
		}
		return nil
	})(); err != nil {
		t.Errorf("CDS while the new DS is pending: %v", err)
	}
	if out, err := e.cli("dnssec", "status", zone, "--admin", e.nodes[2].admin); err != nil {
		t.Error(err)
	} else {
		t.Logf("gtmd dnssec status %s, waiting for the DS:\n%s", zone, out)
	}

	// The operator replaces the DS at the parent, then tells gtmd.
	took = e.setRootDS(t, newDS)
	e.tm.add(sc, "new DS in the root zone → Knot serves it, signed", took, 0, "knotc zone-reload")
	submitted := time.Now()
	if out, err := e.cli("dnssec", "submitted", zone, "--admin", e.nodes[2].admin); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("gtmd dnssec submitted %s:\n%s", zone, out)
	}

	// Retire, then remove: not before the old DS has left every cache
	// (parent DS TTL + propagation delay) and then every signature of the
	// old key (propagation delay + the largest TTL).
	removal := parentDSTTL + propagationDelay + propagationDelay + ttl
	took, err = pollFrom(submitted, removal+30*time.Second, 100*time.Millisecond, e.everyNode(func(n *node) error {
		st, err := statusOf(n)
		if err != nil {
			return err
		}
		if st.Rollover != nil || !slices.Equal(st.tags(), []uint16{newTag}) {
			return fmt.Errorf("%s", st)
		}
		tags, err := apexKeys(n, dns.TypeDNSKEY)
		if err != nil {
			return err
		}
		if !slices.Equal(tags, []uint16{newTag}) {
			return fmt.Errorf("DNSKEY tags %v, want %d alone", tags, newTag)
		}
		return nil
	}))
	if err != nil {
		t.Fatalf("the old key was never removed: %v", err)
	}
	e.notBefore(t, sc, "submitted → the old key is removed from every node", took, removal, "DS TTL + 2 × propagation delay + TTL")

	// The watch goes on for a TTL and the resolver's second, when nothing
	// signed by the old key can be in a cache any more.
	time.Sleep(ttl + resolverClock)
	w.check(t, sc)
	e.tm.addText(sc, "rollover, all told", round(time.Since(start)).String(), "", fmt.Sprintf("key %d → key %d", oldTag, newTag))
}
