package dnssec

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// DefaultSignatureCacheSize is how many signed RRsets a ZoneSigner keeps
// when Settings.SignatureCacheSize is 0: at a few hundred bytes each,
// some tens of megabytes at most.
const DefaultSignatureCacheSize = 65536

// ZoneSigner signs RRsets of one zone with the keys a KeySet's timeline
// gives at the time it was made. It is safe for concurrent use. A new
// KeySet (a rollover step) means a new ZoneSigner.
type ZoneSigner struct {
	zone     string
	settings Settings
	now      func() time.Time
	m        *zoneMetrics

	keySigners  []*signingKey // sign DNSKEY, CDS, CDNSKEY
	zoneSigners []*signingKey // sign everything else
	dnskeys     []dns.RR
	cds         []dns.RR
	cdnskey     []dns.RR

	cache *sigCache
	bufs  sync.Pool // *keyBuf
}

// signingKey is an opened private key; it formats without its secret.
type signingKey struct {
	tag    uint16
	alg    uint8
	signer crypto.Signer
}

// Format hides the private key under every verb.
func (k *signingKey) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "key(%d)", k.tag) }

// Signer opens the private keys with kek and returns the zone's signer:
// which keys publish, which sign the DNSKEY RRset and which sign the rest
// follow from the keys' states, which only Advance, Submitted and
// StartRollover move. now (time.Now when nil) gives the signing time of
// every signature. A KEK other than the one that sealed the keys is an error
// wrapping ErrWrongKEK.
func (ks *KeySet) Signer(kek KEK, s Settings, now func() time.Time, m *Metrics) (*ZoneSigner, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("signing zone %s: %w", ks.Zone, err)
	}
	if err := ks.check(); err != nil {
		return nil, fmt.Errorf("signing zone %s: key set: %w", ks.Zone, err)
	}
	if id := kek.ID(); id != ks.KEKID {
		return nil, fmt.Errorf("signing zone %s: %w: the keys were sealed with the key-encryption key %s, this node has %s", ks.Zone, ErrWrongKEK, ks.KEKID, id)
	}
	if now == nil {
		now = time.Now
	}
	z := &ZoneSigner{zone: ks.Zone, settings: s, now: now, m: m.forZone(ks.Zone), cache: newSigCache(s.SignatureCacheSize)}
	z.bufs.New = func() any { return new(keyBuf) }
	keys := slices.Clone(ks.Keys)
	slices.SortFunc(keys, func(a, b Key) int { return int(a.Tag) - int(b.Tag) })
	for i := range keys {
		k := &keys[i]
		z.dnskeys = append(z.dnskeys, k.dnskey(ks.Zone, s.DNSKEYTTL))
		if !k.signsKeys() && !k.signsZone() {
			continue
		}
		der, err := open(kek, k.SealedPrivateKey, additionalData(ks.Zone, k.Tag, k.Algorithm))
		if err != nil {
			return nil, fmt.Errorf("signing zone %s: opening the private key of key %d: %w", ks.Zone, k.Tag, err)
		}
		signer, err := parsePrivate(der, k.Algorithm, k.PublicKey)
		clear(der)
		if err != nil {
			return nil, fmt.Errorf("signing zone %s: key %d: %w", ks.Zone, k.Tag, err)
		}
		sk := &signingKey{tag: k.Tag, alg: k.Algorithm, signer: signer}
		if k.signsKeys() {
			z.keySigners = append(z.keySigners, sk)
		}
		if k.signsZone() {
			z.zoneSigners = append(z.zoneSigners, sk)
		}
	}
	if ks.dsPending() {
		for _, ds := range ks.DS(s.DNSKEYTTL) {
			z.cds = append(z.cds, ds.ToCDS())
		}
		for i := range keys {
			if keys[i].atParent() {
				z.cdnskey = append(z.cdnskey, keys[i].dnskey(ks.Zone, s.DNSKEYTTL).ToCDNSKEY())
			}
		}
	}
	return z, nil
}

// Zone is the zone's name, lower-cased with its final dot.
func (z *ZoneSigner) Zone() string { return z.zone }

// DNSKEYs is the apex DNSKEY RRset: every published key, TTL
// Settings.DNSKEYTTL. Callers must not modify it.
func (z *ZoneSigner) DNSKEYs() []dns.RR { return z.dnskeys }

// CDS is the CDS RRset while a DS change is pending at the parent, else
// empty (as Knot does); it always matches the DS the parent should hold.
func (z *ZoneSigner) CDS() []dns.RR { return z.cds }

// CDNSKEY is CDS in CDNSKEY form.
func (z *ZoneSigner) CDNSKEY() []dns.RR { return z.cdnskey }

// KeyTags is the tags of the keys that sign RRsets of type rrtype now.
func (z *ZoneSigner) KeyTags(rrtype uint16) []uint16 {
	var tags []uint16
	for _, k := range z.signersOf(rrtype) {
		tags = append(tags, k.tag)
	}
	return tags
}

// OldestExpiry is the earliest expiration among the cached signatures
// still served (not yet due for refresh), or the zero time when there is
// none.
func (z *ZoneSigner) OldestExpiry() time.Time { return z.cache.oldestExpiry(z.now()) }

