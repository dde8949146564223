package dnssec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// With testSettings: Ipub = 1m + 300s = 360s, Iret = 1m + 600s = 660s,
// the DS wait = 1m + 3600s = 3660s.
const (
	ipub   = 360 * time.Second
	iret   = 660 * time.Second
	dsWait = 3660 * time.Second
)

// rollEvent is one thing done to a KeySet at a fake time and what must
// follow: the step reached (or "" when the roll is done) and the state of
// the old and new key ("" when the key is gone).
type rollEvent struct {
	at       time.Duration // after the roll began
	do       string        // "advance" or "submitted"
	changed  bool
	step     Step
	old, new KeyState
	err      string
}

func TestRolloverTimeline(t *testing.T) {
	for _, tc := range []struct {
		name   string
		split  bool
		events []rollEvent
	}{
		{"zsk", true, []rollEvent{
			{at: 0, do: "advance", step: StepPublish, old: StateActive, new: StatePublished},
			{at: ipub - time.Second, do: "advance", step: StepPublish, old: StateActive, new: StatePublished},
			{at: ipub - time.Second, do: "submitted", step: StepPublish, old: StateActive, new: StatePublished, err: "is at step publish"},
			{at: ipub, do: "advance", changed: true, step: StepRetire, old: StateRetired, new: StateActive},
			{at: ipub + iret - time.Second, do: "advance", step: StepRetire, old: StateRetired, new: StateActive},
			{at: ipub + iret, do: "advance", changed: true, new: StateActive},
			{at: 100 * time.Hour, do: "advance", new: StateActive},
			{at: 100 * time.Hour, do: "submitted", new: StateActive, err: "no rollover is in progress"},
		}},
		{"csk", false, []rollEvent{
			{at: ipub - time.Second, do: "advance", step: StepPublish, old: StateActive, new: StatePublished},
			{at: ipub, do: "advance", changed: true, step: StepReady, old: StateRetiring, new: StateActive},
			{at: 48 * time.Hour, do: "advance", step: StepReady, old: StateRetiring, new: StateActive},
			{at: 48 * time.Hour, do: "submitted", changed: true, step: StepDSWait, old: StateRetiring, new: StateActive},
			{at: 48*time.Hour + dsWait - time.Second, do: "advance", step: StepDSWait, old: StateRetiring, new: StateActive},
			{at: 48*time.Hour + dsWait, do: "advance", changed: true, step: StepRetire, old: StateRetired, new: StateActive},
			{at: 48*time.Hour + dsWait + iret, do: "advance", changed: true, new: StateActive},
		}},
		// A node that advances late moves one step: the next wait counts
		// from then, so no step is cut short.
		{"late zsk", true, []rollEvent{
			{at: 1000 * time.Hour, do: "advance", changed: true, step: StepRetire, old: StateRetired, new: StateActive},
			{at: 1000*time.Hour + iret, do: "advance", changed: true, new: StateActive},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, s := newTestKeySet(t, ECDSAP256SHA256, tc.split)
			start := t0.Add(time.Hour)
			if err := ks.StartRollover(s, testKEK(1), testRand(50), start); err != nil {
				t.Fatal(err)
			}
			if err := ks.StartRollover(s, testKEK(1), testRand(51), start); !errors.Is(err, ErrRolloverInProgress) {
				t.Errorf("a second StartRollover: %v", err)
			}
			oldTag, newTag := ks.Rollover.Old, ks.Rollover.New
			for i, ev := range tc.events {
				now := start.Add(ev.at)
				var changed bool
				var err error
				if ev.do == "submitted" {
					err = ks.Submitted(now)
					changed = err == nil
				} else {
					changed = ks.Advance(s, now)
				}
				if ev.err != "" {
					if err == nil || !strings.Contains(err.Error(), ev.err) {
						t.Errorf("event %d: error %v, want one containing %q", i, err, ev.err)
					}
				} else if err != nil {
					t.Errorf("event %d: %v", i, err)
				}
				if changed != ev.changed {
					t.Errorf("event %d (%s at +%s): changed %v, want %v", i, ev.do, ev.at, changed, ev.changed)
				}
				var step Step
				if ks.Rollover != nil {
					step = ks.Rollover.Step
				}
				if step != ev.step {
					t.Errorf("event %d (%s at +%s): step %q, want %q", i, ev.do, ev.at, step, ev.step)
				}
				for _, k := range []struct {
					tag  uint16
					want KeyState
				}{{oldTag, ev.old}, {newTag, ev.new}} {
					var got KeyState
					if key := ks.key(k.tag); key != nil {
						got = key.State
					}
					if got != k.want {
						t.Errorf("event %d (%s at +%s): key %d is %q, want %q", i, ev.do, ev.at, k.tag, got, k.want)
					}
				}
				if err := ks.check(); err != nil {
					t.Errorf("event %d: the key set is no longer valid: %v", i, err)
				}
			}
		})
	}
}

