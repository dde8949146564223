// Package audit is the form of one audit trail entry, shared by the
// store that keeps them and the admin API that serves them, without
// linking etcd.
package audit

import "time"

// Actions an entry records.
const (
	ActionApply           = "apply"
	ActionDrain           = "drain"
	ActionUndrain         = "undrain"
	ActionForceUp         = "force-up"
	ActionCheckStatus     = "check-status"
	ActionDNSSECRollover  = "dnssec-rollover"
	ActionDNSSECSubmitted = "dnssec-submitted"
	// ActionZoneRecords is a zone's records replaced through the API.
	ActionZoneRecords = "zone-records"
)

// DefaultKeep is how many entries the store keeps by default: the
// newest, older ones trimmed as new ones are written.
const DefaultKeep = 1000

// Anonymous is the caller's name when the API has no tokens file: only
// loopback clients reach it then.
const Anonymous = "loopback"

// Entry is one change an operator made: who, when, from where, what, to
// what, and why.
type Entry struct {
	// Who is the token's name in the tokens file, or Anonymous.
	Who string `json:"who"`
	// When is when the change was stored (RFC 3339 in JSON).
	When time.Time `json:"when"`
	// From is the client's address as the node saw it.
	From   string `json:"from"`
	Action string `json:"action"`
	// Target is SERVICE/ENDPOINT, region:NAME, a check's name, a zone,
	// or the revision an apply stored.
	Target string `json:"target"`
	Reason string `json:"reason,omitempty"`
	// Node is the node that made the change.
	Node string `json:"node,omitempty"`
}

// RegionTarget is the Target of a region-wide override.
func RegionTarget(region string) string { return "region:" + region }
