package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// countingReader is a random source that says how much was taken.
type countingReader struct {
	b    byte
	read int
}

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	r.read += len(p)
	return len(p), nil
}

func noEnv(string) string { return "" }

// TestEnsureKEK covers when `gtmd serve` makes the key-encryption key
// file and when it refuses to start without one.
func TestEnsureKEK(t *testing.T) {
	const external = "http://127.0.0.1:1"
	for _, tc := range []struct {
		name     string
		existing string // the file's content before, "" for no file
		etcd     []string
		fallback bool
		env      string
		created  bool
		err      string // part of the error
	}{
		{name: "embedded store, no file: made", created: true},
		{name: "embedded store, file kept", existing: "kept\n"},
		{name: "external store, no file: refused", etcd: []string{external}, err: "does not exist: copy it from another node of the cluster, or, for the cluster's first node, make one with `(umask 077; openssl rand -hex 32 > FILE)`"},
		{name: "external store, file kept", etcd: []string{external}, existing: "kept\n"},
		{name: "external store, no file, unsigned fallback", etcd: []string{external}, fallback: true},
		{name: "the environment takes the file's place", env: strings.Repeat("ab", 32)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", "dnssec.kek")
			if tc.existing != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tc.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c := config.DefaultNode()
			c.Store.EtcdEndpoints = tc.etcd
			c.DNSSEC = config.NodeDNSSEC{KeyEncryptionKeyFile: path, UnsignedFallback: tc.fallback}
			getenv := func(k string) string {
				if k == config.KEKEnv {
					return tc.env
				}
				return ""
			}
			random := &countingReader{b: 0x5a}
			created, err := ensureKEK(&c, getenv, random)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, path, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if created != tc.created {
				t.Errorf("created %v, want %v", created, tc.created)
			}
			got, readErr := os.ReadFile(path)
			switch {
			case tc.existing != "":
				if string(got) != tc.existing {
					t.Errorf("the existing file now holds %q", got)
				}
			case tc.created:
				if want := strings.Repeat("5a", 32) + "\n"; string(got) != want {
					t.Errorf("the file holds %q, want %q", got, want)
				}
				if _, err := config.LoadKEK(c.DNSSEC, noEnv); err != nil {
					t.Errorf("the file made does not load: %v", err)
				}
				fi, _ := os.Stat(path)
				if perm := fi.Mode().Perm(); perm != 0o600 {
					t.Errorf("mode %04o, want 0600", perm)
				}
				// A second start keeps it.
				again, err := ensureKEK(&c, getenv, random)
				if err != nil || again || random.read != config.KEKSize {
					t.Errorf("second start: created %v, %v, %d random bytes read; want the file kept", again, err, random.read)
				}
				if now, _ := os.ReadFile(path); !bytes.Equal(now, got) {
					t.Errorf("the second start changed the file: %q", now)
				}
				entries, _ := os.ReadDir(filepath.Dir(path))
				if len(entries) != 1 {
					t.Errorf("the directory holds %d entries, want the key file alone (no temporary file left)", len(entries))
				}
			default:
				if !errors.Is(readErr, os.ErrNotExist) {
					t.Errorf("a file was made: %q, %v", got, readErr)
				}
			}
		})
	}
}

// TestEnsureKEKNotConfigured: without dnssec.key_encryption_key_file
// nothing is made, even with the embedded store.
func TestEnsureKEKNotConfigured(t *testing.T) {
	c := config.DefaultNode()
	c.DataDir = t.TempDir()
	random := &countingReader{}
	if created, err := ensureKEK(&c, noEnv, random); created || err != nil || random.read != 0 {
		t.Errorf("created %v, %v, %d random bytes read; want nothing done", created, err, random.read)
	}
}

// TestServeRefusesMissingKEK runs `gtmd serve` with an external store and
// no key file: it stops before doing anything, with one line naming the
// file.
func TestServeRefusesMissingKEK(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(config.KEKEnv, "")
	file := writeFile(t, dir, "gtmd.yaml", `store: {etcd_endpoints: ["http://127.0.0.1:1"]}
dns: {listen: []}
admin: {listen: ""}
dnssec: {key_encryption_key_file: keys/dnssec.kek}
`)
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"serve", "--config", file}, &out, &errOut)
	want := "gtmd serve: the DNSSEC key-encryption key file " + filepath.Join(dir, "keys", "dnssec.kek") + " (dnssec.key_encryption_key_file) does not exist"
	if code != 1 || !strings.HasPrefix(errOut.String(), want) || strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and one line starting %q", code, errOut.String(), want)
	}
}

// TestQuickStartKEKInDataDir: the quick start's key file lies in its data
// directory, so `rm -rf examples/quickstart/data` starts over with a new
// store and a new key together, and its store is the embedded one, the
// case in which serve makes the file.
func TestQuickStartKEKInDataDir(t *testing.T) {
	const file = "../../examples/quickstart/gtmd.yaml"
	c, err := config.LoadNode(file)
	if err != nil {
		t.Fatal(err)
	}
	c.ResolvePaths(filepath.Dir(file))
	if want := filepath.Join(c.DataDir, "dnssec.kek"); c.DNSSEC.KeyEncryptionKeyFile != want {
		t.Errorf("key file %q, want %q", c.DNSSEC.KeyEncryptionKeyFile, want)
	}
	if len(c.Store.EtcdEndpoints) != 0 {
		t.Errorf("the quick start names etcd endpoints %v; serve would not make its key file", c.Store.EtcdEndpoints)
	}
}
