package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/node"
)

// Node is a whole gtmd node (store, health checks, fail-static, admin
// API) inside this program, answering on sockets the program owns.
type Node struct {
	gtm   *node.Node
	dns   []*dns.Server
	admin *http.Server
	// DNSAddr and AdminAddr are where the program serves them.
	DNSAddr, AdminAddr string
}

// StartNode runs a node with the settings in cfg (a node file, loaded
// with config.LoadNode), serving its DNS handler on dnsAddr (UDP and
// TCP) and its admin API on adminAddr, beside a page of the program's
// own under /mytool/ (other nodes call the API at the root of the URL
// the node advertises).
func StartNode(ctx context.Context, cfg *config.Node, dnsAddr, adminAddr string, log *slog.Logger) (_ *Node, err error) {
	n := &Node{}
	defer func() {
		if err != nil {
			n.Close(ctx)
		}
	}()
	// The program binds first, so that the node's member entry lists
	// where it answers: other nodes reach its API there.
	pc, tcp, err := listenDNS(dnsAddr)
	if err != nil {
		return nil, err
	}
	n.DNSAddr = pc.LocalAddr().String()
	api, err := net.Listen("tcp", adminAddr)
	if err != nil {
		pc.Close()
		tcp.Close()
		return nil, err
	}
	n.AdminAddr = api.Addr().String()
	// The node binds nothing itself: this program serves its handlers.
	cfg.DNS.Listen, cfg.Admin.Listen = nil, ""
	n.gtm, err = node.New(node.Options{
		Config: cfg, Logger: log, Version: "embed-example",
		AdvertiseDNS: []string{n.DNSAddr}, AdvertiseAdmin: "http://" + n.AdminAddr,
	})
	if err != nil {
		pc.Close()
		tcp.Close()
		api.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", n.gtm.AdminHandler())
	mux.HandleFunc("/mytool/", func(w http.ResponseWriter, _ *http.Request) {
		ready, degraded := n.gtm.Ready()
		fmt.Fprintf(w, "my tool; gtmd ready: %v %s\n", ready, degraded)
	})
	n.admin = &http.Server{Handler: mux}
	go func() { _ = n.admin.Serve(api) }()
	if err := n.serveDNS(pc, tcp); err != nil {
		return nil, err
	}
	if err := n.gtm.Start(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// listenDNS binds addr over UDP and TCP, with the port UDP got for TCP
// too when addr's port is 0. Another program may hold that port on TCP,
// so with port 0 it picks again a few times.
func listenDNS(addr string) (net.PacketConn, net.Listener, error) {
	for try := 1; ; try++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		if !errors.Is(err, syscall.EADDRINUSE) || !strings.HasSuffix(addr, ":0") || try == 10 {
			return nil, nil, err
		}
	}
}

// serveDNS serves the node's handler on pc and l.
func (n *Node) serveDNS(pc net.PacketConn, l net.Listener) error {
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: n.gtm.DNSHandler()}, {Listener: l, Handler: n.gtm.DNSHandler()}} {
		started, failed := make(chan struct{}), make(chan error, 1)
		s.NotifyStartedFunc = func() { close(started) }
		go func() { failed <- s.ActivateAndServe() }()
		select {
		case <-started:
			n.dns = append(n.dns, s)
		case err := <-failed:
			return fmt.Errorf("serving DNS on %s: %w", n.DNSAddr, err)
		}
	}
	return nil
}

// Err reports what ends the node (see node.Node.Err).
func (n *Node) Err() <-chan error { return n.gtm.Err() }

// Close stops the program's servers, then the node.
func (n *Node) Close(ctx context.Context) error {
	var errs []error
	if n.gtm == nil {
		return nil
	}
	for _, s := range n.dns {
		errs = append(errs, s.ShutdownContext(ctx))
	}
	if n.admin != nil {
		errs = append(errs, n.admin.Shutdown(ctx))
	}
	errs = append(errs, n.gtm.Shutdown(ctx))
	return errors.Join(errs...)
}
