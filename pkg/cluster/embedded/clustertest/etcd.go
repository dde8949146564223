// Package clustertest runs real etcd inside a test process, for the tests of
// pkg/cluster and of every package that builds on a cluster store: a
// single member, an n-member cluster whose members can be stopped and
// restarted, a compaction, a raw client and a TCP proxy that can cut one
// client off from etcd. Everything listens on loopback ports chosen by the
// kernel and is torn down by t.Cleanup. It must never be imported by
// non-test code.
//
// It lives under pkg/cluster/embedded because it links etcd's server,
// which nothing outside that directory may. It imports neither pkg/cluster
// nor package embedded: pkg/cluster's own tests import it.
package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// Timing of the test members: a short heartbeat and election so a cluster
// elects its leader within a fraction of a second, and so the shortest
// lease etcd grants is one second (1.5 election timeouts, rounded up).
const (
	tickMs     = 10
	electionMs = 100
)

// startTimeout bounds the wait for members to serve; generous because the
// race detector and parallel tests slow everything down.
const startTimeout = 30 * time.Second

// bindAttempts is how many times a start is retried with new ports when a
// port chosen by the kernel was taken before etcd bound it.
const bindAttempts = 5

// StartEtcd starts a single-member etcd in t.TempDir() on free loopback
// ports, waits until it serves, stops it in t.Cleanup and returns its
// client URLs.
func StartEtcd(t testing.TB) []string {
	t.Helper()
	return StartCluster(t, 1).Endpoints()
}

// Cluster is an n-member etcd cluster running in the test process, every
// member on its own loopback ports and in its own data directory.
type Cluster struct {
	t       testing.TB
	mu      sync.Mutex
	members []*member
}

type member struct {
	name           string
	dir            string
	client, peer   url.URL
	initialCluster string
	token          string
	etcd           *embed.Etcd   // nil while stopped
	closed         chan struct{} // closed when the last stop has released ports and data
	// proxy is where clients connect: it drops their connections when
	// the member stops, as a crashed process's would drop.
	proxy *Proxy
}

// StartCluster starts an n-member etcd cluster on loopback, waits until
// every member serves and stops it in t.Cleanup. Clients reach each member
// through a Proxy, so that Stop drops their connections at once. Ports the
// kernel hands out can be taken by someone else before etcd binds them;
// the start is then retried with new ports.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("clustertest: a cluster needs at least one member, not %d", n)
	}
	c := &Cluster{t: t}
	t.Cleanup(c.stopAll)
	base := t.TempDir()
	var err error
	for attempt := range bindAttempts {
		if err = c.start(filepath.Join(base, fmt.Sprintf("try%d", attempt)), n); err == nil {
			for _, m := range c.members {
				m.proxy = StartProxy(t, m.client.Host)
			}
			return c
		}
		c.stopAll()
		if !isAddrInUse(err) {
			break
		}
	}
	t.Fatalf("clustertest: starting a %d-member etcd: %v", n, err)
	return nil
}

// start picks ports, starts every member and waits until all serve.
func (c *Cluster) start(dir string, n int) error {
	ports, err := freePorts(2 * n)
	if err != nil {
		return err
	}
	// Unique per cluster, so a member never joins a member of another
	// test's cluster that reused a port.
	token := fmt.Sprintf("clustertest-%d-%d", time.Now().UnixNano(), ports[0])
	ms := make([]*member, n)
	var initial []string
	for i := range ms {
		ms[i] = &member{
			name:   fmt.Sprintf("m%d", i),
			dir:    filepath.Join(dir, fmt.Sprintf("m%d", i)),
			client: url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[2*i])},
			peer:   url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[2*i+1])},
			token:  token,
		}
		initial = append(initial, ms[i].name+"="+ms[i].peer.String())
	}
	for _, m := range ms {
		m.initialCluster = strings.Join(initial, ",")
	}
	c.mu.Lock()
	c.members = ms
	c.mu.Unlock()
	for _, m := range ms {
		e, err := embed.StartEtcd(m.config())
		if err != nil {
			return err
		}
		c.mu.Lock()
		m.etcd = e
		c.mu.Unlock()
	}
	return c.waitReady()
}

func (m *member) config() *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{m.client}, []url.URL{m.client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{m.peer}, []url.URL{m.peer}
	cfg.InitialCluster = m.initialCluster
	cfg.InitialClusterToken = m.token
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.TickMs, cfg.ElectionMs = tickMs, electionMs
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	// Test data need not survive a crash of the machine, only a stop.
	cfg.UnsafeNoFsync = true
	// The gateway holds a connection to its own member, which makes every
	// stop wait out etcd's request timeout; tests speak gRPC.
	cfg.EnableGRPCGateway = false
	return cfg
}

// waitReady waits until every running member serves.
func (c *Cluster) waitReady() error {
	c.mu.Lock()
	var running []*member
	for _, m := range c.members {
		if m.etcd != nil {
			running = append(running, m)
		}
	}
	c.mu.Unlock()
	deadline := time.After(startTimeout)
	for _, m := range running {
		select {
		case <-m.etcd.Server.ReadyNotify():
		case err := <-m.etcd.Err():
			return fmt.Errorf("member %s: %w", m.name, err)
		case <-deadline:
			return fmt.Errorf("member %s did not serve within %v", m.name, startTimeout)
		}
	}
	return nil
}

