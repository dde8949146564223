package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/pkg/health"
)

// region is a stand-in for a region's web servers: its health endpoint
// says ok, or 503 once failed.
type region struct {
	srv    *httptest.Server
	failed atomic.Bool
}

func newRegion(t *testing.T) *region {
	r := &region{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if r.failed.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *region) url() string { return r.srv.URL + "/healthz" }

// ask sends one question over net ("udp" or "tcp").
func ask(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	q := new(dns.Msg).SetQuestion(name, qtype)
	q.RecursionDesired = false
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return r
}

// addressOf returns the single A address of an answer, "" otherwise.
func addressOf(m *dns.Msg) string {
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
		return ""
	}
	if a, ok := m.Answer[0].(*dns.A); ok {
		return a.A.String()
	}
	return ""
}

// waitFor asks until the service answers want, within limit.
func waitFor(t *testing.T, addr, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := addressOf(ask(t, "udp", addr, Service, dns.TypeA))
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s answered %q, not %s, for %s", Service, got, want, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEmbedded runs the program's logic in the test: the answers follow a
// real HTTP health target as it fails and recovers.
func TestEmbedded(t *testing.T) {
	us, eu := newRegion(t), newRegion(t)
	const interval = 200 * time.Millisecond
	app, err := Start(Config{Listen: "127.0.0.1:0", USCheck: us.url(), EUCheck: eu.url(), Interval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := app.Close(); err != nil {
			t.Error(err)
		}
	})
	addr := app.Addr()

	// Both transports, authoritative answers from the resolver.
	for _, network := range []string{"udp", "tcp"} {
		r := ask(t, network, addr, Service, dns.TypeA)
		if got := addressOf(r); got != USAddr || !r.Authoritative {
			t.Errorf("%s over %s: %q aa=%v, want %s with AA", Service, network, got, r.Authoritative, USAddr)
		}
		soa := ask(t, network, addr, Zone, dns.TypeSOA)
		if soa.Rcode != dns.RcodeSuccess || len(soa.Answer) != 1 || soa.Answer[0].Header().Rrtype != dns.TypeSOA {
			t.Errorf("%s SOA over %s: %v", Zone, network, soa)
		}
	}
	if r := ask(t, "udp", addr, "nope."+Zone, dns.TypeA); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
		t.Errorf("nope.%s: %s with %d authority records, want NXDOMAIN with the SOA", Zone, dns.RcodeToString[r.Rcode], len(r.Ns))
	}
	if r := ask(t, "udp", addr, "example.org.", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Errorf("example.org. (not ours): %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}

	// Wait for both checks to have passed, so the flips below start from Up.
	waitUp := func() {
		deadline := time.Now().Add(10 * interval)
		for app.sched.Status("us-east-http") != health.Up || app.sched.Status("eu-west-http") != health.Up {
			if time.Now().After(deadline) {
				t.Fatalf("checks not up: %v", app.sched.States())
			}
			time.Sleep(interval / 4)
		}
	}
	waitUp()

	// us-east fails: after fall (2) failed checks the answer is eu-west.
	us.failed.Store(true)
	took := waitFor(t, addr, EUAddr, 2*interval+2*time.Second)
	t.Logf("us-east failed → eu-west answered after %s (fall 2 × interval %s)", took.Round(time.Millisecond), interval)
	// It comes back after rise (2) good checks.
	us.failed.Store(false)
	took = waitFor(t, addr, USAddr, 2*interval+2*time.Second)
	t.Logf("us-east back → answered after %s (rise 2 × interval %s)", took.Round(time.Millisecond), interval)
}

// TestProgram builds the program and runs it as a user would, on port 0:
// it says where it listens, answers, and exits cleanly on SIGTERM.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	us, eu := newRegion(t), newRegion(t)
	bin := filepath.Join(t.TempDir(), "embed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-us", us.url(), "-eu", eu.url(), "-interval", "200ms")
	var logs testlog.Buffer
	cmd.Stderr = &logs
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("embed's log:\n%s", logs.String())
		}
	})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- addr
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	var addr string
	select {
	case addr = <-lines:
	case err := <-exited:
		t.Fatalf("embed exited before listening: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("embed did not say where it listens within 20s")
	}
	if got := addressOf(ask(t, "udp", addr, Service, dns.TypeA)); got != USAddr {
		t.Errorf("%s: %q, want %s", Service, got, USAddr)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("embed after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("embed did not exit within 10s of SIGTERM")
	}
}
