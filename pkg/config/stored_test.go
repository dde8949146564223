package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestEncodeStoredCeiling checks that the stored form of a document just
// under the ceiling is accepted and the one just over it is refused with
// its size, though both sources are well under it.
func TestEncodeStoredCeiling(t *testing.T) {
	under, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		src  []byte
		ok   bool
	}{{"just under", under.Source, true}, {"just over", over.Source, false}} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.src) >= config.MaxDocumentBytes {
				t.Fatalf("the source is %d bytes; it must be under the ceiling to test the stored form", len(tc.src))
			}
			doc, err := config.ParseTraffic("t.json", tc.src, "")
			if err != nil {
				t.Fatal(err)
			}
			b, err := config.EncodeStored(doc)
			if tc.ok {
				if err != nil || len(b) > config.MaxDocumentBytes {
					t.Fatalf("EncodeStored: %d bytes, %v; want at most %d and no error", len(b), err, config.MaxDocumentBytes)
				}
				// The stored form reads back as the same document.
				again, err := config.ParseTraffic("stored", b, "")
				if err != nil {
					t.Fatal(err)
				}
				if b2, _ := config.EncodeStored(again); string(b2) != string(b) {
					t.Error("the stored form changes when read back and stored again")
				}
				return
			}
			var tl *config.DocumentTooLargeError
			if !errors.As(err, &tl) || tl.Size != len(over.Stored) {
				t.Fatalf("EncodeStored: %v; want a *DocumentTooLargeError of the stored form", err)
			}
			want := fmt.Sprintf("the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of 1500000 bytes: the cluster store (etcd) refuses a write over 1.5 MiB", tl.Size)
			if err.Error() != want {
				t.Errorf("error\n got: %s\nwant: %s", err, want)
			}
		})
	}
}

// TestParseTrafficLargeSource checks that the ceiling is on the stored
// form, not on the source: a file over it with comments parses.
func TestParseTrafficLargeSource(t *testing.T) {
	src := []byte("zones: []\n#" + strings.Repeat("x", config.MaxDocumentBytes) + "\n")
	if _, err := config.ParseTraffic("t.yaml", src, ""); fmt.Sprint(err) != "t.yaml:1:8: zones: needs at least one zone" {
		t.Errorf("a source of %d bytes: %v, want it parsed and its faults reported", len(src), err)
	}
}

// TestZoneFileNotRegular checks that a zone file that is a device, a pipe
// or too large is refused before it is read: a document from the API or
// the store names paths on every node, and reading /dev/zero or a FIFO
// would never end.
func TestZoneFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "zone.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.zone")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(config.MaxDocumentBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct{ path, want string }{
		{"/dev/zero", "/dev/zero is not a regular file"},
		{fifo, fifo + " is not a regular file"},
		{big, big + " is 1500001 bytes, over the limit of 1500000 bytes of a traffic document"},
	} {
		doc := fmt.Sprintf("zones:\n  - name: example.com.\n    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}\n    ns: [ns1.example.com.]\n    records: [{name: ns1, type: A, data: [192.0.2.53]}]\n    zone_file: %s\n", tc.path)
		_, err := config.ParseTraffic("t.yaml", []byte(doc), "")
		want := "t.yaml:6:16: zones[0].zone_file: " + tc.want
		if got := fmt.Sprint(err); got != want {
			t.Errorf("zone_file %s\n got: %s\nwant: %s", tc.path, got, want)
		}
	}
}
