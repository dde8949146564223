package resolver

import (
	"maps"

	"github.com/miekg/dns"
)

// Signer signs the RRsets of one zone online: pkg/dnssec's ZoneSigner
// is the one gtmd serve uses. The resolver asks it for a signature of
// every RRset an answer to a query with the DO bit carries, so it must
// be quick on a repeated RRset (a cache) and safe for concurrent use.
type Signer interface {
	// Sign returns the RRSIG records covering rrset: records of one
	// owner, type, class and TTL. It must not keep or change rrset.
	Sign(rrset []dns.RR) ([]dns.RR, error)
	// DNSKEYs is the zone's DNSKEY RRset, answered at the apex.
	DNSKEYs() []dns.RR
	// CDS and CDNSKEY are the apex's CDS and CDNSKEY RRsets, empty when
	// the parent's DS is to stay as it is.
	CDS() []dns.RR
	CDNSKEY() []dns.RR
	// KeyTags are the tags of the keys that sign RRsets of rrtype now.
	KeyTags(rrtype uint16) []uint16
}

// Signing is how one zone's answers are signed.
type Signing struct {
	// Signer signs the zone's answers; nil while the zone's keys are not
	// at hand (no key-encryption key, keys not made yet).
	Signer Signer
	// Unsigned, with no Signer, answers the zone unsigned rather than
	// SERVFAIL: what an operator chooses for a node that cannot sign.
	Unsigned bool
}

// WithSigning returns a snapshot that shares s's zones and health and
// signs the zones named in signing (lower-case, fully qualified); zones
// not named are unsigned. A zone named with neither a Signer nor
// Unsigned is answered SERVFAIL, as a signed zone answered unsigned
// would fail validation at every validating resolver anyway, and
// silently.
func (s *Snapshot) WithSigning(signing map[string]Signing) *Snapshot {
	next := *s
	next.signing = nil
	if len(signing) > 0 {
		next.signing = maps.Clone(signing)
	}
	return &next
}

// signingOf returns the signing of the zone named zone and whether it
// has one.
func (s *Snapshot) signingOf(zone string) (Signing, bool) {
	sg, ok := s.signing[zone]
	return sg, ok
}

// signerOf returns the signer of zone, nil when its answers go unsigned.
func (s *Snapshot) signerOf(zone string) Signer {
	sg, _ := s.signingOf(zone)
	return sg.Signer
}

// cannotSign reports whether the zone is to be signed and has no key to
// sign with nor leave to go unsigned: its answers are SERVFAIL.
func (s *Snapshot) cannotSign(zone string) bool {
	sg, ok := s.signingOf(zone)
	return ok && sg.Signer == nil && !sg.Unsigned
}

// isKeyType reports whether rrtype is one of the apex key RRsets a
// Signer holds rather than the zone's document.
func isKeyType(rrtype uint16) bool {
	return rrtype == dns.TypeDNSKEY || rrtype == dns.TypeCDS || rrtype == dns.TypeCDNSKEY
}

// apexKeys returns the apex key RRset of rrtype from signer, nil when the
// zone is unsigned or the set is empty.
func apexKeys(signer Signer, rrtype uint16) []dns.RR {
	if signer == nil {
		return nil
	}
	switch rrtype {
	case dns.TypeDNSKEY:
		return signer.DNSKEYs()
	case dns.TypeCDS:
		return signer.CDS()
	case dns.TypeCDNSKEY:
		return signer.CDNSKEY()
	}
	return nil
}

// subZoneDS is the DS set of a zone served here below z and signed here,
// when z's document gives none at the cut: the digests (SHA-256) of the
// sub-zone's key-signing keys, so that a parent and a child served by
// the same nodes chain without the operator copying DS records between
// them. Nil for any other name.
func (s *Snapshot) subZoneDS(z *zone, name string) []dns.RR {
	cut := z.nodes.get(name)
	if cut == nil || !cut.cut || cut.lookup(dns.TypeDS) != nil {
		return nil
	}
	signer := s.signerOf(name)
	if signer == nil {
		return nil
	}
	ttl := cut.lookup(dns.TypeNS).ttl()
	var out []dns.RR
	for _, rr := range signer.DNSKEYs() {
		if k, ok := rr.(*dns.DNSKEY); ok && k.Flags&dns.SEP != 0 {
			if ds := k.ToDS(dns.SHA256); ds != nil {
				ds.Hdr.Ttl = ttl
				out = append(out, ds)
			}
		}
	}
	return out
}