func TestRolloverRefusals(t *testing.T) {
	ks, s := newTestKeySet(t, ECDSAP256SHA256, false)
	other := s
	other.Algorithm = ED25519
	if err := ks.StartRollover(other, testKEK(1), testRand(3), t0); err == nil || !strings.Contains(err.Error(), "algorithm rollover") {
		t.Errorf("changed algorithm: %v", err)
	}
	if err := ks.StartRollover(s, testKEK(2), testRand(3), t0); !errors.Is(err, ErrWrongKEK) {
		t.Errorf("wrong KEK: %v", err)
	}
	if ks.Rollover != nil || len(ks.Keys) != 1 {
		t.Errorf("a refused StartRollover changed the key set")
	}
}

// TestRolloverStatus: the status says what is next, or what the operator
// has to do.
func TestRolloverStatus(t *testing.T) {
	ks, s := newTestKeySet(t, ECDSAP256SHA256, false)
	if st := ks.Status(s, t0); st.Rollover != nil || len(st.Keys) != 1 || st.Keys[0].State != StateActive || !st.Keys[0].SignsKeys || !st.Keys[0].SignsZone || len(st.DS) != 1 {
		t.Errorf("status before a roll: %+v", st)
	}
	ks.StartRollover(s, testKEK(1), testRand(4), t0)
	st := ks.Status(s, t0)
	if st.Rollover == nil || st.Rollover.Step != StepPublish || !st.Rollover.Due.Equal(t0.Add(ipub)) || st.Rollover.Waiting != "" {
		t.Errorf("publish step: %+v", st.Rollover)
	}
	ks.Advance(s, t0.Add(ipub))
	st = ks.Status(s, t0.Add(ipub))
	if !st.Rollover.Due.IsZero() || st.Rollover.Waiting != "waiting for the DS at the parent: put the new DS there, then run gtmd dnssec submitted example.test." {
		t.Errorf("ready step: %+v", st.Rollover)
	}
	if len(st.DS) != 1 || !strings.Contains(st.DS[0], fmt.Sprintf(" DS %d 13 2 ", ks.Rollover.New)) {
		t.Errorf("DS during the ready step: %v, want the new key's", st.DS)
	}
}

// TestRolloverCollidingTag: a new key whose tag is taken is made again.
func TestRolloverCollidingTag(t *testing.T) {
	ks, s := newTestKeySet(t, ED25519, false)
	// Replay the source that made the first key: its first key collides.
	if err := ks.StartRollover(s, testKEK(1), testRand(ED25519), t0); err != nil {
		t.Fatal(err)
	}
	if ks.Rollover.New == ks.Rollover.Old || len(ks.Keys) != 2 {
		t.Errorf("rollover %+v with %d keys", ks.Rollover, len(ks.Keys))
	}
}

// chainStep is what a validator can see at one step of a roll.
type chainStep struct {
	label      string
	dnskeys    []dns.RR
	dnskeySigs []dns.RR
	data       []dns.RR
	dataSigs   []dns.RR
	parentDS   [][]*dns.DS // each a DS RRset some resolver may hold now
}