// Endpoints returns the client URLs of every member, running or not.
func (c *Cluster) Endpoints() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	eps := make([]string, len(c.members))
	for i, m := range c.members {
		eps[i] = m.proxy.Endpoint()
	}
	return eps
}

// Endpoint returns member i's client URL.
func (c *Cluster) Endpoint(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[i].proxy.Endpoint()
}

// Size is the number of members.
func (c *Cluster) Size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.members)
}

// Leader returns the index of the member that leads the cluster, as a
// running member sees it, or -1 when none knows a leader.
func (c *Cluster) Leader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.etcd == nil {
			continue
		}
		lead := uint64(m.etcd.Server.Leader())
		if lead == 0 {
			continue
		}
		for i, o := range c.members {
			if o.etcd != nil && uint64(o.etcd.Server.MemberID()) == lead {
				return i
			}
		}
	}
	return -1
}

// Stop stops member i at once, as a crash would: its client connections
// drop, new ones are refused, and it leaves its peers without a
// leadership transfer. Its data directory stays for Restart. Stopping a
// stopped member does nothing.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	c.mu.Lock()
	m := c.members[i]
	e := m.etcd
	m.etcd = nil
	if e != nil {
		m.closed = make(chan struct{})
	}
	closed := m.closed
	c.mu.Unlock()
	if e == nil {
		return
	}
	m.proxy.Cut()
	e.Server.HardStop()
	// Close waits for the member's own streams to end; Restart waits for
	// Close.
	go func() {
		defer close(closed)
		e.Close()
	}()
}

// StopGracefully stops member i as etcd stops on SIGTERM: it hands its
// leadership over, refuses new requests, lets the streams already open
// (watches, lease keep-alives) run for up to its request timeout (about
// five seconds) and then closes them. It returns when the member has
// stopped; its data directory stays for Restart.
func (c *Cluster) StopGracefully(i int) {
	c.t.Helper()
	c.mu.Lock()
	m := c.members[i]
	e := m.etcd
	m.etcd = nil
	c.mu.Unlock()
	if e != nil {
		e.Close()
	}
}

// waitClosed waits until a stopped member has released its ports and
// data directory.
func (m *member) waitClosed() {
	if m.closed != nil {
		<-m.closed
	}
}

// Restart starts the stopped member i again on its ports and data
// directory. When a quorum of members is then running it waits until
// they serve; otherwise (the first members of a cluster that was stopped
// whole) it returns once the member listens. Restarting a running member
// does nothing.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.mu.Lock()
	m := c.members[i]
	if m.etcd != nil {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	m.waitClosed()
	var e *embed.Etcd
	var err error
	// The member's ports were free while it was stopped; another listener
	// may hold one for a moment, so a failed bind is retried briefly.
	for attempt := 0; ; attempt++ {
		e, err = embed.StartEtcd(m.config())
		if err == nil || !isAddrInUse(err) || attempt == 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatalf("clustertest: restarting member %s: %v", m.name, err)
	}
	c.mu.Lock()
	m.etcd = e
	running := 0
	for _, o := range c.members {
		if o.etcd != nil {
			running++
		}
	}
	quorum := running > len(c.members)/2
	c.mu.Unlock()
	if quorum {
		if err := c.waitReady(); err != nil {
			c.t.Fatalf("clustertest: restarting member %s: %v", m.name, err)
		}
	}
	m.proxy.Restore()
}

// stopAll stops every member and waits until all have closed.
func (c *Cluster) stopAll() {
	c.mu.Lock()
	var es []*embed.Etcd
	var stopping []*member
	for _, m := range c.members {
		if m.etcd != nil {
			es = append(es, m.etcd)
			m.etcd = nil
		} else {
			stopping = append(stopping, m)
		}
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range es {
		// Hard stops: a leader closing gracefully would try to hand its
		// leadership to peers that are closing too, and wait for it.
		wg.Go(func() {
			e.Server.HardStop()
			e.Close()
		})
	}
	for _, m := range stopping {
		wg.Go(m.waitClosed)
	}
	wg.Wait()
}

// Client returns a raw etcd client of endpoints, closed in t.Cleanup, for
// tests that write or inspect keys behind a store's back.
func Client(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
		// gRPC's default reconnect backoff grows to minutes: after a
		// member was stopped for a few seconds, a raw client could stay
		// away long after it is back. Reconnect as fast as a Store does.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: 2 * time.Second,
		})},
	})
	if err != nil {
		t.Fatalf("clustertest: connecting to %v: %v", endpoints, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Compact compacts the store of endpoints to its current revision, so a
// watch from any earlier revision fails with ErrCompacted, and returns
// that revision. It waits for the physical compaction.
func Compact(t testing.TB, endpoints []string) int64 {
	t.Helper()
	cli := Client(t, endpoints)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, "clustertest/compact", clientv3.WithCountOnly())
	if err != nil {
		t.Fatalf("clustertest: reading the current revision: %v", err)
	}
	rev := resp.Header.Revision
	if _, err := cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("clustertest: compacting to revision %d: %v", rev, err)
	}
	return rev
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || (err != nil && strings.Contains(err.Error(), "address already in use"))
}
