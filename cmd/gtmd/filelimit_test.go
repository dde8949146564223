//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/internal/testport"
	"github.com/gtmd/gtmd/internal/testwait"
)

// TestRaiseFileLimitProcess lowers its own soft descriptor limit and
// raises it with raiseFileLimit; started by TestRaiseFileLimit, since
// the limit is the whole process's.
func TestRaiseFileLimitProcess(t *testing.T) {
	if os.Getenv("GTMD_TEST_RAISE_FILE_LIMIT") != "1" {
		t.Skip("started by TestRaiseFileLimit")
	}
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		fmt.Printf("getrlimit: %v\n", err)
		os.Exit(3)
	}
	low := syscall.Rlimit{Cur: min(l.Max, 64), Max: l.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		fmt.Printf("setrlimit: %v\n", err)
		os.Exit(3)
	}
	soft, hard, err := raiseFileLimit()
	fmt.Printf("lowered=%d soft=%d hard=%d current=%d err=%v\n", low.Cur, soft, hard, currentFileLimit(), err)
	os.Exit(0)
}

// TestRaiseFileLimit: a process started with a soft descriptor limit
// below its hard one runs with the hard one.
func TestRaiseFileLimit(t *testing.T) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRaiseFileLimitProcess$")
	cmd.Env = append(os.Environ(), "GTMD_TEST_RAISE_FILE_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := fmt.Sprintf("lowered=%d soft=%d hard=%d current=%d err=<nil>\n", min(l.Max, 64), l.Max, l.Max, l.Max)
	if string(out) != want {
		t.Errorf("got  %swant %s", out, want)
	}
}

// TestServeWithFileLimit is `gtmd serve` in a process of its own with
// the descriptor limit GTMD_TEST_NOFILE, as `prlimit --nofile=N:N gtmd
// serve` starts it; started by TestAdminCannotExhaustDescriptors.
func TestServeWithFileLimit(t *testing.T) {
	n, err := strconv.ParseUint(os.Getenv("GTMD_TEST_NOFILE"), 10, 64)
	if err != nil {
		t.Skip("started by TestAdminCannotExhaustDescriptors")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		fmt.Fprintf(os.Stderr, "lowering the open file limit: %v\n", err)
		os.Exit(3)
	}
	os.Exit(run(context.Background(), []string{"serve", "--config", os.Getenv("GTMD_TEST_SERVE_CONFIG")}, os.Stdout, os.Stderr))
}

// TestAdminCannotExhaustDescriptors: a node with 300 descriptors, 320
// idle admin connections held against it past the embedded store's file
// purge (every 30 s), stays up: it answers /readyz to a new client and
// DNS queries. Before the admin API had a connection cap the process
// exited (the store's purge hit "too many open files").
func TestAdminCannotExhaustDescriptors(t *testing.T) {
	if testing.Short() {
		t.Skip("holds connections against a node for 35 s")
	}
	const limit, held = 300, 320
	traffic, err := filepath.Abs("../../examples/quickstart/traffic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	urls := testport.LoopbackURLs(t, 2)
	cfg := filepath.Join(t.TempDir(), "gtmd.yaml")
	src := fmt.Sprintf(`node: {id: fd, region: test}
dns: {listen: ["127.0.0.1:0"], udp_listeners: 1}
admin: {listen: "127.0.0.1:0"}
store: {embedded: {client_url: %q, peer_url: %q}}
data_dir: %q
traffic_file: %q
log: {level: info}
dnssec: {key_encryption_key_file: %q}
`, urls[0], urls[1], filepath.Join(t.TempDir(), "data"), traffic, filepath.Join(t.TempDir(), "dnssec.kek"))
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestServeWithFileLimit$")
	cmd.Env = append(os.Environ(), "GTMD_TEST_NOFILE="+strconv.Itoa(limit), "GTMD_TEST_SERVE_CONFIG="+cfg)
	logs := &testlog.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exitErr is how the process ended, once exited is closed.
	var exitErr error
	exited := make(chan struct{})
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	alive := func() bool {
		select {
		case <-exited:
			return false
		default:
			return true
		}
	}

	adminRe := regexp.MustCompile(`msg="admin API listening" addr=(\S+)`)
	dnsRe := regexp.MustCompile(`msg="dns listening" addr=(\S+)`)
	var adminAddr, dnsAddr string
	testwait.Eventually(t, 60*time.Second, "the node to listen", func() bool {
		if !alive() {
			t.Fatalf("the node exited at start: %v\n%s", exitErr, logs.String())
		}
		out := logs.String()
		if m := adminRe.FindStringSubmatch(out); m != nil {
			adminAddr = m[1]
		}
		if m := dnsRe.FindStringSubmatch(out); m != nil {
			dnsAddr = m[1]
		}
		return adminAddr != "" && dnsAddr != ""
	})
	client := &http.Client{Timeout: 30 * time.Second}
	testwait.Eventually(t, 60*time.Second, "the node to be ready", func() bool {
		resp, err := client.Get("http://" + adminAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// Each holder asks once and keeps its connection, idle, until the
	// server closes it; the ones beyond the cap wait in the queue until
	// an idle one is closed for them.
	var answered, open atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range held {
		c, err := net.Dial("tcp", adminAddr)
		if err != nil {
			t.Fatalf("dialing the admin API: %v", err)
		}
		open.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer open.Add(-1)
			defer c.Close()
			go func() { <-stop; c.Close() }()
			br := bufio.NewReader(c)
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
				return
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return
			}
			resp.Body.Close()
			answered.Add(1)
			_, _ = io.Copy(io.Discard, br)
		}()
	}
	t.Cleanup(func() { close(stop); wg.Wait() })

	// Past the embedded etcd's file purge, which is what ran out of
	// descriptors and took the process down.
	time.Sleep(35 * time.Second)
	if !alive() {
		t.Fatalf("the node exited with %d admin connections held: %v\n%s", held, exitErr, logs.String())
	}
	resp, err := client.Get("http://" + adminAddr + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz from a new client: %v\n%s", err, logs.String())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz from a new client: %d", resp.StatusCode)
	}
	q := new(dns.Msg).SetQuestion("example.test.", dns.TypeSOA)
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, dnsAddr)
	if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("example.test SOA: %v %v", r, err)
	}
	t.Logf("%d of %d held connections answered; %d still open", answered.Load(), held, open.Load())
	out := logs.String()
	for _, want := range []string{
		`msg="open file limit" limit=300 hard_limit=300`,
		`msg="admin.limits.max_connections lowered to leave descriptors to the rest of the node" max_connections=256 lowered_to=50 descriptor_limit=300`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

// currentFileLimit is the soft limit of open descriptors now.
func currentFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return uint64(l.Cur)
}
