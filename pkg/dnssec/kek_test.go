package dnssec

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const kekHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestParseKEK(t *testing.T) {
	for _, tc := range []struct {
		name, text, err string
	}{
		{"bare", kekHex, ""},
		{"upper case", strings.ToUpper(kekHex), ""},
		{"newline", kekHex + "\n", ""},
		{"crlf", kekHex + "\r\n", ""},
		{"two newlines", kekHex + "\n\n", "got 65 characters"},
		{"short", kekHex[:62], "want 64 hexadecimal characters (32 bytes), got 62"},
		{"long", kekHex + "00", "got 66"},
		{"leading space", " " + kekHex[1:], "character 1 is not hexadecimal"},
		{"not hex", kekHex[:10] + "zz" + kekHex[12:], "character 11 is not hexadecimal"},
		{"empty", "", "got 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKEK([]byte(tc.text))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if k != testKEK(0) {
					t.Errorf("parsed %x", k[:])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			if strings.Contains(err.Error(), kekHex[:16]) {
				t.Errorf("error echoes the key: %v", err)
			}
		})
	}
}

func TestLoadKEK(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "kek")
	bad := filepath.Join(dir, "bad")
	os.WriteFile(good, []byte(kekHex+"\n"), 0o600)
	os.WriteFile(bad, []byte("nope\n"), 0o600)
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == KEKEnv {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, file, env string
		ok              bool
		err             string
	}{
		{"file", good, "", true, ""},
		{"file beats env", good, "ff", true, ""},
		{"env", "", kekHex, true, ""},
		{"neither", "", "", false, ""},
		{"bad file", bad, "", false, bad + ": key-encryption key: want 64"},
		{"missing file", filepath.Join(dir, "missing"), "", false, "missing: no such file"},
		{"bad env", "", "abc", false, "GTMD_DNSSEC_KEK: key-encryption key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ok, err := LoadKEK(tc.file, env(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || ok != tc.ok {
				t.Fatalf("ok %v err %v, want ok %v", ok, err, tc.ok)
			}
			if ok && k != testKEK(0) {
				t.Errorf("loaded another key")
			}
		})
	}
}

func TestGenerateKEKFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	if err := GenerateKEKFile(path, testRand(7)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	var want [32]byte
	testRand(7).Read(want[:])
	if string(b) != hex.EncodeToString(want[:])+"\n" {
		t.Errorf("file holds %q", b)
	}
	k, ok, err := LoadKEK(path, nil)
	if err != nil || !ok || k != KEK(want) {
		t.Fatalf("reading it back: ok %v err %v", ok, err)
	}
	err = GenerateKEKFile(path, testRand(8))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwriting: %v, want an error wrapping fs.ErrExist", err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Error("the existing key was overwritten")
	}
}

// TestKEKNeverPrints: no verb of fmt and no encoder shows the key.
func TestKEKNeverPrints(t *testing.T) {
	k := testKEK(0xa0)
	secret := hex.EncodeToString(k[:])
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(strings.ToLower(out), secret[:8]) || strings.Contains(out, "160") {
			t.Errorf("%s prints %q", verb, out)
		}
		out = fmt.Sprintf(verb, struct{ K KEK }{k})
		if strings.Contains(strings.ToLower(out), secret[:8]) || strings.Contains(out, "160") {
			t.Errorf("%s of a struct prints %q", verb, out)
		}
	}
	if b, err := json.Marshal(struct{ K KEK }{k}); err == nil {
		t.Errorf("JSON encoded the key: %s", b)
	}
}
