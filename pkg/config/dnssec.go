package config

import "time"

// ZoneDNSSEC is a zone's DNSSEC settings in the traffic document. A zone
// without it, or with Enabled false, is served unsigned. Every other
// field may be left zero, which means its default (the Default*
// constants; WithDefaults fills them in): the document keeps what the
// operator wrote, so a later release's better default reaches zones
// that never chose. The keys themselves never appear here: they live
// in the cluster store, sealed with each node's key-encryption key.
type ZoneDNSSEC struct {
	// Enabled signs the zone's answers.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Algorithm is DNSSECAlgorithmECDSAP256SHA256 (13) or
	// DNSSECAlgorithmED25519 (15), in lower case once validated.
	Algorithm string `yaml:"algorithm,omitempty" json:"algorithm,omitempty"`
	// Keys is DNSSECKeysCSK (one combined signing key) or
	// DNSSECKeysSplit (a KSK and a ZSK).
	Keys string `yaml:"keys,omitempty" json:"keys,omitempty"`
	// SignatureValidity is how long an RRSIG is valid from its
	// inception.
	SignatureValidity Duration `yaml:"signature_validity,omitempty" json:"signature_validity,omitempty"`
	// SignatureRefresh is how long before its expiry an RRSIG is made
	// again.
	SignatureRefresh Duration `yaml:"signature_refresh,omitempty" json:"signature_refresh,omitempty"`
	// InceptionBackdate puts an RRSIG's inception this far in the past,
	// so validators whose clocks run behind accept it.
	InceptionBackdate Duration `yaml:"inception_backdate,omitempty" json:"inception_backdate,omitempty"`
	// PropagationDelay is how long a change takes to reach every node
	// and secondary: rollover timings (RFC 7583) add it to the TTLs.
	PropagationDelay Duration `yaml:"propagation_delay,omitempty" json:"propagation_delay,omitempty"`
	// ParentDSTTL is the TTL, in seconds, of the zone's DS records at
	// the parent: a KSK or CSK rollover waits it out.
	ParentDSTTL uint32 `yaml:"parent_ds_ttl,omitempty" json:"parent_ds_ttl,omitempty"`
}

// DNSSEC algorithm names of ZoneDNSSEC.Algorithm, as RFC 8624 and the
// IANA registry spell them, in lower case.
const (
	DNSSECAlgorithmECDSAP256SHA256 = "ecdsap256sha256"
	DNSSECAlgorithmED25519         = "ed25519"
)

// Key layouts of ZoneDNSSEC.Keys.
const (
	// DNSSECKeysCSK is one combined signing key: one DS at the parent,
	// one key to roll.
	DNSSECKeysCSK = "csk"
	// DNSSECKeysSplit is a key-signing key, whose DS the parent holds,
	// and a zone-signing key rolled without the parent.
	DNSSECKeysSplit = "split"
)

// Defaults of ZoneDNSSEC, Knot DNS's: its rrsig-lifetime, rrsig-refresh,
// the 90 minutes by which it backdates inceptions, and its propagation-delay.
const (
	DefaultDNSSECAlgorithm         = DNSSECAlgorithmECDSAP256SHA256
	DefaultDNSSECKeys              = DNSSECKeysCSK
	DefaultDNSSECSignatureValidity = Duration(14 * 24 * time.Hour)
	DefaultDNSSECSignatureRefresh  = Duration(7 * 24 * time.Hour)
	DefaultDNSSECInceptionBackdate = Duration(90 * time.Minute)
	DefaultDNSSECPropagationDelay  = Duration(time.Hour)
	DefaultDNSSECParentDSTTL       = 86400
)

// Bounds on ZoneDNSSEC.SignatureValidity. Below an hour, signatures
// would be remade faster than caches let them go; past a year, a stolen
// signature could be replayed for that long, and RRSIG times (RFC 4034
// serial arithmetic on 32 bits) wrap after 68.
const (
	MinDNSSECSignatureValidity = Duration(time.Hour)
	MaxDNSSECSignatureValidity = Duration(365 * 24 * time.Hour)
)

// WithDefaults returns d with every field left zero set to its default.
func (d ZoneDNSSEC) WithDefaults() ZoneDNSSEC {
	orDefault(&d.Algorithm, DefaultDNSSECAlgorithm)
	orDefault(&d.Keys, DefaultDNSSECKeys)
	orDefault(&d.SignatureValidity, DefaultDNSSECSignatureValidity)
	orDefault(&d.SignatureRefresh, DefaultDNSSECSignatureRefresh)
	orDefault(&d.InceptionBackdate, DefaultDNSSECInceptionBackdate)
	orDefault(&d.PropagationDelay, DefaultDNSSECPropagationDelay)
	orDefault(&d.ParentDSTTL, DefaultDNSSECParentDSTTL)
	return d
}

// Signed reports whether z's answers are to be signed.
func (z *Zone) Signed() bool { return z.DNSSEC != nil && z.DNSSEC.Enabled }

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
