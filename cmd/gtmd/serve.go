package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/internal/flagx"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// observationRefresh is how often a node republishes its latest check
// results (latency, error, time) when their status has not changed.
const observationRefresh = 5 * time.Second

// shutdownGrace is how long queries in flight may take to finish once a
// node is asked to stop.
const shutdownGrace = 5 * time.Second

// serveFlags are the flags of `gtmd serve`; each overrides its key in the
// node file.
type serveFlags struct {
	config      string
	nodeID      string
	region      string
	dnsListen   flagx.List
	adminListen string
	etcd        flagx.List
	dataDir     string
	traffic     string
}

func parseServeFlags(args []string) (*config.Node, error) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&f.config, "config", "", "node file (gtmd.yaml)")
	fs.StringVar(&f.nodeID, "node-id", "", "node id (node.id; default the hostname)")
	fs.StringVar(&f.region, "region", "", "region the node stands in (node.region)")
	fs.Var(&f.dnsListen, "dns-listen", "DNS listen address IP:port, repeatable or comma-separated (dns.listen)")
	fs.StringVar(&f.adminListen, "admin-listen", "", "admin API listen address (admin.listen)")
	fs.Var(&f.etcd, "etcd", "etcd endpoint URLs, repeatable or comma-separated (store.etcd_endpoints)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (data_dir)")
	fs.StringVar(&f.traffic, "traffic", "", "traffic document applied when the store holds none (traffic_file)")
	if err := flagx.ParseNoArgs(fs, args); err != nil {
		return nil, err
	}
	n, err := config.LoadNode(f.config)
	if err != nil {
		return nil, err
	}
	if f.config != "" {
		n.ResolvePaths(filepath.Dir(f.config))
	}
	if f.nodeID != "" {
		n.Node.ID = f.nodeID
	}
	if f.region != "" {
		n.Node.Region = f.region
	}
	if f.dnsListen.Given {
		n.DNS.Listen = f.dnsListen.Values
	}
	if f.adminListen != "" {
		n.Admin.Listen = f.adminListen
	}
	if f.etcd.Given {
		n.Store.EtcdEndpoints = f.etcd.Values
	}
	if f.dataDir != "" {
		n.DataDir = f.dataDir
	}
	if f.traffic != "" {
		n.TrafficFile = f.traffic
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("invalid settings:\n%w", err)
	}
	return n, nil
}

// serve runs a node until ctx ends (SIGINT or SIGTERM).
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	n, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	log := newLogger(n.Log, stderr)
	log.Info("starting gtmd", "version", version, "node", n.Node.ID, "region", n.Node.Region)
	raiseOpenFileLimit(log)
	// SIGHUP is caught from the start: during start-up it must not kill
	// the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	r, err := startNode(ctx, n, log)
	if err != nil {
		return err
	}
	for {
		select {
		case <-hup:
			r.reloadGeo()
			continue
		case <-ctx.Done():
			log.Info("shutting down", "grace", shutdownGrace)
		case err = <-r.dns.Err():
			log.Error("dns listener failed", "err", err)
		}
		break
	}
	r.stop()
	log.Info("stopped")
	return err
}

// running is a started node and what stops it.
type running struct {
	node   *node
	dns    *resolver.Server
	admin  *http.Server
	geo    *geo.Provider
	store  *cluster.Store
	embed  *cluster.Embedded
	sched  *health.Scheduler
	cancel context.CancelFunc
	log    *slog.Logger
	// adminAddr is the address the API is bound to.
	adminAddr string
}

