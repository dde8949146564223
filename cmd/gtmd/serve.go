package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gtmd/gtmd/internal/flagx"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/node"
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

// serve runs a node until ctx ends (SIGINT or SIGTERM) or the node
// fails; SIGHUP reloads the GeoIP databases.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	c, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	log := newLogger(c.Log, stderr)
	created, err := ensureKEK(c, os.Getenv, rand.Reader)
	if err != nil {
		return err
	}
	if created {
		log.Info("DNSSEC key-encryption key created; every node that joins this store needs a copy", "file", c.DNSSEC.KeyEncryptionKeyFile)
	}
	raiseOpenFileLimit(log)
	if p := setGCPercent(os.Getenv, debug.SetGCPercent); p != 0 {
		log.Debug("garbage collector target set", "percent", p)
	}
	// SIGHUP is caught from the start: during start-up it must not kill
	// the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n, err := node.New(node.Options{Config: c, Logger: log, Registerer: reg, Gatherer: reg, Version: version})
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-hup:
			if err := n.ReloadGeo(); err != nil {
				log.Error("SIGHUP: geoip reload failed", "err", err)
			}
			continue
		case <-ctx.Done():
			log.Info("shutting down", "grace", shutdownGrace)
		case err = <-n.Err():
			// Said once, by run, as the command's error.
		}
		break
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if serr := n.Shutdown(sctx); serr != nil {
		log.Warn("shutdown", "err", serr)
	}
	log.Info("stopped")
	return err
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
