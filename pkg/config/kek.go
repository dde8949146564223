package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KEKSize is the size of a key-encryption key in bytes: an AES-256 key.
const KEKSize = KEKHexLen / 2

// KEKHowTo says how an operator makes a key-encryption key file, for
// the messages that find none.
const KEKHowTo = "make one with `(umask 077; openssl rand -hex 32 > FILE)` or `(umask 077; head -c32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE)` and give every node of the cluster the same one"

// ErrNoKEK is LoadKEK's answer when the node file names no
// key-encryption key file and KEKEnv is not set.
var ErrNoKEK = errors.New("no DNSSEC key-encryption key: neither dnssec.key_encryption_key_file nor " + KEKEnv + " is set")

// ParseKEK reads a key-encryption key as written in its file or in
// KEKEnv: KEKHexLen hex characters, optionally followed by one newline.
func ParseKEK(src []byte) ([KEKSize]byte, error) {
	var kek [KEKSize]byte
	s := strings.TrimSuffix(strings.TrimSuffix(string(src), "\n"), "\r")
	if len(s) != KEKHexLen {
		return kek, fmt.Errorf("a key-encryption key is %d hex characters (%d random bytes), not %d characters", KEKHexLen, KEKSize, len(s))
	}
	// hex.Decode's error quotes the offending character: a mistyped
	// key is a secret all the same, so only its position is told.
	for i := range len(s) {
		if !isHexDigit(s[i]) {
			return kek, fmt.Errorf("a key-encryption key is %d hex characters: the one at position %d is not a hex digit", KEKHexLen, i+1)
		}
	}
	// Every character is a hex digit: decoding cannot fail.
	_, _ = hex.Decode(kek[:], []byte(s))
	if kek == ([KEKSize]byte{}) {
		return kek, errors.New("the key-encryption key is all zeros; it must be random")
	}
	return kek, nil
}

// LoadKEK returns this node's key-encryption key: from KEKEnv when
// getenv finds it set, else from the file the node file names, which
// group and others must not be able to read. It returns ErrNoKEK when
// neither is given; every other error names where it looked.
func LoadKEK(n NodeDNSSEC, getenv func(string) string) ([KEKSize]byte, error) {
	if v := getenv(KEKEnv); v != "" {
		kek, err := ParseKEK([]byte(v))
		if err != nil {
			return kek, fmt.Errorf("reading the DNSSEC key-encryption key from %s: %w", KEKEnv, err)
		}
		return kek, nil
	}
	path := n.KeyEncryptionKeyFile
	if path == "" {
		return [KEKSize]byte{}, ErrNoKEK
	}
	fi, err := os.Stat(path)
	if err != nil {
		return [KEKSize]byte{}, fmt.Errorf("reading the DNSSEC key-encryption key (dnssec.key_encryption_key_file): %w; %s", err, KEKHowTo)
	}
	if !fi.Mode().IsRegular() {
		return [KEKSize]byte{}, fmt.Errorf("the DNSSEC key-encryption key file %s is not a regular file", path)
	}
	if fi.Size() > KEKHexLen+2 {
		return [KEKSize]byte{}, fmt.Errorf("the DNSSEC key-encryption key file %s is %d bytes; it holds %d hex characters and a newline", path, fi.Size(), KEKHexLen)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return [KEKSize]byte{}, fmt.Errorf("the DNSSEC key-encryption key file %s can be read by group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return [KEKSize]byte{}, fmt.Errorf("reading the DNSSEC key-encryption key (dnssec.key_encryption_key_file): %w", err)
	}
	kek, err := ParseKEK(src)
	if err != nil {
		return kek, fmt.Errorf("the DNSSEC key-encryption key file %s: %w", path, err)
	}
	return kek, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