// startNode starts every part of a node: the store (embedded etcd unless
// endpoints are given), the health checks, the DNS listeners and the
// admin API. It returns once DNS and the API listen; answers follow as
// soon as the store delivers a traffic document.
func startNode(ctx context.Context, n *config.Node, log *slog.Logger) (r *running, err error) {
	ctx, cancel := context.WithCancel(ctx)
	r = &running{cancel: cancel, log: log}
	defer func() {
		if err != nil {
			r.stop()
		}
	}()

	var locator geo.Locator
	if n.GeoIP.Database != "" {
		if r.geo, err = geo.NewProvider(n.GeoIP.Database, n.GeoIP.ASNDatabase, geo.ProviderOptions{}); err != nil {
			return r, err
		}
		locator = r.geo
		log.Info("geoip database loaded", "path", n.GeoIP.Database, "kind", r.geo.Kind())
	} else {
		log.Warn("no geoip database configured: location policies answer with their default endpoints")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler, err := newHandler(n, locator, reg, log)
	if err != nil {
		return r, err
	}
	gauge, err := health.NewEndpointGauge(reg)
	if err != nil {
		return r, err
	}
	nd := &node{id: n.Node.ID, dataDir: n.DataDir, handler: handler, gauge: gauge, log: log, now: time.Now, events: newBroadcaster(time.Now), storeSet: make(chan struct{})}
	r.node = nd
	r.sched = health.NewScheduler(health.Options{Logger: log, Registerer: reg, OnChange: nd.healthChanged})
	nd.sched = r.sched

	switch t, rev, err := loadDocument(n.DataDir); {
	case err == nil:
		if err := nd.serveCached(t, rev); err != nil {
			log.Warn("the kept copy of the traffic document cannot be served", "err", err)
		} else {
			log.Info("serving the document kept from the last run until the store answers", "revision", rev)
		}
	case !errors.Is(err, os.ErrNotExist):
		log.Warn("the kept copy of the traffic document is unreadable; waiting for the store", "err", err)
	}

	// DNS and the API bind first, so the member entry carries the
	// addresses they got; DNS answers REFUSED until the first document.
	tcpMetrics, err := resolver.NewTCPMetrics(reg)
	if err != nil {
		return r, err
	}
	r.dns = resolver.NewServer(resolver.ServerOptions{
		Addrs:                      n.DNS.Listen,
		UDPListeners:               n.DNS.UDPListeners,
		TCPIdleTimeout:             n.DNS.TCPIdleTimeout.Std(),
		TCPBusyIdleTimeout:         n.DNS.TCPBusyIdleTimeout.Std(),
		TCPMaxConnections:          dnsTCPMaxConnections(n, fileLimit(), log),
		TCPMaxConnectionsPerSource: n.DNS.TCPMaxConnectionsPerSource,
		TCPMaxQueries:              n.DNS.TCPMaxQueries,
		TCPMetrics:                 tcpMetrics,
		Handler:                    handler,
		Logger:                     log,
	})
	if err := r.dns.Start(); err != nil {
		r.dns = nil
		return r, err
	}
	adminTLSConfig, err := adminTLS(n.Admin)
	if err != nil {
		return r, err
	}
	peers, err := peerClient(n.Admin)
	if err != nil {
		return r, err
	}
	// The API is bound now but served once the store is open: requests
	// wait in the listen queue meanwhile.
	adminLn, err := listenAdmin(n.Admin)
	if err != nil {
		return r, err
	}
	if adminLn != nil {
		r.adminAddr = adminLn.Addr().String()
		defer func() {
			if err != nil {
				adminLn.Close()
			}
		}()
	}

	endpoints := n.Store.EtcdEndpoints
	if len(endpoints) == 0 {
		r.embed, err = cluster.StartEmbedded(embeddedOptions(n, log))
		if err != nil {
			return r, err
		}
		endpoints = r.embed.Endpoints()
	}
	storeOpts, err := storeOptions(n, endpoints)
	if err != nil {
		return r, err
	}
	storeOpts.Self.DNS = r.dns.Addrs()
	if r.adminAddr != "" {
		storeOpts.Self.Admin = adminURL(n.Admin, r.adminAddr)
	}
	storeOpts.Logger, storeOpts.Registerer = log, reg
	if r.embed != nil {
		storeOpts.Username, storeOpts.Password = r.embed.Credentials()
		storeOpts.Recover = r.embed.Recover
	}
	storeOpts.OnState, storeOpts.OnConnected = nd.stateChanged, nd.connectedChanged
	if r.store, err = cluster.Open(storeOpts); err != nil {
		return r, err
	}
	nd.setStore(r.store)
	if err := keepCookieSecrets(r.store, n.Cookies, handler); err != nil {
		return r, err
	}
	var bootstrap *config.Traffic
	if n.TrafficFile != "" {
		if bootstrap, err = checkTrafficFile(ctx, r.store, n.TrafficFile, log); err != nil {
			return r, err
		}
	}
	if adminLn != nil {
		// On error the listener is closed by the deferred function above.
		if r.admin, err = startAdmin(adminLn, n, adminTLSConfig, nd, peers, reg, log); err != nil {
			return r, err
		}
	}
	if bootstrap != nil {
		go nd.bootstrapTraffic(ctx, n.TrafficFile, bootstrap)
	}
	go nd.expireExternal(ctx, time.Second)
	go nd.refreshObservations(ctx, observationRefresh)
	log.Info("gtmd listening", "dns", r.dns.Addrs(), "store", endpoints)
	return r, nil
}

// newHandler builds the DNS handler with its metrics and the node file's
// rate limiting, cookies and NSID.
func newHandler(n *config.Node, locator geo.Locator, reg prometheus.Registerer, log *slog.Logger) (*resolver.Handler, error) {
	m, err := resolver.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	limiter, err := resolver.NewRateLimiter(n.RRL)
	if err != nil {
		return nil, fmt.Errorf("setting up response rate limiting: %w", err)
	}
	nsid := ""
	if n.DNS.NSID {
		nsid = n.Node.ID
	}
	return resolver.NewHandler(resolver.Options{
		Locator: locator, Logger: log, Metrics: m,
		RateLimiter: limiter, Cookies: n.Cookies, NSID: nsid,
	}), nil
}

// storeOptions turns the node file's store settings into cluster options.
func storeOptions(n *config.Node, endpoints []string) (cluster.Options, error) {
	o := cluster.Options{
		Endpoints: endpoints,
		Prefix:    n.Store.Prefix,
		Username:  n.Store.Username,
		LeaseTTL:  n.Store.LeaseTTL.Std(),
		Self: cluster.Member{
			ID: n.Node.ID, Region: n.Node.Region, DNS: n.DNS.Listen, Version: version,
		},
	}
	if n.Store.PasswordFile != "" {
		b, err := os.ReadFile(n.Store.PasswordFile)
		if err != nil {
			return o, fmt.Errorf("reading store.password_file: %w", err)
		}
		o.Password = strings.TrimRight(string(b), "\r\n")
	}
	if n.Store.TLS.CA != "" || n.Store.TLS.Cert != "" {
		t, err := storeTLS(n.Store.TLS)
		if err != nil {
			return o, err
		}
		o.TLS = t
	}
	return o, nil
}

// adminURL is the base URL other nodes reach this node's API at, from
// the address it is bound to.
func adminURL(a config.Admin, bound string) string {
	scheme := "http"
	if a.TLSCert != "" {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(bound)
	if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
		return scheme + "://" + net.JoinHostPort(host, port)
	}
	return scheme + "://" + bound
}

// reloadGeo opens the GeoIP databases again (SIGHUP); answers use the new
// ones from the next query, the old ones stay on error.
func (r *running) reloadGeo() {
	if r.geo == nil {
		r.log.Info("SIGHUP: no geoip database to reload")
		return
	}
	if err := r.geo.Reload(); err != nil {
		r.log.Error("SIGHUP: geoip reload failed; keeping the current database", "err", err)
		return
	}
	r.node.republish()
	r.log.Info("SIGHUP: geoip database reloaded", "kind", r.geo.Kind())
}

// stop shuts everything down, DNS first so in-flight queries finish.
func (r *running) stop() {
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if r.dns != nil {
		if err := r.dns.Shutdown(sctx); err != nil {
			r.log.Warn("dns shutdown", "err", err)
		}
	}
	if r.node != nil {
		// Event streams never go idle; ending them lets the API shut down
		// at once rather than at the end of the grace.
		r.node.events.close()
	}
	if r.admin != nil {
		if err := r.admin.Shutdown(sctx); err != nil {
			r.log.Warn("admin API shutdown; closing the connections left", "err", err)
			_ = r.admin.Close()
		}
	}
	r.cancel()
	if r.sched != nil {
		r.sched.Close()
	}
	if r.store != nil {
		_ = r.store.Close()
	}
	if r.embed != nil {
		r.embed.Close()
	}
	if r.geo != nil {
		_ = r.geo.Close()
	}
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
