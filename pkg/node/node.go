package node

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/embedded"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnssec"
	"github.com/gtmd/gtmd/pkg/dnstaplog"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// Node is one gtmd node. Make it with New, run it with Start, stop it
// with Shutdown; it is not restarted once stopped.
type Node struct {
	cfg     *config.Node
	id      string
	version string
	log     *slog.Logger
	reg     prometheus.Registerer
	gather  prometheus.Gatherer
	now     func() time.Time
	// memory releases what large changes used (memory.go).
	memory *memoryReleaser

	// geo is the database the node opened itself (nil when Options gave
	// a Locator); locator is what the handler places clients with.
	geo     *geo.Provider
	locator geo.Locator

	handler *resolver.Handler
	// notifier tells secondaries of each new revision with the node
	// file's TSIG keys, which the DNS listeners verify with too.
	notifier *notifier
	sched    *health.Scheduler
	gauge    *health.EndpointGauge
	events   *admin.Broadcaster
	api      http.Handler
	apiM     *admin.Metrics

	// failover measures the node's failovers (failover.go).
	failover *failovers
	builds   buildSeconds
	// rand makes DNSSEC keys.
	rand io.Reader

	// advertiseDNS and advertiseAdmin stand in the member entry for
	// listeners the node does not bind (Options).
	advertiseDNS   []string
	advertiseAdmin string

	// Set by Start, read after it returns.
	dns       *resolver.Server
	adminSrv  *http.Server
	adminAddr string
	store     *cluster.Store
	embed     *embedded.Etcd
	// qlog is the dnstap log, nil when off; Start starts it, Shutdown
	// flushes and closes it.
	qlog *dnstaplog.Logger
	// liveStore is store for the API, which an embedder may serve before
	// Start has returned.
	liveStore atomic.Pointer[cluster.Store]

	// checksChanged holds the checks whose status moved since the run
	// loop last looked; checksWake tells it there are some.
	changedMu     sync.Mutex
	checksChanged map[string]bool
	checksWake    chan struct{}
	// notified holds the secondary zones a primary's NOTIFY named since
	// the secondary loop last looked; notifiedWake tells it there are
	// some.
	notified     map[string]bool
	notifiedWake chan struct{}
	// primaryZones are the served document's secondary zones' primaries
	// (primaries).
	primaryZones atomic.Pointer[map[string]config.ZonePrimary]
	// targetsChanged and targetsWake do the same for endpoint targets.
	targetsChanged map[string]bool
	targetsWake    chan struct{}

	// life: Start once, Shutdown once; errs carries fatal errors and is
	// closed by Shutdown once every goroutine has ended. startMu is held
	// while Start runs, and startCancel cuts it short.
	lifeMu      sync.Mutex
	started     bool
	stopping    bool
	startMu     sync.Mutex
	startCancel context.CancelCauseFunc
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	errs        chan error
	stopOnce    sync.Once

	mu sync.Mutex
	served
}

