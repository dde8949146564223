package dnssec

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// KEK is the key-encryption key: 32 bytes with which every private key is
// sealed (AES-256-GCM) before it is stored, so a copy of the store holds
// no usable key. pkg/config reads it from the node's file or environment
// (config.LoadKEK). It formats as "KEK(redacted)" under every verb, so a
// careless log line cannot leak it.
type KEK [32]byte

// ID names the KEK without revealing it: the first 8 bytes of an HMAC
// under the KEK, in hex. A KeySet records the ID of the KEK that sealed
// it, so a node holding another KEK is told exactly that.
func (k KEK) ID() string {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("gtmd dnssec kek id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// String hides the key.
func (k KEK) String() string { return "KEK(redacted)" }

// GoString hides the key from %#v.
func (k KEK) GoString() string { return k.String() }

// Format hides the key under every verb (%x and %d included).
func (k KEK) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// MarshalText refuses to encode the key, so it never lands in JSON or YAML.
func (k KEK) MarshalText() ([]byte, error) {
	return nil, errors.New("a key-encryption key is never encoded")
}
