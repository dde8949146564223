package dnssec

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/miekg/dns"
)

// DNSKEY flags: a zone key (256), and a zone key with the secure entry
// point bit (257) for the keys the parent's DS points at.
const (
	flagsZSK = dns.ZONE
	flagsKSK = dns.ZONE | dns.SEP
)

// generateKey makes a key pair of algorithm alg from rand. The standard
// library's GenerateKey functions ignore their random source since Go
// 1.26, so the private scalar (ECDSA) or seed (Ed25519) is read from rand
// here: tests with a fixed source get fixed keys.
func generateKey(alg uint8, rand io.Reader) (crypto.Signer, error) {
	switch alg {
	case ECDSAP256SHA256:
		var d [32]byte
		for range 64 {
			if _, err := io.ReadFull(rand, d[:]); err != nil {
				return nil, fmt.Errorf("reading randomness for a key: %w", err)
			}
			if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:]); err == nil {
				return k, nil
			}
		}
		return nil, errors.New("the random source gave no valid P-256 scalar in 64 tries")
	case ED25519:
		var seed [ed25519.SeedSize]byte
		if _, err := io.ReadFull(rand, seed[:]); err != nil {
			return nil, fmt.Errorf("reading randomness for a key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed[:]), nil
	}
	return nil, fmt.Errorf("algorithm %d is not supported", alg)
}

// publicKeyField is the DNSKEY public key field of k's public half: X||Y
// for P-256 (RFC 6605), the 32 bytes for Ed25519 (RFC 8080), in base64.
func publicKeyField(k crypto.Signer) (string, error) {
	switch pub := k.Public().(type) {
	case *ecdsa.PublicKey:
		b, err := pub.Bytes()
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b[1:]), nil // drop the 0x04 of the uncompressed form
	case ed25519.PublicKey:
		return base64.StdEncoding.EncodeToString(pub), nil
	}
	return "", fmt.Errorf("public key of type %T is not supported", k.Public())
}

// newDNSKEY is the DNSKEY record of k for zone.
func newDNSKEY(zone string, flags uint16, alg uint8, k crypto.Signer) (*dns.DNSKEY, error) {
	pub, err := publicKeyField(k)
	if err != nil {
		return nil, err
	}
	return &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET},
		Flags:     flags,
		Protocol:  3,
		Algorithm: alg,
		PublicKey: pub,
	}, nil
}

// marshalPrivate encodes k as PKCS #8, the form that is sealed.
func marshalPrivate(k crypto.Signer) ([]byte, error) {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding a private key: %w", err)
	}
	return b, nil
}

// parsePrivate decodes a PKCS #8 private key and checks that it is the
// private half of publicKey, the DNSKEY's field.
func parsePrivate(der []byte, alg uint8, publicKey string) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("the opened private key is not PKCS #8")
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("the opened private key cannot sign")
	}
	switch k.(type) {
	case *ecdsa.PrivateKey:
		if alg != ECDSAP256SHA256 {
			return nil, fmt.Errorf("the opened private key is ECDSA, the key's algorithm is %s", AlgorithmName(alg))
		}
	case ed25519.PrivateKey:
		if alg != ED25519 {
			return nil, fmt.Errorf("the opened private key is Ed25519, the key's algorithm is %s", AlgorithmName(alg))
		}
	}
	pub, err := publicKeyField(s)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal([]byte(pub), []byte(publicKey)) {
		return nil, errors.New("the opened private key does not match the public key")
	}
	return s, nil
}