// New builds a node from opts without starting anything: no socket is
// bound and no goroutine runs until Start (New opens the GeoIP databases,
// which Shutdown closes). DNSHandler and AdminHandler are ready at once;
// the API answers 503 for what needs the store until Start.
func New(opts Options) (_ *Node, err error) {
	if opts.Config == nil {
		return nil, errors.New("node: Options.Config is nil")
	}
	c := opts.Config
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("node: invalid settings:\n%w", err)
	}
	// A local, not the named result: a failed New returns nil, and the
	// deferred clean-ups below still need the node they close.
	n := &Node{
		cfg: c, id: c.Node.ID, version: opts.Version, log: opts.Logger, now: time.Now,
		reg: opts.Registerer, gather: opts.Gatherer, locator: opts.Locator,
		advertiseDNS: opts.AdvertiseDNS, advertiseAdmin: opts.AdvertiseAdmin,
		events: admin.NewBroadcaster(time.Now), checksChanged: map[string]bool{}, checksWake: make(chan struct{}, 1),
		notified: map[string]bool{}, notifiedWake: make(chan struct{}, 1),
		memory:         newMemoryReleaser(),
		targetsChanged: map[string]bool{}, targetsWake: make(chan struct{}, 1),
		errs: make(chan error, 4),
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if err := checkAdvertised(opts); err != nil {
		return nil, err
	}
	switch g, isGatherer := n.reg.(prometheus.Gatherer); {
	case n.reg == nil && n.gather == nil:
		r := prometheus.NewRegistry()
		n.reg, n.gather = r, r
	case n.reg == nil:
		return nil, errors.New("node: Options.Gatherer is set without a Registerer: the node's metrics would not be in it")
	case n.gather == nil && isGatherer:
		n.gather = g
	case n.gather == nil:
		return nil, errors.New("node: Options.Registerer is not a Gatherer: set Options.Gatherer to what serves its metrics")
	}
	defer func() {
		if err != nil && n.geo != nil {
			_ = n.geo.Close()
		}
	}()
	if n.locator == nil {
		if err := n.openGeo(); err != nil {
			return nil, err
		}
	}
	if n.qlog, err = newQueryLog(c, n.version, n.reg, n.log); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && n.qlog != nil {
			_ = n.qlog.Close(context.Background())
		}
	}()
	if n.handler, err = newHandler(c, n.locator, n.reg, n.log, queryLog(n.qlog)); err != nil {
		return nil, err
	}
	n.memory.answers = n.handler.AnswersMade
	n.notifier = newNotifier(c.TSIGKeys, n.log)
	if n.gauge, err = health.NewEndpointGauge(n.reg); err != nil {
		return nil, err
	}
	if n.failover, err = newFailovers(n.reg); err != nil {
		return nil, err
	}
	if n.builds, err = newBuildSeconds(n.reg); err != nil {
		return nil, err
	}
	if err := n.newTargets(c); err != nil {
		return nil, err
	}
	dm, err := dnssec.NewMetrics(n.reg)
	if err != nil {
		return nil, err
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	n.signing = newSigning(c, getenv, dm)
	if n.rand = opts.Rand; n.rand == nil {
		n.rand = cryptorand.Reader
	}
	if n.api, n.apiM, err = newAPI(c, backend{n}, n.gather, n.reg, n.log); err != nil {
		return nil, err
	}
	return n, nil
}

// DNSHandler is the node's DNS handler, for an embedder's own servers;
// it answers REFUSED until a document is served.
func (n *Node) DNSHandler() dns.Handler { return n.handler }

// AdminHandler is the node's admin API, for an embedder's own server,
// with the node file's tokens and limits.
func (n *Node) AdminHandler() http.Handler { return n.api }

// DNSAddrs are the addresses the DNS listeners are bound to, once Start
// has returned; none when dns.listen is empty.
func (n *Node) DNSAddrs() []netip.AddrPort {
	if n.dns == nil {
		return nil
	}
	var out []netip.AddrPort
	for _, a := range n.dns.Addrs() {
		if ap, err := netip.ParseAddrPort(a); err == nil {
			out = append(out, ap)
		}
	}
	return out
}

// AdminAddr is the address the admin API is bound to once Start has
// returned, "" when admin.listen is "".
func (n *Node) AdminAddr() string { return n.adminAddr }

// Err carries the errors that end the node (a DNS listener that fails,
// an embedded etcd that fails for good), never a store outage, which the
// node rides out. It is closed once Shutdown has finished.
func (n *Node) Err() <-chan error { return n.errs }

// fatal reports an error that ends the node on Err.
func (n *Node) fatal(err error) {
	n.lifeMu.Lock()
	defer n.lifeMu.Unlock()
	if n.stopping {
		return
	}
	select {
	case n.errs <- err:
	default:
		// Errs holds some already: the first is what the caller acts on.
	}
}

// Ready reports whether the node serves a document, and why it is
// degraded if it is.
func (n *Node) Ready() (ready bool, degraded string) {
	s := n.liveStore.Load()
	if s == nil {
		return n.handler.Snapshot() != nil, "not running"
	}
	n.mu.Lock()
	signing := n.signingDegradedLocked()
	file := n.trafficFileNoteLocked()
	n.mu.Unlock()
	return n.handler.Snapshot() != nil, joinReasons(degradedReason(s.Degraded(), s.State()), signing, file)
}

// Subscribe delivers the node's events (health changes, documents
// applied, members joining and leaving) until ctx ends or the node
// stops.
func (n *Node) Subscribe(ctx context.Context) (<-chan admin.Event, error) {
	return backend{n}.Subscribe(ctx)
}

// Explain answers q as this node would and says why.
func (n *Node) Explain(ctx context.Context, q admin.ExplainQuery) (*admin.Explanation, error) {
	return backend{n}.Explain(ctx, q)
}
