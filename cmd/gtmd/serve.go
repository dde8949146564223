package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// shutdownGrace is how long queries in flight may take to finish once a
// node is asked to stop.
const shutdownGrace = 5 * time.Second

// serveFlags are the flags of `gtmd serve`; each overrides its key in the
// node file.
type serveFlags struct {
	config      string
	nodeID      string
	region      string
	dnsListen   listFlag
	adminListen string
	etcd        listFlag
	dataDir     string
	traffic     string
}

func parseServeFlags(args []string) (*serveFlags, *config.Node, error) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&f.config, "config", "", "node file (gtmd.yaml)")
	fs.StringVar(&f.nodeID, "node-id", "", "node id (node.id; default the hostname)")
	fs.StringVar(&f.region, "region", "", "region the node stands in (node.region)")
	fs.Var(&f.dnsListen, "dns-listen", "DNS listen address IP:port, repeatable or comma-separated (dns.listen)")
	fs.StringVar(&f.adminListen, "admin-listen", "", "admin API listen address (admin.listen)")
	fs.Var(&f.etcd, "etcd", "etcd endpoint URLs, repeatable or comma-separated (store.etcd_endpoints)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (data_dir)")
	fs.StringVar(&f.traffic, "traffic", "", "traffic document file (traffic_file)")
	if err := parseInterspersed(fs, args); err != nil {
		return nil, nil, err
	}
	n, err := config.LoadNode(f.config)
	if err != nil {
		return nil, nil, err
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
	if f.dnsListen.set {
		n.DNS.Listen = f.dnsListen.values
	}
	if f.adminListen != "" {
		n.Admin.Listen = f.adminListen
	}
	if f.etcd.set {
		n.Store.EtcdEndpoints = f.etcd.values
	}
	if f.dataDir != "" {
		n.DataDir = f.dataDir
	}
	if f.traffic != "" {
		n.TrafficFile = f.traffic
	}
	if err := n.Validate(); err != nil {
		return nil, nil, fmt.Errorf("invalid settings:\n%w", err)
	}
	return f, n, nil
}

// serve runs a node until ctx ends (SIGINT or SIGTERM).
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	_, n, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	log := newLogger(n.Log, stderr)
	log.Info("starting gtmd", "version", version, "node", n.Node.ID, "region", n.Node.Region)

	var locator geo.Locator
	if n.GeoIP.Database != "" {
		p, err := geo.NewProvider(n.GeoIP.Database, n.GeoIP.ASNDatabase, geo.ProviderOptions{})
		if err != nil {
			return err
		}
		defer p.Close()
		locator = p
		log.Info("geoip database loaded", "path", n.GeoIP.Database, "kind", p.Kind())
	} else {
		log.Warn("no geoip database configured: location policies answer with their default endpoints")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler := resolver.NewHandler(resolver.Options{Locator: locator, Logger: log})
	gauge, err := health.NewEndpointGauge(reg)
	if err != nil {
		return err
	}
	var nd *node
	sched := health.NewScheduler(health.Options{
		Logger:     log,
		Registerer: reg,
		OnChange:   func(c health.Change) { nd.healthChanged(c) },
	})
	defer sched.Close()
	nd = newNode(nodeOptions{handler: handler, sched: sched, gauge: gauge, log: log})
	if n.TrafficFile == "" {
		return errors.New("no traffic document: set traffic_file in the node file or pass --traffic")
	}
	src := newFileSource(n.TrafficFile, nd, log)
	if err := src.load(); err != nil {
		return err
	}

	srv := resolver.NewServer(resolver.ServerOptions{
		Addrs:             n.DNS.Listen,
		UDPListeners:      n.DNS.UDPListeners,
		TCPIdleTimeout:    n.DNS.TCPIdleTimeout.Std(),
		TCPMaxConnections: n.DNS.TCPMaxConnections,
		TCPMaxQueries:     n.DNS.TCPMaxQueries,
		Handler:           handler,
		Logger:            log,
	})
	if err := srv.Start(); err != nil {
		return err
	}
	adminSrv, err := startAdmin(n.Admin, admin.New(admin.Options{Gatherer: reg, Readiness: nd}), log)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return err
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go src.watch(watchCtx, hup, time.Second)

	log.Info("gtmd ready", "dns", srv.Addrs())
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", shutdownGrace)
	case serveErr = <-srv.Err():
		log.Error("dns listener failed", "err", serveErr)
	}
	stopWatch()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("dns shutdown", "err", err)
	}
	if adminSrv != nil {
		_ = adminSrv.Shutdown(sctx)
	}
	log.Info("stopped")
	return serveErr
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
