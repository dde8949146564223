package admin_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestTimeoutsCloseConnections: a client cannot hold a connection by
// sending nothing, half a header, half a body, or nothing after its
// request: the server closes each.
func TestTimeoutsCloseConnections(t *testing.T) {
	// Each case makes one timeout short and the others long, so that
	// net/http's fallbacks (a zero idle or header timeout takes the read
	// timeout) cannot stand in for the one under test.
	short, long := config.Duration(150*time.Millisecond), config.Duration(time.Minute)
	for _, tc := range []struct {
		name string
		lim  config.AdminLimits
		// An answered request comes first when request is set; send is
		// written after.
		request bool
		send    string
	}{
		{name: "sends nothing", lim: config.AdminLimits{ReadHeaderTimeout: short, ReadTimeout: long, IdleTimeout: long}},
		{name: "half a header (slowloris)", lim: config.AdminLimits{ReadHeaderTimeout: short, ReadTimeout: long, IdleTimeout: long},
			send: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "},
		{name: "half a body", lim: config.AdminLimits{ReadHeaderTimeout: short, ReadTimeout: 2 * short, IdleTimeout: long},
			send: "PUT /v1/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: 4096\r\n\r\nzones:\n"},
		{name: "idle after a request", lim: config.AdminLimits{ReadHeaderTimeout: long, ReadTimeout: long, IdleTimeout: short}, request: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := serveLimited(t, admintest.New("n1", nil), tc.lim, admin.Options{}, admin.ServerOptions{})
			c := dialRaw(t, a.addr)
			if tc.request {
				if resp, body := c.get(t, "/healthz"); resp.StatusCode != 200 {
					t.Fatalf("GET /healthz: %d %s", resp.StatusCode, body)
				}
			}
			if tc.send != "" {
				if _, err := c.Write([]byte(tc.send)); err != nil {
					t.Fatal(err)
				}
			}
			c.closedByServer(t)
			waitFor(t, "the closed connection to leave the count", func() bool {
				return a.metric("gtmd_admin_connections", "new")+a.metric("gtmd_admin_connections", "active")+a.metric("gtmd_admin_connections", "idle") == 0
			})
		})
	}
}

// TestConnectionCapEvictsIdle: with max_connections idle connections held,
// a new client is answered: the connection idle longest is closed to make
// room, and only it.
func TestConnectionCapEvictsIdle(t *testing.T) {
	const max = 4
	a := serveLimited(t, admintest.New("n1", nil), config.AdminLimits{MaxConnections: max}, admin.Options{}, admin.ServerOptions{})
	held := make([]*rawConn, max)
	for i := range held {
		held[i] = dialRaw(t, a.addr)
		if resp, body := held[i].get(t, "/healthz"); resp.StatusCode != 200 {
			t.Fatalf("GET /healthz: %d %s", resp.StatusCode, body)
		}
		// One idle after the other, so which has been idle longest is
		// known.
		waitFor(t, fmt.Sprintf("%d idle connections", i+1), func() bool { return a.metric("gtmd_admin_connections", "idle") == float64(i+1) })
	}
	newClientEvictsOldest(t, a, held, "idle")
}

// newClientEvictsOldest checks that a new client is served with the cap
// taken by held (each kind, e.g. idle), and that only the oldest, held[0],
// was closed to make room for it.
func newClientEvictsOldest(t *testing.T, a *limitedAPI, held []*rawConn, kind string) {
	t.Helper()
	fresh := dialRaw(t, a.addr)
	if resp, body := fresh.get(t, "/readyz"); resp.StatusCode != 200 {
		t.Fatalf("new client with %d %s connections held: %d %s", len(held), kind, resp.StatusCode, body)
	}
	held[0].closedByServer(t)
	for i, c := range held[1:] {
		if !c.stillOpen() {
			t.Errorf("%s connection %d was closed too", kind, i+1)
		}
	}
	if got := a.metric("gtmd_admin_connections_evicted_total", ""); got != 1 {
		t.Errorf("gtmd_admin_connections_evicted_total = %v, want 1", got)
	}
}

