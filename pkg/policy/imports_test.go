package policy

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPure guards the package doc's promise: selection imports no health,
// cluster, DNS, I/O, clock or global randomness.
func TestPure(t *testing.T) {
	forbidden := []string{
		"github.com/gtmd/gtmd/pkg/health", "github.com/gtmd/gtmd/pkg/cluster", "github.com/gtmd/gtmd/pkg/resolver",
		"github.com/miekg/dns", "net", "net/http", "os", "io", "io/fs", "time", "sync", "log", "log/slog",
		"math/rand", "math/rand/v2", "unsafe",
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
}
