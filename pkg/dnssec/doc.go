// Package dnssec is gtmd's online signing: the keys of a signed zone, kept
// as a KeySet whose private parts are sealed with a key-encryption key
// (KEK), their rollover as a small state machine driven by time, and a
// ZoneSigner that signs RRsets as answers are made, caching each
// signature until it is due for refresh. It also makes the NSEC records
// of compact denial of existence (RFC 9824).
//
// The package is pure: it reads no store, no file but the KEK's, and keeps
// no state between calls other than what its values hold. Callers store a
// KeySet (Marshal, ParseKeySet) where every node sees it, call Advance
// from time to time, store what changed with a compare-and-swap, and
// build a new ZoneSigner from the KeySet they hold. Private key material
// never leaves a value unsealed: not in errors, not in formatted output,
// not in JSON.
package dnssec
