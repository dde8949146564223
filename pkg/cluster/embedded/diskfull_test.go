package embedded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testdisk"
)

// fill writes to a file on dir until the disk is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestDiskFullAtStart: etcd panics when it cannot create its WAL;
// Start returns that as one error with the cause.
func TestDiskFullAtStart(t *testing.T) {
	t.Parallel()
	disk := testdisk.Small(t, "2m")
	_, _, err := tryStart(t, filepath.Join(disk, "etcd"), nil, func(o *Options) { o.StartTimeout = 10 * time.Second })
	if err == nil {
		t.Fatal("started on a full disk")
	}
	t.Logf("start on a full disk: %v", err)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error %q is not ENOSPC", err)
	}
	var f *Fault
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "the disk holding data_dir is full") {
		t.Errorf("error %q, want a Fault that says the disk is full", err)
	}
}

// TestDiskFullWhileRunning: when the disk fills up under a running
// store, a write makes etcd fail for good; OnFatal gets one Fault with
// the cause instead of the process exiting without a word.
func TestDiskFullWhileRunning(t *testing.T) {
	t.Parallel()
	disk := testdisk.Small(t, "160m")
	faults := make(chan error, 4)
	e, _ := startEtcd(t, filepath.Join(disk, "etcd"), nil, func(o *Options) {
		o.OnFatal = func(err error) { faults <- err }
	})
	// Not closed: after a fault etcd's goroutines may hold its locks.
	user, pw := e.Credentials()
	cli, err := rawClient(t, e.Endpoints(), user, pw)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, disk)
	value := strings.Repeat("x", 1<<20)
	var fault error
	for i := 0; i < 100 && fault == nil; i++ {
		ctx := ctxTimeout(t, 2*time.Second)
		_, _ = cli.Put(ctx, testPrefix+"big", value)
		select {
		case fault = <-faults:
		default:
		}
	}
	if fault == nil {
		select {
		case fault = <-faults:
		case <-time.After(10 * time.Second):
			t.Fatal("no fault after writing 100 MB to a full disk")
		}
	}
	t.Logf("fault: %v", fault)
	if !errors.Is(fault, syscall.ENOSPC) || !strings.Contains(fault.Error(), "the disk holding data_dir is full") {
		t.Errorf("fault %q, want ENOSPC and the disk named full", fault)
	}
	if len(faults) != 0 {
		t.Errorf("%d more faults, want one", len(faults))
	}
}
