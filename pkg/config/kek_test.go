package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKEKHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestParseKEK(t *testing.T) {
	want, _ := hex.DecodeString(testKEKHex)
	for _, tc := range []struct{ name, src, err string }{
		{"hex", testKEKHex, ""},
		{"hex and a newline", testKEKHex + "\n", ""},
		{"upper case", strings.ToUpper(testKEKHex), ""},
		{"CRLF", testKEKHex + "\r\n", ""},
		{"two newlines", testKEKHex + "\n\n", "a key-encryption key is 64 hex characters (32 random bytes), not 65 characters"},
		{"short", testKEKHex[:62], "a key-encryption key is 64 hex characters (32 random bytes), not 62 characters"},
		{"raw bytes", string(want), "a key-encryption key is 64 hex characters (32 random bytes), not 32 characters"},
		{"not hex", "zz" + testKEKHex[2:], "a key-encryption key is 64 hex characters: the one at position 1 is not a hex digit"},
		{"zeros", strings.Repeat("0", 64), "the key-encryption key is all zeros; it must be random"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kek, err := ParseKEK([]byte(tc.src))
			if errText(err) != tc.err {
				t.Fatalf("error %q, want %q", errText(err), tc.err)
			}
			if err == nil && string(kek[:]) != string(want) {
				t.Errorf("key %x, want %x", kek, want)
			}
		})
	}
}

func TestLoadKEK(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	good := write("good.kek", testKEKHex+"\n", 0o600)
	other := strings.Repeat("ab", 32)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == KEKEnv {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, file, env string
		want            string // the key's hex, or the error
	}{
		{"file", good, "", testKEKHex},
		{"the environment before the file", good, other, other},
		{"the environment alone", "", other + "\n", other},
		{"bad environment", good, "xyz", "reading the DNSSEC key-encryption key from GTMD_DNSSEC_KEK: a key-encryption key is 64 hex characters (32 random bytes), not 3 characters"},
		{"neither", "", "", ErrNoKEK.Error()},
		{"missing file", filepath.Join(dir, "none.kek"), "", "reading the DNSSEC key-encryption key (dnssec.key_encryption_key_file): stat " + filepath.Join(dir, "none.kek") + ": no such file or directory; " + KEKHowTo},
		{"readable by others", write("open.kek", testKEKHex, 0o644), "", "the DNSSEC key-encryption key file " + filepath.Join(dir, "open.kek") + " can be read by group or others (mode 0644): run chmod 600 " + filepath.Join(dir, "open.kek")},
		{"too large", write("big.kek", strings.Repeat(testKEKHex, 2), 0o600), "", "the DNSSEC key-encryption key file " + filepath.Join(dir, "big.kek") + " is 128 bytes; it holds 64 hex characters and a newline"},
		{"a directory", dir, "", "the DNSSEC key-encryption key file " + dir + " is not a regular file"},
		{"not hex", write("bad.kek", strings.Repeat("g", 64), 0o600), "", "the DNSSEC key-encryption key file " + filepath.Join(dir, "bad.kek") + ": a key-encryption key is 64 hex characters: the one at position 1 is not a hex digit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kek, err := LoadKEK(NodeDNSSEC{KeyEncryptionKeyFile: tc.file}, env(tc.env))
			got := hex.EncodeToString(kek[:])
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := LoadKEK(NodeDNSSEC{}, env("")); !errors.Is(err, ErrNoKEK) {
		t.Errorf("no key anywhere: %v, want ErrNoKEK", err)
	}
}

// TestKEKErrorsQuoteNothing: a malformed key-encryption key is secret
// material all the same (it may be the real key with one character
// mistyped), so its errors name the position of what is wrong and quote
// no character of it. The keys here are written with characters that the
// messages themselves never hold, so any quoted one shows.
func TestKEKErrorsQuoteNothing(t *testing.T) {
	key := strings.Repeat("ABF", 22)[:KEKHexLen]
	at := func(pos int, bad string) string { return key[:pos-1] + bad + key[pos-1+len(bad):] }
	for _, tc := range []struct {
		name, src string
		pos       int
	}{
		{"first", at(1, "Z"), 1},
		{"inside", at(17, "Q"), 17},
		{"last", at(64, "!"), 64},
		{"a zero byte", at(33, "\x00"), 33},
		{"a letter of two bytes", at(9, "é"), 9},
		{"a newline inside", at(20, "\n"), 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKEK([]byte(tc.src))
			want := fmt.Sprintf("a key-encryption key is 64 hex characters: the one at position %d is not a hex digit", tc.pos)
			if errText(err) != want {
				t.Errorf("error %q, want %q", errText(err), want)
			}
			_, envErr := LoadKEK(NodeDNSSEC{}, func(k string) string {
				if k == KEKEnv {
					return tc.src
				}
				return ""
			})
			for _, e := range []error{err, envErr} {
				if e == nil {
					t.Fatal("no error")
				}
				quoted := map[rune]bool{}
				for _, r := range tc.src {
					if strings.ContainsRune(e.Error(), r) && !quoted[r] {
						quoted[r] = true
						t.Errorf("error %q quotes %q of the key", e, r)
					}
				}
			}
		})
	}
}
