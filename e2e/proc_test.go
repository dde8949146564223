package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one external process of the test: a server started in the
// foreground, its output in a log file, stopped by its PID.
type proc struct {
	name string
	path string   // the binary
	args []string // its arguments
	log  string   // where stdout and stderr go

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current run has exited
	err  error         // the current run's exit status, once done
}

// newProc describes a process; start runs it. The test's cleanup stops it
// (SIGTERM, then SIGKILL) if it still runs, and prints the end of its log
// when the test failed.
func newProc(t *testing.T, name, logPath, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, path: bin, args: args, log: logPath}
	t.Cleanup(func() {
		p.stop(5 * time.Second)
		if t.Failed() {
			t.Logf("--- last lines of %s (%s):\n%s", p.name, p.log, p.tail(40))
		}
	})
	return p
}

// start runs the process (again, after it exited). Its output is appended
// to the log file, so a restart keeps the earlier run's lines.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isDone(p.done) {
		return fmt.Errorf("%s is already running (pid %d)", p.name, p.cmd.Process.Pid)
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "=== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	// A process group of its own: a Ctrl-C of `go test` is not delivered
	// to it behind the cleanup's back, and nothing else is signalled.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.err = cmd, done, nil
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// running reports whether the process has been started and not exited.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isDone(p.done)
}

// exitErr says how the process ended, when it did; nil while it runs.
func (p *proc) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || !isDone(p.done) {
		return nil
	}
	if p.err == nil {
		return fmt.Errorf("%s exited", p.name)
	}
	return fmt.Errorf("%s exited: %w", p.name, p.err)
}

// pid is the running process's id, 0 when none runs.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || isDone(p.done) {
		return 0
	}
	return p.cmd.Process.Pid
}

// signal sends sig to the process (by its PID) if it runs.
func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || isDone(p.done) {
		return fmt.Errorf("%s is not running", p.name)
	}
	return p.cmd.Process.Signal(sig)
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	return p.wait(10 * time.Second)
}

// stop asks the process to end (SIGCONT, in case it was stopped, then
// SIGTERM) and kills it when it has not ended within grace.
func (p *proc) stop(grace time.Duration) {
	if !p.running() {
		return
	}
	_ = p.signal(syscall.SIGCONT)
	_ = p.signal(syscall.SIGTERM)
	if p.wait(grace) == nil {
		return
	}
	_ = p.signal(syscall.SIGKILL)
	_ = p.wait(10 * time.Second)
}

// wait waits up to limit for the current run to exit.
func (p *proc) wait(limit time.Duration) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-time.After(limit):
		return fmt.Errorf("%s did not exit within %s", p.name, limit)
	}
}

// tail returns the last n lines of the process's log.
func (p *proc) tail(n int) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// errNotYet is what a poll's condition returns while it waits.
var errNotYet = errors.New("not yet")

// poll calls cond every step until it returns nil or limit has passed, and
// returns how long that took. The last error cond returned says why it
// gave up. This is the only way the tests wait: for a condition, bounded.
func poll(limit, step time.Duration, cond func() error) (time.Duration, error) {
	return pollFrom(time.Now(), limit, step, cond)
}

// pollFrom is poll for an event that happened at start: the duration it
// returns, and the limit, count from start.
func pollFrom(start time.Time, limit, step time.Duration, cond func() error) (time.Duration, error) {
	deadline := start.Add(limit)
	for {
		err := cond()
		if err == nil {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return time.Since(start), fmt.Errorf("not within %s: %w", limit, err)
		}
		time.Sleep(step)
	}
}

// needTools finds tools (names to Debian packages) for the test what,
// skipping it when one is missing, or failing it under CI=true, where
// .ci/run installs them.
func needTools(t *testing.T, what string, tools map[string]string) map[string]string {
	t.Helper()
	paths, missing := lookTools(tools)
	if len(missing) > 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s needs %s (CI installs them)", what, strings.Join(missing, ", "))
		}
		t.Skipf("%s needs %s", what, strings.Join(missing, ", "))
	}
	return paths
}

// lookTools finds the binaries the test needs; missing names the ones it
// could not find, each with the Debian package that has it.
func lookTools(names map[string]string) (paths map[string]string, missing []string) {
	paths = map[string]string{}
	for name, pkg := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			// Debian keeps daemons in sbin, which a user's PATH may lack.
			for _, dir := range []string{"/usr/sbin", "/sbin"} {
				if _, serr := os.Stat(filepath.Join(dir, name)); serr == nil {
					p, err = filepath.Join(dir, name), nil
					break
				}
			}
		}
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s (apt-get install -y %s)", name, pkg))
			continue
		}
		paths[name] = p
	}
	return paths, missing
}
