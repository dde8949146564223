package dnssec

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// KEKEnv is the environment variable LoadKEK reads when no file is named.
const KEKEnv = "GTMD_DNSSEC_KEK"

// KEK is the key-encryption key: 32 bytes with which every private key is
// sealed (AES-256-GCM) before it is stored, so a copy of the store holds
// no usable key. It formats as "KEK(redacted)" under every verb, so a
// careless log line cannot leak it.
type KEK [32]byte

// ParseKEK reads a KEK written as 64 hexadecimal characters, with one
// trailing newline (\n or \r\n) allowed. Errors say what is wrong without
// echoing any of the text.
func ParseKEK(text []byte) (KEK, error) {
	var k KEK
	switch {
	case len(text) >= 2 && text[len(text)-2] == '\r' && text[len(text)-1] == '\n':
		text = text[:len(text)-2]
	case len(text) >= 1 && text[len(text)-1] == '\n':
		text = text[:len(text)-1]
	}
	if len(text) != 2*len(k) {
		return k, fmt.Errorf("key-encryption key: want %d hexadecimal characters (32 bytes), got %d characters", 2*len(k), len(text))
	}
	for i, c := range text {
		if !isHex(c) {
			return k, fmt.Errorf("key-encryption key: character %d is not hexadecimal (want 0-9, a-f)", i+1)
		}
	}
	if _, err := hex.Decode(k[:], text); err != nil {
		return k, errors.New("key-encryption key: not hexadecimal")
	}
	return k, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// LoadKEK reads the KEK from file when file is not empty, else from the
// environment variable GTMD_DNSSEC_KEK through getenv. ok is false when
// neither is set: the caller then decides whether signed zones are served
// unsigned or refused.
func LoadKEK(file string, getenv func(string) string) (k KEK, ok bool, err error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return k, false, fmt.Errorf("reading the key-encryption key file: %w", err)
		}
		if k, err = ParseKEK(b); err != nil {
			return k, false, fmt.Errorf("%s: %w", file, err)
		}
		return k, true, nil
	}
	v := getenv(KEKEnv)
	if v == "" {
		return k, false, nil
	}
	if k, err = ParseKEK([]byte(v)); err != nil {
		return k, false, fmt.Errorf("%s: %w", KEKEnv, err)
	}
	return k, true, nil
}

// GenerateKEKFile writes a fresh KEK read from rand to path (64 hex
// characters and a newline, mode 0600). It never overwrites a file: a
// replaced KEK would make every stored key unreadable.
func GenerateKEKFile(path string, rand io.Reader) error {
	var k KEK
	if _, err := io.ReadFull(rand, k[:]); err != nil {
		return fmt.Errorf("generating a key-encryption key: %w", err)
	}
	text := make([]byte, 2*len(k)+1)
	hex.Encode(text, k[:])
	text[len(text)-1] = '\n'
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating the key-encryption key file: %w", err)
	}
	_, err = f.Write(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing the key-encryption key file %s: %w", path, err)
	}
	return nil
}

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
