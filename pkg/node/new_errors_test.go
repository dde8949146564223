package node

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// TestNewRefusesMissingFiles: a node file naming a file that is not
// there makes New fail with an error naming it, never a panic (the
// clean-ups of a failed New once read the nil node it returned).
func TestNewRefusesMissingFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tc := range []struct {
		name string
		set  func(*config.Node)
	}{
		{"tokens file", func(n *config.Node) { n.Admin.TokensFile = missing }},
		{"GeoIP database", func(n *config.Node) { n.GeoIP.Database = missing }},
		{"GeoIP database and tokens file", func(n *config.Node) { n.GeoIP.Database, n.Admin.TokensFile = "../../geo/testdata/city.mmdb", missing }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.DefaultNode()
			c.Node.ID = "n1"
			c.DataDir = t.TempDir()
			tc.set(&c)
			n, err := New(Options{Config: &c})
			if err == nil || n != nil {
				t.Fatalf("New = %v, %v; want an error", n, err)
			}
			if !strings.Contains(err.Error(), missing) {
				t.Errorf("error %q does not name %s", err, missing)
			}
		})
	}
}
