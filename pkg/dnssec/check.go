package dnssec

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// check reports the first thing wrong with a decoded KeySet: fields out
// of range, a tag that is not its key's, roles that do not go together,
// a rollover that names keys the set does not hold.
func (ks *KeySet) check() error {
	if ks.Version != keySetVersion {
		return fmt.Errorf("version %d: this gtmd reads version %d", ks.Version, keySetVersion)
	}
	if z, err := canonicalZone(ks.Zone); err != nil {
		return err
	} else if z != ks.Zone {
		return fmt.Errorf("zone %q is not in canonical form %q", ks.Zone, z)
	}
	if len(ks.Keys) == 0 {
		return errors.New("holds no keys")
	}
	roles := map[Role]int{}
	for i := range ks.Keys {
		k := &ks.Keys[i]
		if err := ks.checkKey(k); err != nil {
			return fmt.Errorf("keys[%d] (tag %d): %w", i, k.Tag, err)
		}
		for j := range i {
			if ks.Keys[j].Tag == k.Tag {
				return fmt.Errorf("keys[%d] and keys[%d] share the tag %d", j, i, k.Tag)
			}
		}
		roles[k.Role]++
	}
	if roles[RoleCSK] > 0 && roles[RoleKSK]+roles[RoleZSK] > 0 {
		return errors.New("holds a CSK alongside a KSK or ZSK")
	}
	if roles[RoleKSK] > 0 != (roles[RoleZSK] > 0) {
		return errors.New("holds a KSK without a ZSK or a ZSK without a KSK")
	}
	var keys, zone bool
	for i := range ks.Keys {
		keys = keys || ks.Keys[i].anchorsKeys()
		zone = zone || ks.Keys[i].signsZone()
	}
	if !keys || !zone {
		return errors.New("no active key signs the DNSKEY RRset or no active key signs the zone")
	}
	if ks.Rollover != nil {
		if err := ks.checkRollover(ks.Rollover); err != nil {
			return fmt.Errorf("rollover: %w", err)
		}
	}
	return nil
}

func (ks *KeySet) checkKey(k *Key) error {
	switch k.Role {
	case RoleCSK, RoleKSK:
		if k.Flags != flagsKSK {
			return fmt.Errorf("a %s has flags %d, want %d", k.Role, k.Flags, flagsKSK)
		}
	case RoleZSK:
		if k.Flags != flagsZSK {
			return fmt.Errorf("a zsk has flags %d, want %d", k.Flags, flagsZSK)
		}
	default:
		return fmt.Errorf("role %q is not csk, ksk or zsk", k.Role)
	}
	switch k.State {
	case StatePublished, StateActive, StateRetired:
	case StateRetiring:
		if k.Role == RoleZSK {
			return errors.New("a zsk cannot be retiring (that state is for keys the parent's DS points at)")
		}
	default:
		return fmt.Errorf("state %q is not published, active, retiring or retired", k.State)
	}
	if !supported(k.Algorithm) {
		return fmt.Errorf("algorithm %d is not supported", k.Algorithm)
	}
	pub, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil {
		return errors.New("public key is not base64")
	}
	if want := map[uint8]int{ECDSAP256SHA256: 64, ED25519: 32}[k.Algorithm]; len(pub) != want {
		return fmt.Errorf("public key is %d bytes, want %d for %s", len(pub), want, AlgorithmName(k.Algorithm))
	}
	if tag := k.dnskey(ks.Zone, 0).KeyTag(); tag != k.Tag {
		return fmt.Errorf("the key's tag is %d, not %d", tag, k.Tag)
	}
	if len(k.SealedPrivateKey) == 0 {
		return errors.New("has no sealed private key")
	}
	if k.Since.IsZero() {
		return errors.New("has no since time")
	}
	return nil
}

func (ks *KeySet) checkRollover(r *Rollover) error {
	if r.Role != RoleCSK && r.Role != RoleZSK {
		return fmt.Errorf("role %q: only csk and zsk are rolled", r.Role)
	}
	if !r.Step.valid(r.Role) {
		return fmt.Errorf("step %q is not a step of a %s roll", r.Step, r.Role)
	}
	for _, tag := range []uint16{r.Old, r.New} {
		k := ks.key(tag)
		if k == nil {
			return fmt.Errorf("key %d is not in the set", tag)
		}
		if k.Role != r.Role {
			return fmt.Errorf("key %d is a %s, not a %s", tag, k.Role, r.Role)
		}
	}
	if r.Old == r.New {
		return fmt.Errorf("old and new key are both %d", r.Old)
	}
	if r.Since.IsZero() {
		return errors.New("has no since time")
	}
	return nil
}
