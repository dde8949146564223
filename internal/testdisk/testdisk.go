// Package testdisk gives tests a small disk that fills up, for what gtmd
// and its embedded store do when writes fail with ENOSPC.
package testdisk

import (
	"os"
	"syscall"
	"testing"
)

// Small mounts a tmpfs of size (as mount's size= option spells it, "2m")
// on a new directory and returns it. It needs root (CI runs as root) and
// skips the test otherwise, or where the mount is refused.
func Small(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	// Lazily: a failed etcd may still hold files open.
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}
