package secretfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret")
	created, err := WriteNew(path, []byte("first\n"))
	if err != nil || !created {
		t.Fatalf("first write: created %v, err %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %04o, want 0600", perm)
	}
	created, err = WriteNew(path, []byte("second\n"))
	if err != nil || created {
		t.Fatalf("second write: created %v, err %v; want the existing file kept", created, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first\n" {
		t.Errorf("content %q, want the first write's", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want the file alone (no temporary left)", len(entries))
	}
}
