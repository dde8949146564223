package admintest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// DNSSEC is a Backend that also implements admin.DNSSECBackend: every
// zone of its document is signed with one CSK of algorithm
// ecdsap256sha256. A rollover publishes a second key and waits for its
// DS at the parent; submitted retires the old key and leaves the
// rollover at its last step, so that neither call can be repeated. Its
// DS records are made up (their digests are of the zone's name), fit for
// the API's tests, not for a validator.
type DNSSEC struct {
	*Backend
	// Guarded by Backend.mu.
	zones map[string]*admin.DNSSECStatus
	calls []string
}

var _ admin.DNSSECBackend = (*DNSSEC)(nil)

// FirstKeyTag is the tag of every zone's first key; a rollover's new
// key takes the next tag.
const FirstKeyTag = 12345

// NewDNSSEC returns New(nodeID, doc) with every zone signed.
func NewDNSSEC(nodeID string, doc *config.Traffic) *DNSSEC {
	d := &DNSSEC{Backend: New(nodeID, doc), zones: map[string]*admin.DNSSECStatus{}}
	now := time.Now().UTC()
	for _, z := range d.doc.Zones {
		d.zones[z.Name] = &admin.DNSSECStatus{
			Zone: z.Name, Enabled: true, SigningReady: true, Algorithm: "ecdsap256sha256",
			Keys:       []admin.DNSSECKeyStatus{{Tag: FirstKeyTag, Algorithm: "ecdsap256sha256", Role: admin.DNSSECRoleCSK, State: "active", Since: now}},
			Signatures: admin.DNSSECSignatureStatus{OldestExpiry: now.Add(14 * 24 * time.Hour)},
		}
	}
	return d
}

// NewDNSSECServer is NewServer over d.
func NewDNSSECServer(tb testing.TB, d *DNSSEC, opts admin.Options) *httptest.Server {
	tb.Helper()
	return serve(tb, d, d.nodeID, opts)
}

// Calls returns the zone of every DNSSEC call so far, as the call got it.
func (d *DNSSEC) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

// SetDegraded makes zone's signing not ready, saying why ("" makes it
// ready again).
func (d *DNSSEC) SetDegraded(zone, why string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st := d.zones[zone]; st != nil {
		st.SigningReady, st.Degraded = why == "", why
	}
}

// zoneLocked records the call and returns the zone's status.
func (d *DNSSEC) zoneLocked(zone string) (*admin.DNSSECStatus, error) {
	d.calls = append(d.calls, zone)
	if d.err != nil {
		return nil, d.err
	}
	st := d.zones[zone]
	if st == nil {
		return nil, fmt.Errorf("zone %s is not served: %w", zone, admin.ErrNotFound)
	}
	return st, nil
}

// DNSSECDS implements admin.DNSSECBackend: one DS per key that is not
// retired.
func (d *DNSSEC) DNSSECDS(_ context.Context, zone string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := d.zoneLocked(zone)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, k := range st.Keys {
		if k.State != "retired" {
			fmt.Fprintf(&b, "%s\t3600\tIN\tDS\t%d 13 2 %X\n", zone, k.Tag, sha256.Sum256([]byte(fmt.Sprint(zone, k.Tag))))
		}
	}
	return b.String(), nil
}

// DNSSECStatus implements admin.DNSSECBackend.
func (d *DNSSEC) DNSSECStatus(_ context.Context, zone string) (*admin.DNSSECStatus, error) {
	return d.change(zone, "", nil)
}

// DNSSECRollover implements admin.DNSSECBackend: it publishes a new CSK
// and waits for its DS.
func (d *DNSSEC) DNSSECRollover(_ context.Context, zone string) (*admin.DNSSECStatus, error) {
	return d.change(zone, admin.DNSSECActionRollover, func(st *admin.DNSSECStatus, now time.Time) error {
		if st.Rollover != nil {
			return fmt.Errorf("zone %s: a key rollover is in progress (step %s): %w", zone, st.Rollover.Step, admin.ErrConflict)
		}
		st.Keys = append(st.Keys, admin.DNSSECKeyStatus{Tag: st.Keys[len(st.Keys)-1].Tag + 1, Algorithm: st.Algorithm, Role: admin.DNSSECRoleCSK, State: "published", Since: now})
		st.Rollover = &admin.DNSSECRolloverStatus{Step: "ds-wait", Started: now, WaitingFor: admin.DNSSECWaitingForDS,
			Hint: "publish the new DS at the parent (gtmd dnssec ds " + zone + "), then run gtmd dnssec submitted " + zone}
		return nil
	})
}

// DNSSECSubmitted implements admin.DNSSECBackend: the new key becomes
// active, the old one retired.
func (d *DNSSEC) DNSSECSubmitted(_ context.Context, zone string) (*admin.DNSSECStatus, error) {
	return d.change(zone, admin.DNSSECActionSubmitted, func(st *admin.DNSSECStatus, now time.Time) error {
		if st.Rollover == nil || st.Rollover.WaitingFor != admin.DNSSECWaitingForDS {
			return fmt.Errorf("zone %s: no key rollover waits for a DS at the parent: %w", zone, admin.ErrConflict)
		}
		for i := range st.Keys {
			k := &st.Keys[i]
			k.Since = now
			if k.State == "published" {
				k.State = "active"
			} else {
				k.State = "retired"
			}
		}
		st.Rollover.Step, st.Rollover.WaitingFor = "retire", ""
		st.Rollover.NextStepAt = now.Add(time.Hour)
		st.Rollover.Hint = "nothing: the old key is removed at next_step_at"
		return nil
	})
}

// change applies fn to zone's status and, when it succeeds, publishes the
// event of action; a nil fn changes nothing and publishes nothing. It
// returns a copy of the status.
func (d *DNSSEC) change(zone, action string, fn func(st *admin.DNSSECStatus, now time.Time) error) (*admin.DNSSECStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := d.zoneLocked(zone)
	if err != nil {
		return nil, err
	}
	if fn != nil {
		if err := fn(st, time.Now().UTC()); err != nil {
			return nil, err
		}
		d.events.Send(admin.DNSSECChanged{Action: action, DNSSECStatus: *cloneStatus(st)})
	}
	return cloneStatus(st), nil
}

func cloneStatus(st *admin.DNSSECStatus) *admin.DNSSECStatus {
	c := *st
	c.Keys = slices.Clone(st.Keys)
	if st.Rollover != nil {
		r := *st.Rollover
		c.Rollover = &r
	}
	return &c
}
