package dnssec

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// rfcVectors are the published examples of RFC 6605 §6.1 and RFC 8080
// §6.1: a private key, its DNSKEY and the DS a parent holds for it, as
// ldns and dnssec-dsfromkey compute it.
var rfcVectors = []struct {
	name, zone    string
	alg           uint8
	private       string // base64, as in the RFCs' private key files
	publicKey, ds string
}{
	{"ecdsa (RFC 6605)", "example.net.", ECDSAP256SHA256, "GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=",
		"GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
		"example.net. 3600 IN DS 55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"},
	{"ed25519 (RFC 8080)", "example.com.", ED25519, "ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=",
		"l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
		"example.com. 3600 IN DS 3613 15 2 3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B"},
}

// TestDSMatchesPublishedVectors: a KeySet made from the RFCs' private keys
// publishes their DNSKEY and gives their DS, in the one-line form the
// parent's zone file takes.
func TestDSMatchesPublishedVectors(t *testing.T) {
	line := regexp.MustCompile(`^[a-z0-9.-]+\. 3600 IN DS [0-9]+ (13|15) 2 [0-9A-F]{64}$`)
	for _, v := range rfcVectors {
		t.Run(v.name, func(t *testing.T) {
			priv, _ := base64.StdEncoding.DecodeString(v.private)
			rnd := bytes.NewReader(append(priv, make([]byte, 64)...)) // the key, then nonces
			ks, err := NewKeySet(v.zone, Settings{Algorithm: v.alg, DNSKEYTTL: 3600}, testKEK(1), rnd, t0)
			if err != nil {
				t.Fatal(err)
			}
			if ks.Keys[0].PublicKey != v.publicKey {
				t.Fatalf("public key %s, want %s", ks.Keys[0].PublicKey, v.publicKey)
			}
			ds := ks.DS(3600)
			if len(ds) != 1 {
				t.Fatalf("%d DS, want 1", len(ds))
			}
			if got := dsLine(ds[0]); got != v.ds {
				t.Errorf("DS %q, want %q", got, v.ds)
			}
			if got := ks.DSText(3600); got != v.ds+"\n" || !line.MatchString(strings.TrimSuffix(got, "\n")) {
				t.Errorf("DSText %q", got)
			}
			z, err := ks.Signer(testKEK(1), Settings{Algorithm: v.alg, DNSKEYTTL: 3600}, (&clock{t0}).now, nil)
			if err != nil {
				t.Fatal(err)
			}
			miekg := z.DNSKEYs()[0].(*dns.DNSKEY).ToDS(dns.SHA256)
			if miekg.Digest != ds[0].Digest || miekg.KeyTag != ds[0].KeyTag {
				t.Errorf("miekg's ToDS gives %s", miekg)
			}
		})
	}
}

func TestNewKeySet(t *testing.T) {
	for _, tc := range []struct {
		alg   uint8
		split bool
		roles []Role
		flags []uint16
	}{
		{ECDSAP256SHA256, false, []Role{RoleCSK}, []uint16{257}},
		{ED25519, false, []Role{RoleCSK}, []uint16{257}},
		{ECDSAP256SHA256, true, []Role{RoleKSK, RoleZSK}, []uint16{257, 256}},
		{ED25519, true, []Role{RoleKSK, RoleZSK}, []uint16{257, 256}},
	} {
		ks, _ := newTestKeySet(t, tc.alg, tc.split)
		if ks.Zone != "example.test." || ks.KEKID != testKEK(1).ID() {
			t.Errorf("zone %q kek %q", ks.Zone, ks.KEKID)
		}
		if len(ks.Keys) != len(tc.roles) {
			t.Fatalf("%d keys, want %d", len(ks.Keys), len(tc.roles))
		}
		for i, k := range ks.Keys {
			if k.Role != tc.roles[i] || k.Flags != tc.flags[i] || k.State != StateActive || !k.Since.Equal(t0) || k.Algorithm != tc.alg {
				t.Errorf("alg %d split %v key %d: %+v", tc.alg, tc.split, i, k)
			}
		}
		if err := ks.check(); err != nil {
			t.Error(err)
		}
	}
	if _, err := NewKeySet("exa mple..", Settings{}, testKEK(1), testRand(1), t0); err == nil || !strings.Contains(err.Error(), `"exa mple.."`) {
		t.Errorf("bad zone: %v", err)
	}
	if _, err := NewKeySet("example.", Settings{Algorithm: 8}, testKEK(1), testRand(1), t0); err == nil || !strings.Contains(err.Error(), "algorithm 8") {
		t.Errorf("bad algorithm: %v", err)
	}
}

// TestMarshalHoldsNoPrivateKey: the stored form holds the private keys
// sealed only; no raw scalar or seed, no PKCS #8, in any encoding.
func TestMarshalHoldsNoPrivateKey(t *testing.T) {
	for _, v := range rfcVectors {
		priv, _ := base64.StdEncoding.DecodeString(v.private)
		ks, err := NewKeySet(v.zone, Settings{Algorithm: v.alg}, testKEK(1), bytes.NewReader(append(priv, make([]byte, 64)...)), t0)
		if err != nil {
			t.Fatal(err)
		}
		var der []byte
		if v.alg == ED25519 {
			der, _ = x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(priv))
		} else {
			k, _ := ecdsa.ParseRawPrivateKey(ecdsaCurve(), priv)
			der, _ = x509.MarshalPKCS8PrivateKey(k)
		}
		b, err := ks.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range [][]byte{priv, der} {
			for _, form := range [][]byte{secret, []byte(base64.StdEncoding.EncodeToString(secret)), []byte(hex.EncodeToString(secret)), []byte(base64.StdEncoding.EncodeToString(secret)[:20])} {
				if bytes.Contains(b, form) {
					t.Errorf("%s: Marshal output holds private key material", v.name)
				}
			}
		}
		back, err := ParseKeySet(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := back.Marshal()
		if !bytes.Equal(b, b2) {
			t.Errorf("round trip changed the key set:\n%s\n%s", b, b2)
		}
	}
}

