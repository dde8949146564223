package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testdisk"
	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/internal/testport"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestServeProcess is `gtmd serve` in a process of its own, started by
// the tests below to see what the process prints and how it exits.
func TestServeProcess(t *testing.T) {
	if os.Getenv("GTMD_TEST_SERVE_PROCESS") != "1" {
		t.Skip("started by the tests of a whole gtmd process")
	}
	os.Exit(run(context.Background(), []string{"serve", "--config", os.Getenv("GTMD_TEST_SERVE_CONFIG")}, os.Stdout, os.Stderr))
}

// serveProcess starts `gtmd serve` on config in a new process.
func serveProcess(t *testing.T, config string) (*exec.Cmd, *testlog.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$")
	cmd.Env = append(os.Environ(), "GTMD_TEST_SERVE_PROCESS=1", "GTMD_TEST_SERVE_CONFIG="+config)
	var stderr testlog.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd, &stderr
}

// diskNodeFile writes a node file whose data_dir is on disk.
func diskNodeFile(t *testing.T, disk string) string {
	t.Helper()
	urls := testport.LoopbackURLs(t, 2)
	src := fmt.Sprintf(`node: {id: full, region: test}
dns: {listen: ["127.0.0.1:0"], udp_listeners: 1}
admin: {listen: "127.0.0.1:0"}
store: {embedded: {client_url: %q, peer_url: %q}}
data_dir: %q
log: {level: info}
`, urls[0], urls[1], filepath.Join(disk, "data"))
	path := filepath.Join(t.TempDir(), "gtmd.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// exitOf waits for cmd and returns its exit code.
func exitOf(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(t, err)
	case <-time.After(limit):
		t.Fatalf("gtmd serve still running after %v", limit)
		return 0
	}
}

// exitCode is the exit code a process's Wait reported.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// oneClearLine checks that gtmd's verdict on the failure (the error
// serve returns) is one line that names the
// cause, and that nothing panicked or printed a stack. etcd's own error
// lines may come before it.
func oneClearLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "gtmd serve: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d lines say why gtmd stops, want 1; stderr:\n%s", len(lines), stderr)
	}
	for _, w := range append(want, "no space left on device") {
		if !strings.Contains(lines[0], w) {
			t.Errorf("line %q, want it to contain %q", lines[0], w)
		}
	}
	for _, bad := range []string{"panic:", "goroutine ", ".go:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr holds %q:\n%s", bad, stderr)
		}
	}
}

// TestDiskFullAtStart: `gtmd serve` on a full disk exits 1 with one line
// saying the WAL could not be created because the disk is full.
func TestDiskFullAtStart(t *testing.T) {
	disk := testdisk.Small(t, "2m")
	cmd, stderr := serveProcess(t, diskNodeFile(t, disk))
	if code := exitOf(t, cmd, time.Minute); code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", code, stderr)
	}
	oneClearLine(t, stderr.String(), "gtmd serve: starting the embedded etcd", "failed to create WAL", "the disk holding data_dir is full")
}

// TestDiskFullWhileRunning: when the disk fills up under a running node,
// the next large write makes etcd fail; the process exits 1 with one line
// that says so, never silently.
func TestDiskFullWhileRunning(t *testing.T) {
	disk := testdisk.Small(t, "160m")
	cfg := diskNodeFile(t, disk)
	cmd, stderr := serveProcess(t, cfg)
	passwordFile := filepath.Join(disk, "data", "etcd-root.password")
	testwait.Eventually(t, time.Minute, "the node listening", func() bool { return strings.Contains(stderr.String(), "gtmd listening") })
	pw, err := os.ReadFile(passwordFile)
	if err != nil {
		t.Fatal(err)
	}
	clientURL := ""
	for _, f := range strings.Fields(stderr.String()) {
		if u, ok := strings.CutPrefix(f, "client_url="); ok {
			clientURL = u
		}
	}
	s, err := cluster.Open(cluster.Options{Endpoints: []string{clientURL}, Username: "root", Password: strings.TrimSpace(string(pw)), Prefix: "/gtmd/", Self: cluster.Member{ID: "writer"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	filler, err := os.Create(filepath.Join(disk, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0}, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	filler.Close()

	// Large writes until the node is gone. A write that fails is not
	// proof of that: on a busy machine one can time out while etcd still
	// has room, and the next one is what fills the disk.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	big := health.Override{State: "drain", Reason: strings.Repeat("x", 1<<20)}
	var exitErr error
	gone := false
	for i, deadline := 0, time.Now().Add(3*time.Minute); !gone && time.Now().Before(deadline); i++ {
		select {
		case exitErr = <-exited:
			gone = true
			continue
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.SetOverride(ctx, "svc", fmt.Sprintf("e%d", i%500), big)
		cancel()
	}
	if !gone {
		select {
		case exitErr = <-exited:
		case <-time.After(time.Minute):
			t.Fatal("gtmd serve still running after its disk filled up")
		}
	}
	if code := exitCode(t, exitErr); code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", code, stderr)
	}
	oneClearLine(t, stderr.String(), "gtmd serve: embedded etcd failed", "the disk holding data_dir is full")
}