// String names the signer without its keys.
func (z *ZoneSigner) String() string { return "dnssec.ZoneSigner(" + z.zone + ")" }

// Format hides the private keys under every verb.
func (z *ZoneSigner) Format(f fmt.State, _ rune) { io.WriteString(f, z.String()) }

func (z *ZoneSigner) signersOf(rrtype uint16) []*signingKey {
	switch rrtype {
	case dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY:
		return z.keySigners
	}
	return z.zoneSigners
}

// Sign returns the RRSIGs covering rrset, whose records share owner,
// type, class and TTL; the owner may be in any case, the RRSIGs are
// owned by its lower-cased form. DNSKEY, CDS and CDNSKEY RRsets are signed
// by the CSK or KSK, the rest by the CSK or ZSK. The same RRset (owner
// case aside, records in any order) gets the same signatures from the
// cache until they are due for refresh. The returned slice is shared:
// callers must not modify it or its records.
func (z *ZoneSigner) Sign(rrset []dns.RR) ([]dns.RR, error) {
	if err := z.checkRRset(rrset); err != nil {
		z.m.failed()
		return nil, err
	}
	b := z.bufs.Get().(*keyBuf)
	defer z.bufs.Put(b)
	key, err := b.build(rrset)
	if err != nil {
		z.m.failed()
		return nil, fmt.Errorf("signing %s %s: %w", rrset[0].Header().Name, dns.Type(rrset[0].Header().Rrtype), err)
	}
	now := z.now()
	if e := z.cache.get(key, now); e != nil {
		z.m.hit()
		return e.sigs, nil
	}
	e, err := z.sign(rrset, now)
	if err != nil {
		z.m.failed()
		return nil, err
	}
	z.m.signed(len(e.sigs))
	z.cache.put(string(key), e)
	return e.sigs, nil
}

// sign makes fresh signatures of rrset at now.
func (z *ZoneSigner) sign(rrset []dns.RR, now time.Time) (*cacheEntry, error) {
	h := rrset[0].Header()
	keys := z.signersOf(h.Rrtype)
	if len(keys) == 0 {
		return nil, fmt.Errorf("signing %s %s: no key signs this type now", h.Name, dns.Type(h.Rrtype))
	}
	owner := strings.ToLower(h.Name)
	exp := now.Add(z.settings.validity())
	e := &cacheEntry{sigs: make([]dns.RR, 0, len(keys)), refreshAt: exp.Add(-z.settings.refresh()), expiration: exp}
	for _, k := range keys {
		sig := &dns.RRSIG{
			Algorithm:  k.alg,
			SignerName: z.zone,
			KeyTag:     k.tag,
			Inception:  uint32(now.Add(-z.settings.backdate()).Unix()),
			Expiration: uint32(exp.Unix()),
			OrigTtl:    h.Ttl,
		}
		if err := sig.Sign(k.signer, rrset); err != nil {
			return nil, fmt.Errorf("signing %s %s with key %d: %w", h.Name, dns.Type(h.Rrtype), k.tag, err)
		}
		sig.Hdr.Name, sig.Hdr.Ttl, sig.OrigTtl = owner, h.Ttl, h.Ttl
		e.sigs = append(e.sigs, sig)
	}
	return e, nil
}

// checkRRset refuses what cannot be signed as one RRset of this zone.
func (z *ZoneSigner) checkRRset(rrset []dns.RR) error {
	if len(rrset) == 0 {
		return errors.New("signing: empty RRset")
	}
	for i, rr := range rrset {
		if rr == nil {
			return fmt.Errorf("signing: record %d is nil", i)
		}
	}
	h := rrset[0].Header()
	switch h.Rrtype {
	case dns.TypeRRSIG, dns.TypeOPT:
		return fmt.Errorf("signing %s: %s records are never signed", h.Name, dns.Type(h.Rrtype))
	}
	if !inZone(h.Name, z.zone) {
		return fmt.Errorf("signing %s %s: not in zone %s", h.Name, dns.Type(h.Rrtype), z.zone)
	}
	for _, rr := range rrset[1:] {
		r := rr.Header()
		if r.Rrtype != h.Rrtype || r.Class != h.Class || r.Ttl != h.Ttl || r.Name != h.Name && !strings.EqualFold(r.Name, h.Name) {
			return fmt.Errorf("signing %s %s: records differ in owner, type, class or TTL (%s %s)", h.Name, dns.Type(h.Rrtype), r.Name, dns.Type(r.Rrtype))
		}
	}
	return nil
}

// inZone reports whether name (any case, with its final dot) is zone or
// below it, without allocating.
func inZone(name, zone string) bool {
	if len(name) < len(zone) || !strings.EqualFold(name[len(name)-len(zone):], zone) {
		return false
	}
	if len(name) == len(zone) || zone == "." {
		return true
	}
	// The byte before the suffix must end a label: a dot not itself escaped.
	i := len(name) - len(zone) - 1
	if name[i] != '.' {
		return false
	}
	backslashes := 0
	for j := i - 1; j >= 0 && name[j] == '\\'; j-- {
		backslashes++
	}
	return backslashes%2 == 0
}
