package dnssec

import (
	"fmt"
	"time"
)

// Defaults, taken from Knot DNS's signing policy so that operators who
// know Knot meet the same numbers.
const (
	// DefaultSignatureValidity is Knot's rrsig-lifetime: 14 days.
	DefaultSignatureValidity = 14 * 24 * time.Hour
	// DefaultSignatureRefresh is Knot's rrsig-refresh: a signature is
	// replaced 7 days before it expires.
	DefaultSignatureRefresh = 7 * 24 * time.Hour
	// DefaultInceptionBackdate is Knot's RRSIG_INCEPT_IN_PAST: 90
	// minutes, so validators whose clocks run behind accept new
	// signatures.
	DefaultInceptionBackdate = 90 * time.Minute
	// DefaultPropagationDelay is Knot's propagation-delay: one hour for a
	// change to reach every node.
	DefaultPropagationDelay = time.Hour
	// DefaultParentDSTTL is the TTL assumed for the DS at the parent.
	DefaultParentDSTTL = 86400
)

// Settings are a zone's signing settings. Zero values mean the defaults
// above; the config layer converts its own types into these.
type Settings struct {
	Algorithm         uint8         // 0 means ECDSAP256SHA256
	SplitKeys         bool          // KSK+ZSK instead of one CSK
	SignatureValidity time.Duration // 0: DefaultSignatureValidity
	// SignatureRefresh is how long before its expiration a signature is
	// replaced (Knot's rrsig-refresh); 0: DefaultSignatureRefresh. It must
	// exceed MaxTTL, or a signature could expire in a resolver's cache.
	SignatureRefresh  time.Duration
	InceptionBackdate time.Duration // 0: DefaultInceptionBackdate
	DNSKEYTTL         uint32        // TTL of DNSKEY/CDS/CDNSKEY (the zone's TTL)
	MaxTTL            uint32        // largest TTL of any signed RRset in the zone (for RFC 7583 timings)
	NegativeTTL       uint32        // SOA minimum, TTL of compact-denial NSECs
	PropagationDelay  time.Duration // 0: DefaultPropagationDelay; time for a change to reach every node (RFC 7583 Dprp)
	ParentDSTTL       uint32        // 0: DefaultParentDSTTL; TTL the parent gives the DS (for the CSK roll)
	// SignatureCacheSize bounds a ZoneSigner's cache of signed RRsets;
	// 0: DefaultSignatureCacheSize.
	SignatureCacheSize int
}

func (s Settings) algorithm() uint8 {
	if s.Algorithm == 0 {
		return ECDSAP256SHA256
	}
	return s.Algorithm
}

func (s Settings) validity() time.Duration {
	return orDefault(s.SignatureValidity, DefaultSignatureValidity)
}

func (s Settings) refresh() time.Duration {
	return orDefault(s.SignatureRefresh, DefaultSignatureRefresh)
}

func (s Settings) backdate() time.Duration {
	return orDefault(s.InceptionBackdate, DefaultInceptionBackdate)
}

func (s Settings) propagation() time.Duration {
	return orDefault(s.PropagationDelay, DefaultPropagationDelay)
}

// DSTTL is the TTL the parent gives the zone's DS records:
// ParentDSTTL, or DefaultParentDSTTL when it is 0. The DS lines shown to
// operators carry it, and the CSK roll waits it out.
func (s Settings) DSTTL() uint32 {
	if s.ParentDSTTL == 0 {
		return DefaultParentDSTTL
	}
	return s.ParentDSTTL
}

func (s Settings) parentDSTTL() time.Duration { return seconds(s.DSTTL()) }

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func seconds(ttl uint32) time.Duration { return time.Duration(ttl) * time.Second }

// publishInterval is RFC 7583's Ipub = Dprp + TTLkey: how long a new key
// is published before it may sign, so every cached DNSKEY RRset holds it.
func (s Settings) publishInterval() time.Duration {
	return s.propagation() + seconds(s.DNSKEYTTL)
}

// retireInterval is RFC 7583's Iret = Dsgn + Dprp + TTLsig: how long a
// key that stopped signing stays published, so no cached signature of it
// outlives its DNSKEY. Dsgn is 0: an online signer re-signs every answer
// from the moment the new signer is in place.
func (s Settings) retireInterval() time.Duration {
	ttl := max(s.MaxTTL, s.NegativeTTL, s.DNSKEYTTL)
	return s.propagation() + seconds(ttl)
}

// dsInterval is how long after the parent changed the DS every resolver
// has dropped the old one: the DS TTL and the propagation delay.
func (s Settings) dsInterval() time.Duration {
	return s.propagation() + s.parentDSTTL()
}

// Validate reports settings gtmd cannot sign with, naming the field.
func (s Settings) Validate() error {
	if !supported(s.algorithm()) {
		return fmt.Errorf("algorithm %d is not supported: want ecdsap256sha256 (13) or ed25519 (15)", s.Algorithm)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"signature validity", s.SignatureValidity}, {"signature refresh", s.SignatureRefresh}, {"inception backdate", s.InceptionBackdate}, {"propagation delay", s.PropagationDelay}} {
		if d.v < 0 {
			return fmt.Errorf("%s %s is negative", d.name, d.v)
		}
	}
	if s.refresh() >= s.validity() {
		return fmt.Errorf("signature refresh %s must be shorter than the signature validity %s", s.refresh(), s.validity())
	}
	if maxTTL := seconds(max(s.MaxTTL, s.NegativeTTL, s.DNSKEYTTL)); s.refresh() <= maxTTL {
		return fmt.Errorf("signature refresh %s must be longer than the largest TTL in the zone (%s), or signatures could expire in resolvers' caches", s.refresh(), maxTTL)
	}
	return nil
}