// TestRolloverKeepsTheChain walks whole rolls and at every step checks
// what a validator relies on: the DNSKEY RRset validates from every DS
// RRset a resolver may hold (the new one as soon as CDS shows it); the
// zone's data, negative answers and the CDS verify against it; and across
// each step, what resolvers cached from the step before still validates
// with what they fetch now (old signatures against the new DNSKEY RRset,
// new signatures against the cached old one, and the cached DNSKEY RRset
// from every DS RRset the parent may hold now). Between steps the KeySet goes through Marshal and
// ParseKeySet, as it does when another node continues the roll.
func TestRolloverKeepsTheChain(t *testing.T) {
	for _, alg := range []uint8{ECDSAP256SHA256, ED25519} {
		for _, split := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s split=%v", AlgorithmName(alg), split), func(t *testing.T) {
				ks, s := newTestKeySet(t, alg, split)
				now := t0
				parent := ks.DS(3600)
				var previousParent []*dns.DS
				var parentChanged time.Time
				var steps []chainStep
				observe := func(label string) {
					t.Helper()
					b, err := ks.Marshal()
					if err != nil {
						t.Fatal(err)
					}
					if ks, err = ParseKeySet(b); err != nil {
						t.Fatal(err)
					}
					c := &clock{now}
					z, err := ks.Signer(testKEK(1), s, c.now, nil)
					if err != nil {
						t.Fatalf("%s: %v", label, err)
					}
					st := chainStep{label: label, dnskeys: z.DNSKEYs(), parentDS: [][]*dns.DS{parent}}
					if previousParent != nil && now.Before(parentChanged.Add(s.dsInterval())) {
						st.parentDS = append(st.parentDS, previousParent)
					}
					if len(z.CDS()) > 0 {
						// A parent that scans CDS (RFC 7344), or a quick
						// operator, may put the new DS in place the moment
						// CDS appears.
						st.parentDS = append(st.parentDS, ks.DS(3600))
					}
					if st.dnskeySigs, err = z.Sign(z.DNSKEYs()); err != nil {
						t.Fatal(err)
					}
					st.data = rrs(t, "www.example.test. 60 IN A 192.0.2.1")
					if st.dataSigs, err = z.Sign(st.data); err != nil {
						t.Fatal(err)
					}
					for i, ds := range st.parentDS {
						if !dnskeysValidate(st.dnskeys, st.dnskeySigs, ds, now) {
							t.Errorf("%s: the DNSKEY RRset does not validate from the parent's DS RRset %d (%v)", label, i, ds)
						}
					}
					if verifyWith(t, st.dnskeys, st.dataSigs, st.data, now) == nil {
						t.Errorf("%s: the zone's data does not verify", label)
					}
					nx := []dns.RR{NXName("nope.example.test.", 60)}
					if sigs, err := z.Sign(nx); err != nil || verifyWith(t, st.dnskeys, sigs, nx, now) == nil {
						t.Errorf("%s: the NXNAME NSEC does not verify (%v)", label, err)
					}
					if cds := z.CDS(); len(cds) > 0 {
						sigs, err := z.Sign(cds)
						if err != nil || verifyWith(t, st.dnskeys, sigs, cds, now) == nil {
							t.Errorf("%s: the CDS RRset does not verify (%v)", label, err)
						}
						want := ks.DS(s.DNSKEYTTL)
						if len(cds) != len(want) || cds[0].(*dns.CDS).Digest != want[0].Digest || len(z.CDNSKEY()) != len(cds) {
							t.Errorf("%s: CDS %v, want the DS the parent should hold %v", label, cds, want)
						}
					}
					if n := len(steps); n > 0 {
						prev := steps[n-1]
						if verifyWith(t, prev.dnskeys, st.dataSigs, st.data, now) == nil {
							t.Errorf("%s: new data signatures do not verify with the DNSKEY RRset cached at %s", label, prev.label)
						}
						if verifyWith(t, st.dnskeys, prev.dataSigs, prev.data, now) == nil {
							t.Errorf("%s: data signatures cached at %s do not verify with the new DNSKEY RRset", label, prev.label)
						}
						for i, ds := range st.parentDS {
							if !dnskeysValidate(prev.dnskeys, prev.dnskeySigs, ds, now) {
								t.Errorf("%s: the DNSKEY RRset cached at %s does not validate from the parent's DS RRset %d (%v)", label, prev.label, i, ds)
							}
						}
					}
					steps = append(steps, st)
				}
				observe("before the roll")
				if err := ks.StartRollover(s, testKEK(1), testRand(60+alg), now); err != nil {
					t.Fatal(err)
				}
				observe("published")
				for ks.Rollover != nil {
					step := ks.Rollover.Step
					if step == StepReady {
						if len(steps[len(steps)-1].dnskeys) == 0 {
							t.Fatal("no keys")
						}
						now = now.Add(time.Hour)
						previousParent, parent, parentChanged = parent, ks.DS(3600), now
						if err := ks.Submitted(now); err != nil {
							t.Fatal(err)
						}
					} else {
						due, _ := ks.Rollover.due(s)
						now = due
						if !ks.Advance(s, now) {
							t.Fatalf("step %s did not end when due", step)
						}
					}
					label := "done"
					if ks.Rollover != nil {
						label = string(ks.Rollover.Step)
					}
					observe(label)
				}
				want := 6 // before, publish, ready, ds-wait, retire, done
				if split {
					want = 4 // before, publish, retire, done
				}
				if len(steps) != want {
					t.Errorf("%d steps observed, want %d", len(steps), want)
				}
				if n := len(steps[len(steps)-1].dnskeys); n != len(steps[0].dnskeys) {
					t.Errorf("%d keys after the roll, %d before", n, len(steps[0].dnskeys))
				}
				if a, b := steps[0].dataSigs[0].(*dns.RRSIG).KeyTag, steps[len(steps)-1].dataSigs[0].(*dns.RRSIG).KeyTag; a == b {
					t.Errorf("key %d signs the data before and after the roll", a)
				}
			})
		}
	}
}

// dnskeysValidate reports whether a DNSKEY RRset validates from a DS
// RRset: some DS names a key of the set that signed it (RFC 4035 §5.2).
func dnskeysValidate(dnskeys, sigs []dns.RR, ds []*dns.DS, now time.Time) bool {
	for _, d := range ds {
		for _, k := range dnskeys {
			dk := k.(*dns.DNSKEY)
			if got := dk.ToDS(d.DigestType); got == nil || got.KeyTag != d.KeyTag || !strings.EqualFold(got.Digest, d.Digest) {
				continue
			}
			for _, s := range sigs {
				sig := s.(*dns.RRSIG)
				if sig.KeyTag == dk.KeyTag() && sig.ValidityPeriod(now) && sig.Verify(dk, dnskeys) == nil {
					return true
				}
			}
		}
	}
	return false
}
