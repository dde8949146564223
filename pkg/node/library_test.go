package node

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/internal/testport"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// embedder is a node as a program embeds it: no listener of its own, its
// DNS handler on the program's UDP socket and its API in the program's
// HTTP server.
type embedder struct {
	n     *Node
	dns   *dns.Server
	addr  string
	admin *httptest.Server
}

// embed makes and starts a node "id" on etcd with dataDir, serving its
// handlers as an embedding program would.
func embed(t *testing.T, id string, etcd []string, trafficFile, dataDir string) *embedder {
	t.Helper()
	c := config.DefaultNode()
	c.Node.ID, c.Node.Region = id, "test"
	c.DNS.Listen, c.Admin.Listen = nil, ""
	c.Store.EtcdEndpoints, c.Store.Prefix = etcd, "/gtmd-test/"
	c.DataDir, c.TrafficFile = dataDir, trafficFile
	// The program binds its sockets first, so the node can advertise
	// them in its member entry.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewUnstartedServer(nil)
	n, err := New(Options{Config: &c, Version: "test", AdvertiseDNS: []string{pc.LocalAddr().String()}, AdvertiseAdmin: "http://" + api.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	api.Config.Handler = n.AdminHandler()
	api.Start()
	if err := n.Start(context.Background()); err != nil {
		t.Fatalf("starting %s: %v", id, err)
	}
	if n.DNSAddrs() != nil || n.AdminAddr() != "" {
		t.Errorf("%s bound DNS %v and admin %q with no listen address", id, n.DNSAddrs(), n.AdminAddr())
	}
	e := &embedder{n: n, addr: pc.LocalAddr().String(), admin: api}
	started := make(chan struct{})
	e.dns = &dns.Server{PacketConn: pc, Handler: n.DNSHandler(), NotifyStartedFunc: func() { close(started) }}
	go func() { _ = e.dns.ActivateAndServe() }()
	<-started
	return e
}

// close stops the program's servers, then the node.
func (e *embedder) close(t *testing.T) {
	t.Helper()
	_ = e.dns.Shutdown()
	e.admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.n.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, open := <-e.n.Err(); open {
		t.Error("Err is still open after Shutdown")
	}
}

func (e *embedder) answersWith(t *testing.T, ip string) bool {
	got, _ := answer(t, e.addr, "www.gtm.test.")
	return len(got) == 1 && got[0] == ip
}

// TestEmbeddedNodes is the library as an embedding program uses it: two
// nodes on one etcd, each serving its handlers on the program's sockets.
// A drain through one node's admin handler reaches the other's answers;
// both keep answering when etcd dies, and restart on their kept copies
// (the drain included) while it is down; and once they are shut down,
// every goroutine they started has ended.
func TestEmbeddedNodes(t *testing.T) {
	etcd := clustertest.StartCluster(t, 1)
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	dirs := []string{t.TempDir(), t.TempDir()}
	before := runtime.NumGoroutine()

	a := embed(t, "a", etcd.Endpoints(), file, dirs[0])
	b := embed(t, "b", etcd.Endpoints(), "", dirs[1])
	for _, e := range []*embedder{a, b} {
		testwait.Eventually(t, 10*time.Second, e.n.id+" answers us-east", func() bool { return e.answersWith(t, "192.0.2.1") })
	}
	testwait.Eventually(t, 10*time.Second, "a lists b at the addresses b's program advertises", func() bool {
		m, ok := a.n.store.State().Members["b"]
		return ok && len(m.DNS) == 1 && m.DNS[0] == b.addr && m.Admin == b.admin.URL
	})
	req, err := http.NewRequest(http.MethodPut, a.admin.URL+"/v1/overrides/www.gtm.test./us-east", strings.NewReader(`{"state": "down", "reason": "maintenance"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("drain through a's admin handler: %s", resp.Status)
	}
	// Both, so the drain is in each one's kept copy before etcd goes.
	for _, e := range []*embedder{a, b} {
		testwait.Eventually(t, 10*time.Second, e.n.id+" answers eu-west after the drain through a", func() bool { return e.answersWith(t, "192.0.2.2") })
	}

	etcd.Stop(0)
	for _, e := range []*embedder{a, b} {
		testwait.Eventually(t, 10*time.Second, e.n.id+" degraded", func() bool { _, why := e.n.Ready(); return why != "" })
		if !e.answersWith(t, "192.0.2.2") {
			t.Errorf("%s stopped answering, or forgot the drain, when etcd died", e.n.id)
		}
	}

	a.close(t)
	b.close(t)
	a = embed(t, "a", etcd.Endpoints(), "", dirs[0])
	b = embed(t, "b", etcd.Endpoints(), "", dirs[1])
	for _, e := range []*embedder{a, b} {
		// The kept copy answers at once, with the drain last seen: a
		// restart does not lift it.
		if !e.answersWith(t, "192.0.2.2") {
			t.Errorf("%s restarted while etcd was down does not answer from its kept copy with the drain", e.n.id)
		}
	}
	a.close(t)
	b.close(t)

	// Stopped goroutines may take a moment to be gone from the count.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before+3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+3 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before the nodes, %d after Shutdown:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// TestShutdownJoinsEverything: a node with its own DNS and admin
// listeners, an open event stream and a subscriber, on an external etcd
// and on its embedded one, leaves no goroutine behind once Shutdown has
// returned.
func TestShutdownJoinsEverything(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	file := writeTraffic(t, clusterTraffic(target.Addr()))
	for _, tc := range []struct {
		name string
		etcd []string
	}{
		{"external etcd", etcd},
		{"embedded etcd", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			http.DefaultClient.CloseIdleConnections()
			before := runtime.NumGoroutine()
			c := config.DefaultNode()
			c.Node.ID = "n1"
			c.DNS.Listen, c.DNS.UDPListeners, c.Admin.Listen = []string{"127.0.0.1:0"}, 2, "127.0.0.1:0"
			c.Store.EtcdEndpoints, c.DataDir, c.TrafficFile = tc.etcd, t.TempDir(), file
			if tc.etcd == nil {
				urls := testport.LoopbackURLs(t, 2)
				c.Store.Embedded.ClientURL, c.Store.Embedded.PeerURL = urls[0], urls[1]
			}
			n, err := New(Options{Config: &c})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			dnsAddr := n.DNSAddrs()[0].String()
			testwait.Eventually(t, 20*time.Second, "the node answers", func() bool {
				got, _ := answer(t, dnsAddr, "www.gtm.test.")
				return len(got) == 1
			})
			testwait.Eventually(t, 10*time.Second, "its member entry lists the DNS address it is bound to", func() bool {
				m, ok := n.store.State().Members["n1"]
				return ok && len(m.DNS) == 1 && m.DNS[0] == dnsAddr && m.Admin == "http://"+n.AdminAddr()
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sub, err := n.Subscribe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get("http://" + n.AdminAddr() + "/v1/events")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			if err := n.Shutdown(sctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			// Events sent before Shutdown may still be queued; after them
			// the channel must be closed.
			closed := false
			for timeout := time.After(5 * time.Second); !closed; {
				select {
				case _, open := <-sub:
					closed = !open
				case <-timeout:
					t.Fatal("a subscription is open after Shutdown")
				}
			}
			resp.Body.Close()
			http.DefaultClient.CloseIdleConnections()
			deadline := time.Now().Add(2 * time.Second)
			for runtime.NumGoroutine() > before+3 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if after := runtime.NumGoroutine(); after > before+3 {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines before the node, %d after Shutdown:\n%s", before, after, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestAdminHandlerOutsideTheNodesLife: an embedder may serve the admin
// handler before Start and after Shutdown; what needs the store answers
// 503 then, not a crash or a call to a closed store.
func TestAdminHandlerOutsideTheNodesLife(t *testing.T) {
	c := config.DefaultNode()
	c.Node.ID = "n1"
	c.DNS.Listen, c.Admin.Listen = nil, ""
	c.Store.EtcdEndpoints, c.Store.Prefix, c.DataDir = clustertest.StartEtcd(t), "/gtmd-test/", t.TempDir()
	n, err := New(Options{Config: &c})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(n.AdminHandler())
	defer api.Close()
	status := func(path string) int {
		resp, err := http.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/v1/config", "/v1/members"} {
		if got := status(path); got != http.StatusServiceUnavailable {
			t.Errorf("GET %s before Start: %d, want 503", path, got)
		}
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, 10*time.Second, "members answered once started", func() bool { return status("/v1/members") == http.StatusOK })
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/config", "/v1/members"} {
		if got := status(path); got != http.StatusServiceUnavailable {
			t.Errorf("GET %s after Shutdown: %d, want 503", path, got)
		}
	}
}

// TestShutdownDuringStart: a Shutdown that comes while Start is still
// starting the embedded etcd (a signal during start-up) cuts the start
// short or waits for it; either way, once both have returned nothing of
// the node is left running.
func TestShutdownDuringStart(t *testing.T) {
	for _, delay := range []time.Duration{0, 20 * time.Millisecond, 200 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			before := runtime.NumGoroutine()
			c := config.DefaultNode()
			c.Node.ID = "n1"
			c.DNS.Listen, c.DNS.UDPListeners, c.Admin.Listen, c.DataDir = []string{"127.0.0.1:0"}, 1, "127.0.0.1:0", t.TempDir()
			urls := testport.LoopbackURLs(t, 2)
			c.Store.Embedded.ClientURL, c.Store.Embedded.PeerURL = urls[0], urls[1]
			n, err := New(Options{Config: &c})
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan error, 1)
			go func() { started <- n.Start(context.Background()) }()
			time.Sleep(delay)
			if err := n.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			err = <-started
			t.Logf("Start returned %v", err)
			if _, open := <-n.Err(); open {
				t.Error("Err is open after Shutdown")
			}
			if err := n.Start(context.Background()); err == nil {
				t.Error("a node started again after Shutdown")
			}
			deadline := time.Now().Add(2 * time.Second)
			for runtime.NumGoroutine() > before+3 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if after := runtime.NumGoroutine(); after > before+3 {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestNewRefusesWhatCannotWork: a Gatherer without a Registerer, or a
// Registerer that is not a Gatherer and no Gatherer, would leave /metrics
// without the node's metrics, and advertised addresses other nodes could
// not use: New says so rather than panic or run on.
func TestNewRefusesWhatCannotWork(t *testing.T) {
	c := config.DefaultNode()
	c.DNS.Listen, c.Admin.Listen, c.DataDir = nil, "", t.TempDir()
	reg := prometheus.NewRegistry()
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"gatherer alone", Options{Config: &c, Gatherer: reg}, "Gatherer is set without a Registerer"},
		{"registerer not a gatherer", Options{Config: &c, Registerer: prometheus.WrapRegistererWithPrefix("x_", reg)}, "Registerer is not a Gatherer"},
		{"advertised DNS not IP:port", Options{Config: &c, AdvertiseDNS: []string{"dns.example:53"}}, `AdvertiseDNS[0] "dns.example:53" is not an IP:port`},
		{"advertised API not a URL", Options{Config: &c, AdvertiseAdmin: "127.0.0.1:8300"}, `AdvertiseAdmin "127.0.0.1:8300" is not an http:// or https:// base URL`},
		{"advertised API under a path", Options{Config: &c, AdvertiseAdmin: "http://127.0.0.1:8300/gtmd"}, `AdvertiseAdmin "http://127.0.0.1:8300/gtmd" is not an http:// or https:// base URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error saying %q", err, tc.want)
			}
			if n != nil {
				_ = n.Shutdown(context.Background())
			}
		})
	}
	n, err := New(Options{Config: &c, Registerer: reg})
	if err != nil {
		t.Fatalf("a registry as Registerer alone: %v", err)
	}
	_ = n.Shutdown(context.Background())
}