// TestWrongKEK: a KeySet opens only with its KEK, and a sealed key opens
// only in its own zone and key entry.
func TestWrongKEK(t *testing.T) {
	ks, s := newTestKeySet(t, ECDSAP256SHA256, false)
	now := (&clock{t0}).now
	if _, err := ks.Signer(testKEK(1), s, now, nil); err != nil {
		t.Fatal(err)
	}
	_, err := ks.Signer(testKEK(2), s, now, nil)
	if !errors.Is(err, ErrWrongKEK) || !strings.Contains(err.Error(), testKEK(2).ID()) {
		t.Errorf("another KEK: %v", err)
	}
	// A KeySet that claims the other KEK still fails to open with it.
	forged := *ks
	forged.KEKID = testKEK(2).ID()
	if _, err := forged.Signer(testKEK(2), s, now, nil); !errors.Is(err, ErrWrongKEK) {
		t.Errorf("forged KEK id: %v", err)
	}
	// The same sealed key in another zone's set does not open.
	other, _ := NewKeySet("other.test.", s, testKEK(1), testRand(9), t0)
	moved := *other
	moved.Keys = []Key{other.Keys[0]}
	moved.Keys[0].SealedPrivateKey = ks.Keys[0].SealedPrivateKey
	if _, err := moved.Signer(testKEK(1), s, now, nil); !errors.Is(err, ErrWrongKEK) {
		t.Errorf("moved key: %v", err)
	}
	// A flipped bit is caught too.
	bent := *ks
	bent.Keys = []Key{ks.Keys[0]}
	bent.Keys[0].SealedPrivateKey = bytes.Clone(ks.Keys[0].SealedPrivateKey)
	bent.Keys[0].SealedPrivateKey[20] ^= 1
	if _, err := bent.Signer(testKEK(1), s, now, nil); !errors.Is(err, ErrWrongKEK) {
		t.Errorf("altered key: %v", err)
	}
}

func TestParseKeySetErrors(t *testing.T) {
	ks, _ := newTestKeySet(t, ECDSAP256SHA256, true)
	good, _ := ks.Marshal()
	sealed := base64.StdEncoding.EncodeToString(ks.Keys[0].SealedPrivateKey)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	key := func(m map[string]any, i int) map[string]any { return m["keys"].([]any)[i].(map[string]any) }
	for _, tc := range []struct {
		name string
		b    []byte
		err  string
	}{
		{"not json", []byte("{"), "decoding a DNSSEC key set"},
		{"wrong type", edit(func(m map[string]any) { m["keys"] = "x" }), "cannot unmarshal"},
		{"future version", edit(func(m map[string]any) { m["version"] = 2 }), "version 2: this gtmd reads version 1"},
		{"zone not canonical", edit(func(m map[string]any) { m["zone"] = "Example.test." }), `not in canonical form "example.test."`},
		{"no keys", edit(func(m map[string]any) { m["keys"] = []any{} }), "holds no keys"},
		{"bad role", edit(func(m map[string]any) { key(m, 0)["role"] = "boss" }), `keys[0] (tag ` + itoa(ks.Keys[0].Tag) + `): role "boss"`},
		{"bad state", edit(func(m map[string]any) { key(m, 1)["state"] = "gone" }), `state "gone"`},
		{"retiring zsk", edit(func(m map[string]any) { key(m, 1)["state"] = "retiring" }), "a zsk cannot be retiring"},
		{"wrong tag", edit(func(m map[string]any) { key(m, 0)["tag"] = 1 }), "the key's tag is"},
		{"wrong flags", edit(func(m map[string]any) { key(m, 1)["flags"] = 257 }), "a zsk has flags 257"},
		{"bad public key", edit(func(m map[string]any) { key(m, 0)["public_key"] = "AAAA" }), "public key is 3 bytes, want 64"},
		{"no sealed key", edit(func(m map[string]any) { delete(key(m, 0), "sealed_private_key") }), "no sealed private key"},
		{"ksk without zsk", edit(func(m map[string]any) { m["keys"] = m["keys"].([]any)[:1] }), "a KSK without a ZSK"},
		{"nothing active", edit(func(m map[string]any) { key(m, 1)["state"] = "retired" }), "no active key signs"},
		{"rollover of missing key", edit(func(m map[string]any) {
			m["rollover"] = map[string]any{"role": "zsk", "old": ks.Keys[1].Tag, "new": 7, "step": "publish", "since": t0}
		}), "rollover: key 7 is not in the set"},
		{"rollover bad step", edit(func(m map[string]any) {
			m["rollover"] = map[string]any{"role": "zsk", "old": ks.Keys[1].Tag, "new": ks.Keys[1].Tag, "step": "ready", "since": t0}
		}), `step "ready" is not a step of a zsk roll`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeySet(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			if strings.Contains(err.Error(), sealed[:16]) {
				t.Errorf("error quotes the sealed key: %v", err)
			}
		})
	}
}
