package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestTwoRegionsRunLocal runs examples/two-regions/run-local.sh as its
// README tells a user to: it waits for the script's "ready:", asks
// through the script's Unbound for a US and a DE client, takes us-east's
// stand-in load balancer down as the script says to and sees every answer
// move to eu-west, then stops the script with SIGINT (Ctrl-C) and checks
// that no process it started is left and its ports are free again.
func TestTwoRegionsRunLocal(t *testing.T) {
	skip := func(why string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("two-regions run-local.sh: %s (CI=true: not skipped)", why)
		}
		t.Skip("two-regions run-local.sh: " + why)
	}
	if testing.Short() {
		skip("skipped in -short mode")
	}
	tools, missing := lookTools(map[string]string{"bash": "bash", "unbound": "unbound", "dig": "bind9-dnsutils", "go": "golang"})
	if len(missing) > 0 {
		slices.Sort(missing)
		skip("missing tools: " + strings.Join(missing, ", "))
	}
	if os.Geteuid() != 0 {
		skip("needs root: the nodes listen on port 53 of 127.x.y.z")
	}
	example := filepath.Join("..", "examples", "two-regions")
	tr, err := config.LoadTraffic(filepath.Join(example, "traffic.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// How long a region's failure takes to reach a resolver's answers,
	// from the example's own document: fall × interval + timeout, then
	// the TTL, plus slack for a result's trip through etcd, the shared
	// machine and the resolver's whole seconds.
	var ttl time.Duration
	for _, s := range tr.Services {
		ttl = max(ttl, time.Duration(*s.TTL)*time.Second)
	}
	var detect time.Duration
	for _, c := range tr.Checks {
		detect = max(detect, time.Duration(c.Fall)*c.Interval.Std()+c.Timeout.Std())
	}
	limit := detect + ttl + 10*time.Second

	net := freeLocalNet(t)
	dir := filepath.Join(t.TempDir(), "run")
	bin := buildGtmd(t, t.TempDir())
	cmd := exec.Command(tools["bash"], filepath.Join(example, "run-local.sh"))
	cmd.Env = append(os.Environ(), "GTMD_LOCAL_NET="+net, "GTMD_LOCAL_DIR="+dir, "GTMD_BIN="+bin,
		"PATH="+os.Getenv("PATH")+":"+filepath.Dir(tools["unbound"])+":"+filepath.Dir(tools["go"]))
	// Its own process group: whatever the script leaves behind can be
	// found, and is killed when the test ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &testlog.Buffer{}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	readyc := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			if !seen && strings.HasPrefix(sc.Text(), "ready:") {
				seen = true
				close(readyc)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		// A failed run's leftovers, by process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	failf := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\nthe script printed:\n%s%s", fmt.Sprintf(format, args...), out.String(), logTails(dir))
	}
	select {
	case <-readyc:
	case err := <-exited:
		failf("run-local.sh ended before it was ready: %v", err)
	case <-time.After(5 * time.Minute):
		failf("run-local.sh was not ready within 5 minutes")
	}
	t.Logf("run-local.sh is ready on %s.x", net)

	resolver := net + ".20:53"
	us, de := clientSubnet("us-va"), clientSubnet("de")
	usAnswer := tr.Services[0].Endpoints[0].A[0] // us-east
	euAnswer := tr.Services[0].Endpoints[1].A[0] // eu-west
	through := func(name string, ecs netip.Prefix) ([]string, error) {
		r, _, err := exchange(resolver, ask{name: name, qtype: dns.TypeA, ecs: ecs, rd: true}, 2*time.Second)
		if err != nil {
			return nil, err
		}
		if r.Rcode != dns.RcodeSuccess {
			return nil, fmt.Errorf("%s: %s", name, dns.RcodeToString[r.Rcode])
		}
		return addrs(r), nil
	}
	for _, tc := range []struct {
		name string
		ecs  netip.Prefix
		want string
	}{
		{"www.gtm.example.com.", us, usAnswer},
		{"www.gtm.example.com.", de, euAnswer},
		{"api.gtm.example.com.", us, usAnswer},
		{"api.gtm.example.com.", de, usAnswer},
	} {
		got, err := through(tc.name, tc.ecs)
		if err != nil || !slices.Equal(got, []string{tc.want}) {
			failf("%s for a client in %s through Unbound: %v %v, want %s", tc.name, tc.ecs, got, err, tc.want)
		}
	}

	// us-east goes dark, as the script's "kill" line does it.
	pid := readPID(t, filepath.Join(dir, "us-east-target.pid"))
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	took, err := poll(limit, 200*time.Millisecond, func() error {
		for _, q := range []struct {
			name string
			ecs  netip.Prefix
		}{{"www.gtm.example.com.", us}, {"api.gtm.example.com.", us}, {"api.gtm.example.com.", de}} {
			got, err := through(q.name, q.ecs)
			if err != nil {
				return err
			}
			if !slices.Equal(got, []string{euAnswer}) {
				return fmt.Errorf("%s for %s: %v, want %s", q.name, q.ecs, got, euAnswer)
			}
		}
		return nil
	})
	if err != nil {
		failf("after us-east's load balancer stopped: %v", err)
	}
	t.Logf("Unbound answered eu-west for every client %s after us-east went dark (checks: %s, TTL %s)", took.Round(100*time.Millisecond), detect, ttl)

	// Ctrl-C: the script stops everything it started.
	pids := readPIDs(t, dir)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			failf("run-local.sh after SIGINT: %v, want exit status 130", err)
		}
	case <-time.After(90 * time.Second):
		failf("run-local.sh did not stop within 90 s of SIGINT")
	}
	if !strings.Contains(out.String(), "stopped; configurations and logs are in "+dir) {
		failf("run-local.sh did not say it stopped")
	}
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) is still there after the script stopped: %v", name, pid, err)
		}
	}
	// An orphan is reaped by init a moment after it exits: what is left
	// after that was left running.
	if _, err := poll(2*time.Second, 50*time.Millisecond, func() error {
		if left := groupMembers(cmd.Process.Pid); len(left) > 0 {
			return fmt.Errorf("processes of the script's group are still there: %s", strings.Join(left, ", "))
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	for _, host := range []int{2, 3, 4, 10, 20} {
		if err := portFree(fmt.Sprintf("%s.%d", net, host), 53); err != nil {
			t.Errorf("after the script stopped: %v", err)
		}
	}
}

// freeLocalNet returns the first three octets of a loopback /24 whose
// addresses run-local.sh uses are all free, away from the 127.0.0.x of
// the rest of the suite.
func freeLocalNet(t *testing.T) string {
	t.Helper()
	ports := map[int][]int{53: {2, 3, 4, 10, 20}, 80: {11, 12}, 2379: {1, 10}, 2380: {1, 10}, 8300: {10}, 8301: {2}, 8302: {3}, 8303: {4}}
	for third := 16; third < 64; third++ {
		net := "127.0." + strconv.Itoa(third)
		free := true
		for port, hosts := range ports {
			for _, h := range hosts {
				if portFree(fmt.Sprintf("%s.%d", net, h), port) != nil {
					free = false
				}
			}
		}
		if free {
			return net
		}
	}
	t.Fatal("no free 127.0.x.0/24 between 127.0.16 and 127.0.63 for run-local.sh")
	return ""
}

// groupMembers lists the processes of process group pgid, as "pid
// (command)", from /proc.
func groupMembers(pgid int) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []string
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		s := string(b)
		end := strings.LastIndexByte(s, ')')
		if end < 0 {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) {
			out = append(out, strings.TrimSpace(s[:end+1]))
		}
	}
	return out
}

func readPID(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Fatalf("%s: %q is not a pid", file, b)
	}
	return pid
}

// readPIDs reads every pid file the script wrote, by process name.
func readPIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.pid"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pid files in %s: %v", dir, err)
	}
	pids := map[string]int{}
	for _, f := range files {
		pids[strings.TrimSuffix(filepath.Base(f), ".pid")] = readPID(t, f)
	}
	return pids
}

// logTails is the end of every log the script wrote, for a failure.
func logTails(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(&b, "\n--- %s (last lines)\n%s\n", filepath.Base(f), strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}
