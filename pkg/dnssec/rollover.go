package dnssec

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Rollover is a key roll in progress (RFC 7583 pre-publication): which
// role is rolled, the old and the new key, and the step reached since
// when. When the next step is due follows from the step, Since and the
// zone's Settings, so a node with other TTLs in its document computes
// the waits from those.
type Rollover struct {
	Role  Role      `json:"role"`
	Old   uint16    `json:"old"`
	New   uint16    `json:"new"`
	Step  Step      `json:"step"`
	Since time.Time `json:"since"`
}

// Step is a step of a rollover. A ZSK roll goes publish → retire → done;
// a CSK roll goes publish → ready → ds-wait → retire → done.
type Step string

// The steps.
const (
	// StepPublish: the new key is in the DNSKEY RRset; a new CSK signs
	// that RRset (and nothing else), a new ZSK signs nothing. It waits
	// Ipub (propagation delay + DNSKEY TTL) so every cached DNSKEY RRset
	// holds it, signed by it when it is a CSK.
	StepPublish Step = "publish"
	// StepReady (CSK): the new key signs everything, the old one still
	// signs the DNSKEY RRset; CDS and CDNSKEY show the new key's DS. It
	// waits for the operator to put that DS at the parent (Submitted).
	StepReady Step = "ready"
	// StepDSWait (CSK): the parent has the new DS; it waits the parent's
	// DS TTL and the propagation delay so no resolver holds the old DS.
	StepDSWait Step = "ds-wait"
	// StepRetire: the old key signs nothing and stays published for Iret
	// (propagation delay + largest TTL) so no cached signature of it
	// outlives its DNSKEY; then it is removed and the roll is done.
	StepRetire Step = "retire"
)

func (st Step) valid(r Role) bool {
	switch st {
	case StepPublish, StepRetire:
		return true
	case StepReady, StepDSWait:
		return r == RoleCSK
	}
	return false
}

// wait is how long step st lasts under s; ok is false for a step that
// waits for the operator instead.
func (st Step) wait(s Settings) (d time.Duration, ok bool) {
	switch st {
	case StepPublish:
		return s.publishInterval(), true
	case StepDSWait:
		return s.dsInterval(), true
	case StepRetire:
		return s.retireInterval(), true
	}
	return 0, false
}

// due is when the rollover's current step ends; ok is false while it
// waits for the operator.
func (r *Rollover) due(s Settings) (time.Time, bool) {
	d, ok := r.Step.wait(s)
	return r.Since.Add(d), ok
}

// ErrRolloverInProgress is returned by StartRollover while a roll runs.
var ErrRolloverInProgress = errors.New("a key rollover is already in progress")

// StartRollover begins a roll of the ZSK (split keys) or of the CSK: a new
// key of the same algorithm is made and published. The KSK of split keys
// is not rolled by gtmd.
func (ks *KeySet) StartRollover(s Settings, kek KEK, rand io.Reader, now time.Time) error {
	if ks.Rollover != nil {
		return fmt.Errorf("zone %s: %w (step %s since %s)", ks.Zone, ErrRolloverInProgress, ks.Rollover.Step, ks.Rollover.Since.Format(time.RFC3339))
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("starting a key rollover of zone %s: %w", ks.Zone, err)
	}
	role := RoleCSK
	for i := range ks.Keys {
		if ks.Keys[i].Role == RoleZSK {
			role = RoleZSK
		}
	}
	var old *Key
	for i := range ks.Keys {
		if k := &ks.Keys[i]; k.Role == role && k.State == StateActive {
			old = k
		}
	}
	if old == nil {
		return fmt.Errorf("starting a key rollover of zone %s: no active %s", ks.Zone, role)
	}
	if old.Algorithm != s.algorithm() {
		return fmt.Errorf("starting a key rollover of zone %s: the keys are %s and the settings ask for %s; changing the algorithm needs an algorithm rollover, which gtmd does not do", ks.Zone, AlgorithmName(old.Algorithm), AlgorithmName(s.algorithm()))
	}
	if kek.ID() != ks.KEKID {
		return fmt.Errorf("starting a key rollover of zone %s: %w (the keys were sealed with KEK %s, this one is %s)", ks.Zone, ErrWrongKEK, ks.KEKID, kek.ID())
	}
	oldTag := old.Tag
	k, err := ks.newKey(role, old.Algorithm, kek, rand, now, StatePublished)
	if err != nil {
		return err
	}
	ks.Keys = append(ks.Keys, k)
	ks.Rollover = &Rollover{Role: role, Old: oldTag, New: k.Tag, Step: StepPublish, Since: now.UTC()}
	return nil
}

// Submitted records that the operator has put the new DS at the parent
// (like `knotc zone-ksk-submitted`). It is an error in any other step
// than a CSK roll's ready.
func (ks *KeySet) Submitted(now time.Time) error {
	if ks.Rollover == nil || ks.Rollover.Step != StepReady {
		step := "no rollover is in progress"
		if ks.Rollover != nil {
			step = fmt.Sprintf("the rollover is at step %s", ks.Rollover.Step)
		}
		return fmt.Errorf("zone %s is not waiting for a DS at the parent: %s", ks.Zone, step)
	}
	ks.enter(StepDSWait, now)
	return nil
}

// Advance moves the rollover on to every step whose time has come at now
// and reports whether the KeySet changed; the caller then stores it with
// a compare-and-swap, so that one node's write lands. Each step's wait
// counts from when it was entered (not from when it was due), so a late
// Advance lengthens a step and never shortens the next.
func (ks *KeySet) Advance(s Settings, now time.Time) (changed bool) {
	for ks.Rollover != nil {
		due, ok := ks.Rollover.due(s)
		if !ok || now.Before(due) {
			break
		}
		ks.next(now)
		changed = true
	}
	return changed
}

// next moves the rollover one step on at now.
func (ks *KeySet) next(now time.Time) {
	r := ks.Rollover
	switch {
	case r.Step == StepPublish && r.Role == RoleZSK:
		ks.setState(r.New, StateActive, now)
		ks.setState(r.Old, StateRetired, now)
		ks.enter(StepRetire, now)
	case r.Step == StepPublish:
		ks.setState(r.New, StateActive, now)
		ks.setState(r.Old, StateRetiring, now)
		ks.enter(StepReady, now)
	case r.Step == StepDSWait:
		ks.setState(r.Old, StateRetired, now)
		ks.enter(StepRetire, now)
	case r.Step == StepRetire:
		ks.remove(r.Old)
		ks.Rollover = nil
	}
}

func (ks *KeySet) enter(st Step, now time.Time) {
	ks.Rollover.Step = st
	ks.Rollover.Since = now.UTC()
}

func (ks *KeySet) setState(tag uint16, st KeyState, now time.Time) {
	if k := ks.key(tag); k != nil {
		k.State, k.Since = st, now.UTC()
	}
}

func (ks *KeySet) remove(tag uint16) {
	for i := range ks.Keys {
		if ks.Keys[i].Tag == tag {
			ks.Keys = append(ks.Keys[:i], ks.Keys[i+1:]...)
			return
		}
	}
}

// dsPending reports whether the parent should change its DS now: a CSK
// roll waiting for Submitted. CDS and CDNSKEY are published only then.
func (ks *KeySet) dsPending() bool {
	return ks.Rollover != nil && ks.Rollover.Step == StepReady
}