// TestConnectionCapWaitsForBusy: when every connection is serving a
// request, a new one waits (in the kernel's queue) rather than exceed the
// cap, and is served once one ends.
func TestConnectionCapWaitsForBusy(t *testing.T) {
	b := admintest.New("n1", nil)
	a := serveLimited(t, b, config.AdminLimits{MaxConnections: 2}, admin.Options{}, admin.ServerOptions{})
	c := clientFrom("127.0.0.1")
	first := openStream(t, c, a.url("/v1/events"), "")
	openStream(t, c, a.url("/v1/events"), "")

	done := make(chan int, 1)
	go func() {
		resp, err := clientFrom("127.0.0.1").Get(a.url("/readyz"))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// The waiting client is held, not answered, while both streams last.
	select {
	case status := <-done:
		t.Fatalf("a third connection was served (%d) while the cap of 2 was taken by streams", status)
	case <-time.After(200 * time.Millisecond):
	}
	if open := a.metric("gtmd_admin_connections", "active") + a.metric("gtmd_admin_connections", "new"); open != 2 {
		t.Errorf("%v connections open, want the cap, 2", open)
	}
	first.close()
	if status := <-done; status != 200 {
		t.Errorf("the waiting client got %d once a stream ended", status)
	}
}

// emfileListener fails Accept with EMFILE a number of times once a
// connection is waiting, as a process out of descriptors does, and then
// accepts it.
type emfileListener struct {
	net.Listener
	mu      sync.Mutex
	fails   int
	pending net.Conn
}

func (l *emfileListener) failNext(n int) {
	l.mu.Lock()
	l.fails = n
	l.mu.Unlock()
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.pending
	l.pending = nil
	l.mu.Unlock()
	if c == nil {
		var err error
		if c, err = l.Listener.Accept(); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails > 0 {
		l.fails--
		// The connection stays in the queue for the next Accept.
		l.pending = c
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return c, nil
}

// TestOutOfDescriptors: when accept fails for want of descriptors, the
// API closes an idle connection to free one, logs one warning naming the
// limit however many attempts fail, and serves again once it can.
func TestOutOfDescriptors(t *testing.T) {
	var logs testlog.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &emfileListener{Listener: ln}
	h, err := admin.New(admin.Options{Backend: admintest.New("n1", nil)})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := admin.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// A clock that stands still: every failure falls within one minute.
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv, l := admin.NewHTTPServer(h, el, admin.ServerOptions{Logger: log, Metrics: m, FileLimit: 300, Now: func() time.Time { return now }})
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	a := &limitedAPI{t: t, addr: ln.Addr().String(), reg: reg}

	idle := dialRaw(t, a.addr)
	if resp, _ := idle.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Fatalf("GET /healthz: %d", resp.StatusCode)
	}
	waitFor(t, "the connection to go idle", func() bool { return a.metric("gtmd_admin_connections", "idle") == 1 })

	const fails = 6
	el.failNext(fails)
	fresh := dialRaw(t, a.addr)
	if resp, body := fresh.get(t, "/readyz"); resp.StatusCode != 200 {
		t.Fatalf("GET /readyz after the descriptors came back: %d %s", resp.StatusCode, body)
	}
	idle.closedByServer(t)
	if got := a.metric("gtmd_admin_accept_errors_total", ""); got != fails {
		t.Errorf("gtmd_admin_accept_errors_total = %v, want %d", got, fails)
	}
	if got := a.metric("gtmd_admin_connections_evicted_total", ""); got != 1 {
		t.Errorf("gtmd_admin_connections_evicted_total = %v, want 1 (the one idle connection)", got)
	}
	out := logs.String()
	if n := strings.Count(out, "admin API cannot accept connections: too many open files"); n != 1 {
		t.Errorf("%d warnings of running out of descriptors for %d failed accepts, want 1:\n%s", n, fails, out)
	}
	for _, want := range []string{"level=WARN", "descriptor_limit=300", "admin API cannot accept connections"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Accept error") {
		t.Errorf("net/http logged the accept errors itself:\n%s", out)
	}
}

// TestConnectionCapEvictsSilent: with the cap taken by connections that
// never send a whole request header (silent ones and a slowloris), a new
// client is let in by closing the oldest of them once it has had
// newConnGrace, long before read_header_timeout.
func TestConnectionCapEvictsSilent(t *testing.T) {
	const max = 3
	a := serveLimited(t, admintest.New("n1", nil), config.AdminLimits{MaxConnections: max, ReadHeaderTimeout: config.Duration(time.Hour)}, admin.Options{}, admin.ServerOptions{})
	held := make([]*rawConn, max)
	for i := range held {
		held[i] = dialRaw(t, a.addr)
		if i == max-1 {
			// Half a header: still "new" to net/http.
			if _, err := io.WriteString(held[i], "GET /healthz HTTP/1.1\r\nHo"); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, fmt.Sprintf("%d new connections", i+1), func() bool { return a.metric("gtmd_admin_connections", "new") == float64(i+1) })
	}
	newClientEvictsOldest(t, a, held, "silent")
}
