package archtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/gtmd/gtmd/"

// deps is what `go list -deps` says pkg links, by import path.
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	got := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		got[p] = true
	}
	return got
}

// TestArrowsPointOneWay: the query path never reaches etcd or the health
// checks (they arrive as data), selection is pure, location knows no
// policy, and the admin API and its Go client link nothing of etcd.
func TestArrowsPointOneWay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, tc := range []struct {
		pkg       string
		forbidden []string
	}{
		{"geo", []string{"pkg/"}},
		{"pkg/config", []string{"pkg/policy", "pkg/resolver", "pkg/health", "pkg/cluster", "pkg/admin", "pkg/node", "geo"}},
		{"pkg/policy", []string{"pkg/health", "pkg/cluster", "pkg/resolver", "pkg/admin", "pkg/node"}},
		{"pkg/resolver", []string{"pkg/health", "pkg/cluster", "pkg/admin", "pkg/node", "go.etcd.io/"}},
		{"pkg/dnstaplog", []string{"pkg/health", "pkg/cluster", "pkg/admin", "pkg/node", "go.etcd.io/"}},
		{"pkg/health", []string{"pkg/cluster", "pkg/resolver", "pkg/admin", "pkg/node", "go.etcd.io/"}},
		{"pkg/cluster", []string{"pkg/resolver", "pkg/policy", "pkg/admin", "pkg/node", "go.etcd.io/etcd/server/"}},
		{"pkg/admin", []string{"pkg/node", "pkg/resolver", "go.etcd.io/"}},
		{"pkg/client", []string{"pkg/node", "pkg/resolver", "go.etcd.io/", "google.golang.org/grpc"}},
		{"pkg/dnssec", []string{"pkg/cluster", "pkg/node", "pkg/admin", "pkg/resolver", "pkg/health", "pkg/policy", "pkg/config", "geo", "go.etcd.io/"}},
	} {
		for dep := range deps(t, tc.pkg) {
			for _, bad := range tc.forbidden {
				full := bad
				if !strings.HasPrefix(bad, "go.etcd.io/") {
					full = module + bad
				}
				if strings.HasPrefix(dep, full) {
					t.Errorf("%s links %s", tc.pkg, dep)
				}
			}
		}
	}
}

// TestOnlyTheBinaryStandsOnTheNode: pkg/node is imported by cmd/gtmd and
// the examples, never by a package it is built from.
func TestOnlyTheBinaryStandsOnTheNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], module+"cmd/") || strings.HasPrefix(f[0], module+"examples/") || strings.HasPrefix(f[0], module+"pkg/node") {
			continue
		}
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module+"pkg/node") {
				t.Errorf("%s imports %s", f[0], imp)
			}
		}
	}
}

// TestBinaryIsWiring: cmd/gtmd keeps flags, signals and dispatch; what a
// node does lives in pkg/node and what the subcommands do in
// internal/cli. Its Go files (tests aside) stay under 600 lines.
func TestBinaryIsWiring(t *testing.T) {
	files, err := filepath.Glob("../../cmd/gtmd/*.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines += bytes.Count(b, []byte("\n"))
	}
	if lines == 0 || lines > 600 {
		t.Errorf("cmd/gtmd holds %d lines of Go outside its tests; want at most 600 (and some)", lines)
	}
}
