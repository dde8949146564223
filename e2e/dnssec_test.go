package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestSignedZone runs the zone signed, through a validating chain that
// knows nothing of gtmd: Knot signs the root zone, which holds the DS
// records `gtmd dnssec ds` printed; Unbound validates from the root's key
// and delv validates on its own. Every kind of answer must validate, a
// tampered one must not, and that holds through a failover and through a
// key rollover during which a node restarts.
func TestSignedZone(t *testing.T) {
	e := newSignedEnv(t)
	defer e.tm.print(t, fmt.Sprintf("gtmd signed e2e (TTL %s, propagation delay %s, parent DS TTL %s; Unbound validates from the root's key)", ttl, propagationDelay, parentDSTTL))
	t.Run("1_answers_validate", e.scenarioSignedAnswers)
	t.Run("2_tampered_answer", e.scenarioTampered)
	t.Run("3_failover_validates", e.scenarioSignedFailover)
	t.Run("4_rollover", e.scenarioRollover)
}

// signedCase is one kind of answer: the question, the rcodes that are
// right, and what the answer must hold.
type signedCase struct {
	what   string
	q      ask
	rcodes []int
	// check looks at the answer of Unbound and of each node; "" when
	// right, else what is wrong.
	check func(r *dns.Msg) string
	// direct, when set, checks a node's answer further.
	direct func(r *dns.Msg) error
}

func addrsAre(want ...string) func(*dns.Msg) string {
	slices.Sort(want)
	return func(r *dns.Msg) string {
		if got := addrs(r); !slices.Equal(got, want) {
			return fmt.Sprintf("addresses %s, want %s", show(got), show(want))
		}
		return ""
	}
}

func answerOf(qtype uint16, n int) func(*dns.Msg) string {
	return func(r *dns.Msg) string {
		got := 0
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == qtype {
				got++
			}
		}
		if got < n {
			return fmt.Sprintf("answer %s, want %d %s at least", brief(r.Answer), n, dns.TypeToString[qtype])
		}
		return ""
	}
}

func noAnswer(r *dns.Msg) string {
	if addrs(r) != nil {
		return "answer " + brief(r.Answer) + ", want none"
	}
	return ""
}

// signedCases are the kinds of answer the zone gives.
func (e *env) signedCases() []signedCase {
	noError := []int{dns.RcodeSuccess}
	missing := missingName()
	return []signedCase{
		{"www A, US client", wwwFrom(usClient, true), noError, addrsAre(usWWW), nil},
		{"www A, DE client", wwwFrom(deClient, true), noError, addrsAre(euWWW), nil},
		{"www AAAA, US client", ask{name: wwwName, qtype: dns.TypeAAAA, ecs: usClient, rd: true}, noError, addrsAre(usWWW6), nil},
		{"www AAAA, DE client", ask{name: wwwName, qtype: dns.TypeAAAA, ecs: deClient, rd: true}, noError, addrsAre(euWWW6), nil},
		{"api A, US client (failover)", apiFrom(usClient, true), noError, addrsAre(usAPI), nil},
		{"api A, DE client (failover)", apiFrom(deClient, true), noError, addrsAre(usAPI), nil},
		{"a wildcard name", ask{name: uniqueName(), qtype: dns.TypeA, rd: true}, noError, addrsAre(wildA), nil},
		// Compact denial: NOERROR (NXDOMAIN only for a client that sets
		// the CO flag, which Unbound does not), whatever Unbound makes of
		// it, with AD.
		{"a missing name", ask{name: missing, qtype: dns.TypeA, rd: true}, []int{dns.RcodeSuccess, dns.RcodeNameError}, noAnswer,
			func(r *dns.Msg) error { return compactDenial(r, missing, 0) }},
		{"NODATA: www TXT", ask{name: wwwName, qtype: dns.TypeTXT, rd: true}, noError, noAnswer,
			func(r *dns.Msg) error { return compactDenial(r, wwwName, dns.TypeTXT) }},
		{"NODATA: api AAAA", ask{name: apiName, qtype: dns.TypeAAAA, rd: true}, noError, noAnswer,
			func(r *dns.Msg) error { return compactDenial(r, apiName, dns.TypeAAAA) }},
		{"apex SOA", ask{name: zone, qtype: dns.TypeSOA, rd: true}, noError, answerOf(dns.TypeSOA, 1), nil},
		{"apex NS", ask{name: zone, qtype: dns.TypeNS, rd: true}, noError, answerOf(dns.TypeNS, 3), nil},
		{"apex DNSKEY", ask{name: zone, qtype: dns.TypeDNSKEY, rd: true}, noError, answerOf(dns.TypeDNSKEY, 1), nil},
		{"apex TXT", ask{name: zone, qtype: dns.TypeTXT, rd: true}, noError, answerOf(dns.TypeTXT, 1), nil},
		{"glue name A", ask{name: "ns1." + zone, qtype: dns.TypeA, rd: true}, noError, addrsAre(e.nodes[0].ip), nil},
	}
}

