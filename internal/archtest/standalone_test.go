package archtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// outsideNames are names of files that live outside the repository,
// which users who clone it never get. They are spelt in pieces so that
// this file does not name them itself.
var outsideNames = []string{"PRODUCT" + ".md", ".." + "/shared"}

// TestNoFileLeansOnFilesOutsideTheRepository fails naming every tracked
// file that points at a file outside the repository: the README, docs/,
// the examples and the code must stand on their own.
func TestNoFileLeansOnFilesOutsideTheRepository(t *testing.T) {
	root, files := trackedFiles(t)
	if len(files) == 0 {
		t.Fatal("git ls-files listed no file")
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet committed
			}
			t.Fatalf("reading %s: %v", f, err)
		}
		for n, line := range bytes.Split(b, []byte("\n")) {
			for _, name := range outsideNames {
				if bytes.Contains(line, []byte(name)) {
					t.Errorf("%s:%d names %s, which is not in the repository: say what it says here instead", f, n+1, name)
				}
			}
		}
	}
}

// trackedFiles is the repository's root and its files as git knows
// them; it skips the test outside a git checkout (a source tarball).
func trackedFiles(t *testing.T) (string, []string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: cannot list the repository's files")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout (git rev-parse: %v): cannot list the repository's files", err)
	}
	root := strings.TrimSpace(string(top))
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s: %v", root, err)
	}
	var files []string
	for f := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		files = append(files, f)
	}
	return root, files
}
