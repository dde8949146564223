package dnssec

import (
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// keySetVersion is the KeySet format this package writes. A node refuses
// a newer one rather than misread it.
const keySetVersion = 1

// Role is what a key signs: a CSK everything, a KSK the DNSKEY, CDS and
// CDNSKEY RRsets, a ZSK everything else.
type Role string

// The roles.
const (
	RoleCSK Role = "csk"
	RoleKSK Role = "ksk"
	RoleZSK Role = "zsk"
)

// KeyState is where a key stands on its timeline. Every state is
// published in the DNSKEY RRset; a removed key leaves the KeySet.
type KeyState string

// The key states.
const (
	// StatePublished: in the DNSKEY RRset; a CSK or KSK signs the DNSKEY
	// RRset already (not the zone's data), a ZSK signs nothing yet.
	StatePublished KeyState = "published"
	// StateActive: signing what its role signs.
	StateActive KeyState = "active"
	// StateRetiring: an old CSK or KSK that still signs the DNSKEY RRset
	// (not the zone's data) until no resolver holds its DS any more.
	StateRetiring KeyState = "retiring"
	// StateRetired: signing nothing, published until no cached signature
	// of it remains.
	StateRetired KeyState = "retired"
)

// KeySet is everything the store holds for one signed zone: every key
// (public part in clear, private part sealed with the KEK), each key's
// role and state, and the rollover in progress. It is plain data,
// JSON-encoded, so any node can continue what another began.
type KeySet struct {
	Version int    `json:"version"`
	Zone    string `json:"zone"`
	// KEKID is the ID of the KEK that sealed the keys (KEK.ID), so a node
	// with another KEK can say so.
	KEKID    string    `json:"kek_id"`
	Keys     []Key     `json:"keys"`
	Rollover *Rollover `json:"rollover,omitempty"`
}

// Key is one key of a KeySet.
type Key struct {
	Tag       uint16 `json:"tag"`
	Role      Role   `json:"role"`
	Algorithm uint8  `json:"algorithm"`
	Flags     uint16 `json:"flags"`
	// PublicKey is the DNSKEY's public key field (base64).
	PublicKey string `json:"public_key"`
	// SealedPrivateKey is the PKCS #8 private key sealed with the KEK
	// (AES-256-GCM, bound to zone, tag and algorithm).
	SealedPrivateKey []byte    `json:"sealed_private_key"`
	State            KeyState  `json:"state"`
	Since            time.Time `json:"since"`
	Created          time.Time `json:"created"`
}

// NewKeySet makes a zone's first keys (one CSK, or KSK+ZSK when
// s.SplitKeys), active at now, sealed with kek.
func NewKeySet(zone string, s Settings, kek KEK, rand io.Reader, now time.Time) (*KeySet, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("making keys for zone %s: %w", zone, err)
	}
	z, err := canonicalZone(zone)
	if err != nil {
		return nil, err
	}
	ks := &KeySet{Version: keySetVersion, Zone: z, KEKID: kek.ID()}
	roles := []Role{RoleCSK}
	if s.SplitKeys {
		roles = []Role{RoleKSK, RoleZSK}
	}
	for _, r := range roles {
		k, err := ks.newKey(r, s.algorithm(), kek, rand, now, StateActive)
		if err != nil {
			return nil, err
		}
		ks.Keys = append(ks.Keys, k)
	}
	return ks, nil
}

// canonicalZone is zone lower-cased with its final dot, or an error
// naming it.
func canonicalZone(zone string) (string, error) {
	z := dns.CanonicalName(zone)
	if _, ok := dns.IsDomainName(z); !ok || zone == "" {
		return "", fmt.Errorf("zone %q is not a domain name", zone)
	}
	return z, nil
}

// newKey generates a key of role r whose tag no key of ks has, and
// seals its private half.
func (ks *KeySet) newKey(r Role, alg uint8, kek KEK, rand io.Reader, now time.Time, st KeyState) (Key, error) {
	flags := uint16(flagsZSK)
	if r != RoleZSK {
		flags = flagsKSK
	}
	for range 16 {
		signer, err := generateKey(alg, rand)
		if err != nil {
			return Key{}, fmt.Errorf("making a %s for zone %s: %w", r, ks.Zone, err)
		}
		dk, err := newDNSKEY(ks.Zone, flags, alg, signer)
		if err != nil {
			return Key{}, fmt.Errorf("making a %s for zone %s: %w", r, ks.Zone, err)
		}
		tag := dk.KeyTag()
		if ks.key(tag) != nil {
			continue // RFC 4034 tags collide now and then; a second key with the same tag would confuse validators
		}
		sealed, err := sealSigner(kek, rand, ks.Zone, tag, alg, signer)
		if err != nil {
			return Key{}, fmt.Errorf("sealing a %s for zone %s: %w", r, ks.Zone, err)
		}
		return Key{Tag: tag, Role: r, Algorithm: alg, Flags: flags, PublicKey: dk.PublicKey, SealedPrivateKey: sealed, State: st, Since: now.UTC(), Created: now.UTC()}, nil
	}
	return Key{}, fmt.Errorf("making a %s for zone %s: 16 keys in a row had a key tag already in use", r, ks.Zone)
}

