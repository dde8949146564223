package cluster

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package doc's promises about etcd, which the linker would not check:
// this package and everything outside pkg/cluster/embedded link only
// etcd's client, so a program that wants a Store does not carry etcd's
// server, raft and bbolt; and nothing outside pkg/cluster talks to etcd.
const (
	etcdModules = "go.etcd.io/"
	etcdServer  = "go.etcd.io/etcd/server/v3"
	module      = "github.com/gtmd/gtmd"
)

// underPath reports whether import path p is dir or inside it.
func underPath(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// TestEtcdImports reads the imports of every non-test file in the module:
// etcd's server only under pkg/cluster/embedded, any of etcd's modules
// only under pkg/cluster.
func TestEtcdImports(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not two directories up: %v", err)
	}
	fset := token.NewFileSet()
	serverImporters := 0 // files that may import the server and do
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// What the go command ignores as well.
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		pkg := module + "/" + filepath.ToSlash(filepath.Dir(rel))
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case underPath(p, etcdServer) && underPath(pkg, module+"/pkg/cluster/embedded"):
				serverImporters++
			case underPath(p, etcdServer):
				t.Errorf("%s imports %s: etcd's server belongs to pkg/cluster/embedded alone", rel, p)
			case strings.HasPrefix(p, etcdModules) && !underPath(pkg, module+"/pkg/cluster"):
				t.Errorf("%s imports %s: only pkg/cluster talks to etcd", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if serverImporters == 0 {
		t.Error("no file under pkg/cluster/embedded imports etcd's server: the walk missed the module's files")
	}
}

// serverModules are what running etcd takes beside its client: the
// server, raft and the bbolt database.
var serverModules = []string{etcdServer, "go.etcd.io/raft/v3", "go.etcd.io/bbolt"}

// TestStoreLinksNoEtcdServer asks the go command what a program importing
// this package links, and what one importing package embedded does, so
// the check is seen to catch the server where it is.
func TestStoreLinksNoEtcdServer(t *testing.T) {
	for _, c := range []struct {
		pkg        string
		wantServer bool
	}{
		{module + "/pkg/cluster", false},
		{module + "/pkg/cluster/embedded", true},
	} {
		t.Run(c.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", c.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", c.pkg, err)
			}
			linked := map[string]bool{} // of serverModules
			client := false
			for _, dep := range strings.Fields(string(out)) {
				client = client || underPath(dep, "go.etcd.io/etcd/client/v3")
				for _, m := range serverModules {
					if underPath(dep, m) {
						linked[m] = true
					}
				}
			}
			if !client {
				t.Fatalf("%s does not link etcd's client: the list is not what it seems:\n%s", c.pkg, out)
			}
			for _, m := range serverModules {
				if linked[m] != c.wantServer {
					t.Errorf("%s links %s: %v, want %v", c.pkg, m, linked[m], c.wantServer)
				}
			}
		})
	}
}
