package admin

import (
	"context"
	"time"
)

// DNSSECBackend is the part of a Backend that serves DNSSEC; pkg/node
// implements it. It is optional: New finds it by type assertion, and
// without it the /v1/dnssec calls answer 501, so a Backend that does not
// sign zones needs no stubs.
type DNSSECBackend interface {
	// DNSSECDS returns the DS records the parent should hold for zone, in
	// zone-file presentation format, one per line ("example.com. 3600 IN
	// DS 12345 13 2 ABCD..."), owner with its final dot. ErrNotFound when
	// the zone is not served or not signed.
	DNSSECDS(ctx context.Context, zone string) (string, error)
	// DNSSECStatus describes the zone's keys, signing readiness and
	// rollover; ErrNotFound when the zone is not served.
	DNSSECStatus(ctx context.Context, zone string) (*DNSSECStatus, error)
	// DNSSECRollover starts a key rollover (of the CSK, or of the ZSK with
	// split keys); ErrConflict when one is in progress.
	DNSSECRollover(ctx context.Context, zone string) (*DNSSECStatus, error)
	// DNSSECSubmitted records that the operator has published the new DS
	// at the parent; ErrConflict when no rollover waits for it.
	DNSSECSubmitted(ctx context.Context, zone string) (*DNSSECStatus, error)
}

// Roles of a DNSSEC key.
const (
	DNSSECRoleCSK = "csk" // one combined signing key signs everything
	DNSSECRoleKSK = "ksk" // signs the DNSKEY RRset only, with keys: split
	DNSSECRoleZSK = "zsk" // signs the rest, with keys: split
)

// DNSSECWaitingForDS is what a rollover waits for while the parent does
// not yet hold the new key's DS: the operator says so with
// POST /v1/dnssec/{zone}/submitted.
const DNSSECWaitingForDS = "ds-at-parent"

// DNSSECStatus is the answer to GET /v1/dnssec/{zone} and to the
// rollover calls: what the zone is signed with and whether it can be.
type DNSSECStatus struct {
	// Zone is the zone's name, lower case with its final dot.
	Zone    string `json:"zone"`
	Enabled bool   `json:"enabled"`
	// SigningReady is false while the node cannot sign the zone, such as
	// without the key-encryption key; Degraded says why.
	SigningReady bool   `json:"signing_ready"`
	Degraded     string `json:"degraded,omitempty"`
	// Algorithm is the zone's algorithm as the traffic document names it
	// (ecdsap256sha256, ed25519).
	Algorithm string            `json:"algorithm"`
	Keys      []DNSSECKeyStatus `json:"keys"`
	// Rollover is the rollover in progress, if any.
	Rollover   *DNSSECRolloverStatus `json:"rollover,omitempty"`
	Signatures DNSSECSignatureStatus `json:"signatures"`
}

// DNSSECKeyStatus is one key of a zone. Only public facts: private keys
// never leave the node.
type DNSSECKeyStatus struct {
	Tag       uint16 `json:"tag"`
	Algorithm string `json:"algorithm"`
	// Role is csk, ksk or zsk.
	Role string `json:"role"`
	// State is the key's state in the rollover timeline (RFC 7583), such
	// as published, active, retiring or retired.
	State string `json:"state"`
	// Since is when the key entered State.
	Since time.Time `json:"since,omitzero"`
}

// DNSSECRolloverStatus is a key rollover in progress.
type DNSSECRolloverStatus struct {
	// Step is the rollover's current step, such as publish, ds-wait or retire.
	Step    string    `json:"step"`
	Started time.Time `json:"started"`
	// NextStepAt is the earliest time the next step may be taken, when
	// time is what it waits for.
	NextStepAt time.Time `json:"next_step_at,omitzero"`
	// WaitingFor names what the rollover waits for besides time, such as
	// DNSSECWaitingForDS.
	WaitingFor string `json:"waiting_for,omitempty"`
	// Hint says what the operator should do now, if anything.
	Hint string `json:"hint,omitempty"`
}

// DNSSECSignatureStatus is about the signatures the node serves.
type DNSSECSignatureStatus struct {
	// OldestExpiry is when the first of them expires; zero before any.
	OldestExpiry time.Time `json:"oldest_expiry,omitzero"`
}

// DNSSECChanged is the event of a rollover started or a DS submitted
// through the API: a DNSSECBackend publishes it to Subscribe's channels
// as it publishes an override's EndpointStatus. Its JSON is the zone's
// status with the action that changed it.
type DNSSECChanged struct {
	// Action is DNSSECActionRollover or DNSSECActionSubmitted.
	Action string `json:"action"`
	DNSSECStatus
}

// Actions of a DNSSECChanged.
const (
	DNSSECActionRollover  = "rollover"
	DNSSECActionSubmitted = "submitted"
)

// EventType is "dnssec".
func (DNSSECChanged) EventType() string { return "dnssec" }