// Scenario 1: every kind of answer validates through Unbound (AD), delv
// says "fully validated", and each node's own answer carries signatures
// that verify from the root's DS. Without DO, no signatures.
func (e *env) scenarioSignedAnswers(t *testing.T) {
	const sc = "1 answers validate"
	if r, err := secure(e.resAddr, ask{name: ".", qtype: dns.TypeSOA}, 5*time.Second); err != nil {
		t.Fatalf("the root zone itself does not validate: %v", err)
	} else if answerOf(dns.TypeSOA, 1)(r) != "" {
		t.Fatalf(". SOA through Unbound: %v", r)
	}
	ds := e.signed.parentDS()
	validated := 0
	cases := e.signedCases()
	for _, c := range cases {
		r, err := secure(e.resAddr, c.q, 5*time.Second, c.rcodes...)
		switch {
		case err != nil:
			t.Errorf("%s: %v\nUnbound's validation log:\n%s", c.what, err, validationLog(e.resolver.log, 5))
		case c.check(r) != "":
			t.Errorf("%s through Unbound: %s", c.what, c.check(r))
		default:
			validated++
		}
		for _, n := range e.nodes {
			q := c.q
			q.rd, q.do = false, true
			r, err := askTwice(n.dns, q)
			if err != nil {
				t.Errorf("%s from %s: %v", c.what, n.id, err)
				continue
			}
			if !r.Authoritative || !slices.Contains(c.rcodes, r.Rcode) {
				t.Errorf("%s from %s: %s, aa %v", c.what, n.id, dns.RcodeToString[r.Rcode], r.Authoritative)
			}
			if msg := c.check(r); msg != "" {
				t.Errorf("%s from %s: %s", c.what, n.id, msg)
			}
			if c.direct != nil {
				if err := c.direct(r); err != nil {
					t.Errorf("%s from %s: %v:\n%v", c.what, n.id, err, r)
				}
			}
			if _, err := signedBy(n.dns, r, ds, time.Now()); err != nil {
				t.Errorf("%s from %s: %v", c.what, n.id, err)
			}
		}
	}
	e.tm.addText(sc, "kinds of answer validated through Unbound (AD)", fmt.Sprintf("%d of %d", validated, len(cases)), fmt.Sprint(len(cases)), "")

	// The operator's view: explain says which key signs the answer.
	if st, err := statusOf(e.nodes[0]); err != nil || len(st.Keys) != 1 {
		t.Errorf("%s DNSSEC status: %v %v", e.nodes[0].id, st, err)
	} else if out, err := e.cli("explain", wwwName, "A", "--ecs", usClient.String(), "--admin", e.nodes[0].admin); err != nil {
		t.Error(err)
	} else if line := lineWith(out, "signed:"); !strings.Contains(line, fmt.Sprint(st.Keys[0].Tag)) {
		t.Errorf("gtmd explain %s A does not say it is signed with key %d (%q):\n%s", wwwName, st.Keys[0].Tag, line, out)
	} else {
		t.Logf("gtmd explain %s A --ecs %s:\n%s", wwwName, usClient, out)
	}

	// A delegation to an unsigned child is proven insecure.
	e.checkUnsignedChild(t)

	// DO unset: the answer is the unsigned one (RFC 3225).
	for _, n := range e.nodes {
		r, _, err := exchange(n.dns, wwwFrom(usClient, false), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range [][]dns.RR{r.Answer, r.Ns, r.Extra} {
			for _, rr := range sec {
				if rr.Header().Rrtype == dns.TypeRRSIG || rr.Header().Rrtype == dns.TypeNSEC {
					t.Errorf("%s: www A without DO holds %s", n.id, rr)
				}
			}
		}
	}

	// delv validates on its own from the root's key, asking Unbound for
	// the records and the keys.
	full := 0
	delvCases := []struct{ name, qtype string }{
		{wwwName, "A"}, {apiName, "A"}, {zone, "DNSKEY"}, {zone, "SOA"}, {missingName(), "A"}, {wwwName, "TXT"},
	}
	for _, c := range delvCases {
		out, err := e.delv(e.resAddr, c.name, c.qtype)
		switch {
		case err != nil:
			t.Errorf("%v", err)
		case !strings.Contains(out, "; fully validated") && !strings.Contains(out, "; negative response, fully validated"):
			t.Errorf("delv @%s %s %s does not say fully validated:\n%s", e.resAddr, c.name, c.qtype, out)
		default:
			full++
			t.Logf("delv @%s %s %s:\n%s", e.resAddr, c.name, c.qtype, out)
		}
	}
	e.tm.addText(sc, "delv: fully validated", fmt.Sprintf("%d of %d", full, len(delvCases)), fmt.Sprint(len(delvCases)), "www A, api A, DNSKEY, SOA, a missing name, NODATA")
}

// Scenario 3: the us-east target fails and comes back (scenario 2 of the
// unsigned suite, with its bounds) while the validating watch asks: the
// answers move, and every one of them, before, during and after, through
// Unbound and from each node, validates.
func (e *env) scenarioSignedFailover(t *testing.T) {
	const sc = "3 failover validates"
	e.baseline(t)
	w := e.watchValid(t)
	e.scenarioRegionFails(t)
	w.check(t, sc)
	for _, c := range []struct{ what, addr string }{
		{"www A, US client", usWWW},
		{"www A, US client", euWWW},
		{"api A, US client", usAPI},
		{"api A, US client", euAPI},
	} {
		n := w.saw(c.what, c.addr)
		e.tm.addText(sc, fmt.Sprintf("Unbound, validated: %s is %s", c.what, c.addr), fmt.Sprintf("%d answers", n), "> 0", "")
		if n == 0 {
			t.Errorf("the watch never had a validated answer %s to %s through Unbound", c.addr, c.what)
		}
	}
	for _, n := range e.nodes {
		if w.saw(n.id+" www A, US client", euWWW) == 0 {
			t.Errorf("the watch never had a signed answer %s for US clients from %s", euWWW, n.id)
		}
	}
}
