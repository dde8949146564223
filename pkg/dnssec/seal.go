package dnssec

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrWrongKEK is returned (wrapped) when a private key cannot be opened
// with the KEK given: it is not the KEK that sealed the keys, or the
// sealed key was altered or moved from another zone or key.
var ErrWrongKEK = errors.New("wrong key-encryption key")

// sealVersion is the first byte of every sealed key, so the format can
// change without guessing.
const sealVersion = 1

// additionalData binds a sealed key to its zone, key tag and algorithm:
// a sealed key copied into another zone's KeySet, or onto another key
// entry, fails to open.
func additionalData(zone string, tag uint16, alg uint8) []byte {
	ad := make([]byte, 0, len("gtmd dnssec key\x00")+len(zone)+4)
	ad = append(ad, "gtmd dnssec key\x00"...)
	ad = append(ad, zone...)
	ad = append(ad, 0)
	ad = binary.BigEndian.AppendUint16(ad, tag)
	return append(ad, alg)
}

func newGCM(kek KEK) (cipher.AEAD, error) {
	block, err := aes.NewCipher(kek[:])
	if err != nil {
		return nil, fmt.Errorf("making the key cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain under kek with a random nonce: version, nonce,
// ciphertext and tag.
func seal(kek KEK, rand io.Reader, plain, ad []byte) ([]byte, error) {
	g, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+g.NonceSize(), 1+g.NonceSize()+len(plain)+g.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(rand, out[1:]); err != nil {
		return nil, fmt.Errorf("reading a nonce: %w", err)
	}
	return g.Seal(out, out[1:], plain, ad), nil
}

// open reverses seal. Any failure to authenticate is ErrWrongKEK.
func open(kek KEK, sealed, ad []byte) ([]byte, error) {
	g, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+g.NonceSize()+g.Overhead() {
		return nil, fmt.Errorf("sealed key is %d bytes, too short", len(sealed))
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("sealed key has format %d, want %d", sealed[0], sealVersion)
	}
	nonce, box := sealed[1:1+g.NonceSize()], sealed[1+g.NonceSize():]
	plain, err := g.Open(nil, nonce, box, ad)
	if err != nil {
		return nil, ErrWrongKEK
	}
	return plain, nil
}
