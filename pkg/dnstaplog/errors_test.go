package dnstaplog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnstaplog"
)

// TestBadInputSaysWhat: files that are not dnstap, paths that cannot be
// written and settings out of range give an error naming what and
// where, never a panic.
func TestBadInputSaysWhat(t *testing.T) {
	dir := t.TempDir()
	notDnstap := filepath.Join(dir, "zone.txt")
	if err := os.WriteFile(notDnstap, []byte("example.test. 300 IN A 192.0.2.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		run  func() error
		want []string
	}{
		{"missing file", func() error { _, err := dnstaplog.ReadFile(filepath.Join(dir, "none.dnstap")); return err }, []string{"none.dnstap"}},
		{"not a dnstap file", func() error { _, err := dnstaplog.ReadFile(notDnstap); return err }, []string{"zone.txt"}},
		{"file in a missing directory", func() error {
			_, err := dnstaplog.NewFileOutput(filepath.Join(dir, "no", "q.dnstap"))
			return err
		}, []string{"opening the dnstap file", "q.dnstap"}},
		{"no output", func() error { _, err := dnstaplog.NewOutput(config.Dnstap{Sample: 1}, nil); return err }, []string{"no output"}},
		{"sample above one", func() error {
			_, err := dnstaplog.New(dnstaplog.Options{Output: discard{}, Sample: 2})
			return err
		}, []string{"sample 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
