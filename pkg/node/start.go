package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/embedded"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// Start starts every part of the node: the served-document copy from the
// last run, the DNS listeners, the admin API, the store (embedded etcd
// unless endpoints are given) and the health checks. It returns once
// they serve, also when etcd is unreachable: the node then answers from
// its kept copy and its own checks (fail-static) and joins the cluster
// when etcd answers. ctx, or a Shutdown meanwhile, cuts the start short
// between its steps (an embedded etcd being started is waited for); once
// Start has returned the node runs until Shutdown. On error everything
// started is stopped again, and the node cannot be started again.
func (n *Node) Start(ctx context.Context) (err error) {
	n.lifeMu.Lock()
	if n.started || n.stopping {
		n.lifeMu.Unlock()
		return errors.New("node: Start called twice or after Shutdown")
	}
	n.started = true
	n.mu.Lock()
	n.watchingSince = n.now()
	n.mu.Unlock()
	ctx, n.startCancel = context.WithCancelCause(ctx)
	runCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	// Shutdown waits for this to be unlocked before tearing down.
	n.startMu.Lock()
	n.lifeMu.Unlock()
	defer n.startMu.Unlock()
	defer func() {
		if err != nil {
			_ = n.teardown(context.Background())
		}
	}()
	c := n.cfg
	n.log.Info("starting node", "version", n.version, "node", c.Node.ID, "region", c.Node.Region)
	n.sched = health.NewScheduler(health.Options{Logger: n.log, Registerer: n.reg, OnChange: n.checkChanged,
		MaxConcurrent: c.Health.MaxConcurrentProbes})
	n.serveKeptDocument()
	if n.qlog != nil {
		n.qlog.Start()
	}

	// DNS and the API bind first, so the member entry carries the
	// addresses they got; DNS answers REFUSED until the first document.
	if err := n.startDNS(runCtx); err != nil {
		return err
	}
	adminTLSConfig, err := adminTLS(c.Admin)
	if err != nil {
		return err
	}
	// The API is bound now but served once the store is open: requests
	// wait in the listen queue meanwhile.
	adminLn, err := listenAdmin(c.Admin)
	if err != nil {
		return err
	}
	if adminLn != nil {
		n.adminAddr = adminLn.Addr().String()
		defer func() {
			if err != nil && n.adminSrv == nil {
				adminLn.Close()
			}
		}()
	}
	if err := startStep(ctx); err != nil {
		return err
	}
	if err := n.openStore(); err != nil {
		return err
	}
	if err := n.keepCookieSecrets(); err != nil {
		return err
	}
	var bootstrap *config.Traffic
	if c.TrafficFile != "" {
		if bootstrap, err = checkTrafficFile(ctx, n.store, c.TrafficFile, n.log); err != nil {
			return err
		}
	}
	if err := startStep(ctx); err != nil {
		return err
	}
	if adminLn != nil {
		n.serveAdmin(adminLn, adminTLSConfig)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.run(runCtx, n.store.Updates())
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.keysLoop(runCtx)
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.secondaryLoop(runCtx)
	}()
	if bootstrap != nil {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.bootstrapTraffic(runCtx, c.TrafficFile, bootstrap)
		}()
	}
	n.log.Info("gtmd listening", "dns", n.DNSAddrs(), "admin", n.adminAddr)
	return nil
}

// startStep says why Start stops here, if it must: its context ended or
// Shutdown was called.
func startStep(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("node: start cut short: %w", context.Cause(ctx))
	}
	return nil
}

// serveKeptDocument serves the document kept from the last run, if any,
// until the store delivers one.
func (n *Node) serveKeptDocument() {
	switch k, err := loadKept(n.cfg.DataDir); {
	case err == nil:
		if err := n.serveCached(k); err != nil {
			n.log.Warn("the kept copy of the traffic document cannot be served", "err", err)
		} else {
			n.log.Info("serving the document kept from the last run until the store answers", "revision", k.Revision, "overrides", len(k.Overrides))
		}
	case !errors.Is(err, os.ErrNotExist):
		n.log.Warn("the kept copy of the traffic document is unreadable; waiting for the store", "err", err)
	}
}

// startDNS binds dns.listen, if any, and reports a listener that fails
// later, until ctx ends, on Err.
func (n *Node) startDNS(ctx context.Context) error {
	c := n.cfg
	if len(c.DNS.Listen) == 0 {
		return nil
	}
	tcpMetrics, err := resolver.NewTCPMetrics(n.reg)
	if err != nil {
		return err
	}
	udpMetrics, err := resolver.NewUDPMetrics(n.reg)
	if err != nil {
		return err
	}
	srv := resolver.NewServer(resolver.ServerOptions{
		Addrs:                      c.DNS.Listen,
		UDPListeners:               c.DNS.UDPListeners,
		UDPBatchWait:               c.DNS.UDPBatchWait.Std(),
		TCPIdleTimeout:             c.DNS.TCPIdleTimeout.Std(),
		TCPBusyIdleTimeout:         c.DNS.TCPBusyIdleTimeout.Std(),
		TCPMaxConnections:          dnsTCPMaxConnections(c, fileLimit(), n.log),
		TCPMaxConnectionsPerSource: c.DNS.TCPMaxConnectionsPerSource,
		TCPMaxQueries:              c.DNS.TCPMaxQueries,
		TCPMetrics:                 tcpMetrics,
		UDPMetrics:                 udpMetrics,
		Handler:                    n.handler,
		Update:                     updater{n: n},
		Notify:                     notifyTaker{n: n},
		Logger:                     n.log,
		TSIGKeys:                   n.notifier.keys,
	})
	if err := srv.Start(); err != nil {
		return err
	}
	n.dns = srv
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		select {
		case err := <-srv.Err():
			n.fatal(fmt.Errorf("dns listener failed: %w", err))
		case <-ctx.Done():
		}
	}()
	return nil
}

// openStore starts the embedded etcd when no endpoints are given, and
// opens the store.
func (n *Node) openStore() error {
	c := n.cfg
	endpoints := c.Store.EtcdEndpoints
	if len(endpoints) == 0 {
		e, err := embedded.Start(embeddedOptions(c, n.log, n.fatal))
		if err != nil {
			return err
		}
		n.embed = e
		endpoints = e.Endpoints()
	}
	opts, err := storeOptions(c, endpoints, n.version)
	if err != nil {
		return err
	}
	// The addresses DNS is bound to, ports chosen by the kernel included;
	// where the program serves the handlers, what it advertises.
	opts.Self.DNS = n.advertiseDNS
	if n.dns != nil {
		opts.Self.DNS = nil
		for _, a := range n.DNSAddrs() {
			opts.Self.DNS = append(opts.Self.DNS, a.String())
		}
	}
	opts.Self.Admin = n.advertiseAdmin
	if n.adminAddr != "" {
		opts.Self.Admin = adminURL(c.Admin, n.adminAddr)
	}
	opts.Logger, opts.Registerer = n.log, n.reg
	if n.embed != nil {
		opts.Username, opts.Password = n.embed.Credentials()
		opts.Recover = n.embed.Recover
		// The embedded etcd compacts itself to keep_revisions; a node
		// file that keeps more must not be told to set an external
		// etcd's flag.
		opts.HistoryLimit = max(cluster.DefaultHistoryLimit, 10*int64(c.Store.Embedded.Upkeep.KeepRevisions))
	}
	s, err := cluster.Open(opts)
	if err != nil {
		return err
	}
	n.store = s
	n.liveStore.Store(s)
	return nil
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