func sealSigner(kek KEK, rand io.Reader, zone string, tag uint16, alg uint8, k crypto.Signer) ([]byte, error) {
	der, err := marshalPrivate(k)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	return seal(kek, rand, der, additionalData(zone, tag, alg))
}

// key is the key with tag, or nil.
func (ks *KeySet) key(tag uint16) *Key {
	for i := range ks.Keys {
		if ks.Keys[i].Tag == tag {
			return &ks.Keys[i]
		}
	}
	return nil
}

// dnskey is k's DNSKEY record for zone with ttl.
func (k *Key) dnskey(zone string, ttl uint32) *dns.DNSKEY {
	return &dns.DNSKEY{
		Hdr:   dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: ttl},
		Flags: k.Flags, Protocol: 3, Algorithm: k.Algorithm, PublicKey: k.PublicKey,
	}
}

// signsKeys reports whether k signs the DNSKEY, CDS and CDNSKEY RRsets.
// A CSK or KSK signs them from the moment it is published: by the time
// its DS is asked for, every cached DNSKEY RRset carries its signature,
// so a resolver that sees the new DS at a quick parent still validates
// the DNSKEY RRset it cached before.
func (k *Key) signsKeys() bool {
	return k.Role != RoleZSK && k.State != StateRetired
}

// anchorsKeys reports whether k signs the DNSKEY RRset as a key the
// parent's DS points at or did: a zone always needs one.
func (k *Key) anchorsKeys() bool {
	return k.signsKeys() && k.State != StatePublished
}

// signsZone reports whether k signs the zone's other RRsets.
func (k *Key) signsZone() bool {
	return k.Role != RoleKSK && k.State == StateActive
}

// atParent reports whether the parent should hold k's DS now.
func (k *Key) atParent() bool {
	return k.Role != RoleZSK && k.State == StateActive
}

// Marshal encodes the KeySet as JSON, private keys sealed.
func (ks *KeySet) Marshal() ([]byte, error) {
	b, err := json.Marshal(ks)
	if err != nil {
		return nil, fmt.Errorf("encoding the key set of zone %s: %w", ks.Zone, err)
	}
	return b, nil
}

// ParseKeySet decodes and checks a KeySet written by Marshal. Its errors
// say what is wrong and where, and never quote key material.
func ParseKeySet(b []byte) (*KeySet, error) {
	var ks KeySet
	if err := json.Unmarshal(b, &ks); err != nil {
		return nil, fmt.Errorf("decoding a DNSSEC key set: %w", err)
	}
	if err := ks.check(); err != nil {
		return nil, fmt.Errorf("DNSSEC key set of zone %q: %w", ks.Zone, err)
	}
	return &ks, nil
}

// DS returns the DS records (SHA-256 digests only) the parent should hold
// now, with ttl, owned by the zone.
func (ks *KeySet) DS(ttl uint32) []*dns.DS {
	var out []*dns.DS
	for i := range ks.Keys {
		if k := &ks.Keys[i]; k.atParent() {
			out = append(out, k.dnskey(ks.Zone, ttl).ToDS(dns.SHA256))
		}
	}
	return out
}

// DSText is DS in zone-file presentation format with single spaces, one
// record a line ("zone. 3600 IN DS 12345 13 2 HEX"), ready to paste into
// the parent's zone.
func (ks *KeySet) DSText(ttl uint32) string {
	var b strings.Builder
	for _, ds := range ks.DS(ttl) {
		b.WriteString(dsLine(ds))
		b.WriteByte('\n')
	}
	return b.String()
}

// dsLine is ds in presentation format with single spaces.
func dsLine(ds *dns.DS) string {
	return fmt.Sprintf("%s %d IN DS %d %d %d %s", ds.Hdr.Name, ds.Hdr.Ttl, ds.KeyTag, ds.Algorithm, ds.DigestType, strings.ToUpper(ds.Digest))
}
