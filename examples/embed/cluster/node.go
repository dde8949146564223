package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

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
// TCP) and its admin API under /gtmd/ on adminAddr, beside a page of the
// program's own.
func StartNode(ctx context.Context, cfg *config.Node, dnsAddr, adminAddr string, log *slog.Logger) (*Node, error) {
	// The node binds nothing itself: this program serves its handlers.
	cfg.DNS.Listen, cfg.Admin.Listen = nil, ""
	gtm, err := node.New(node.Options{Config: cfg, Logger: log, Version: "embed-example"})
	if err != nil {
		return nil, err
	}
	if err := gtm.Start(ctx); err != nil {
		return nil, err
	}
	n := &Node{gtm: gtm}
	if err := n.serveDNS(dnsAddr); err != nil {
		n.Close(ctx)
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/gtmd/", http.StripPrefix("/gtmd", gtm.AdminHandler()))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		ready, degraded := gtm.Ready()
		fmt.Fprintf(w, "my tool; gtmd ready: %v %s\n", ready, degraded)
	})
	l, err := net.Listen("tcp", adminAddr)
	if err != nil {
		n.Close(ctx)
		return nil, err
	}
	n.AdminAddr = l.Addr().String()
	n.admin = &http.Server{Handler: mux}
	go func() { _ = n.admin.Serve(l) }()
	return n, nil
}

// serveDNS serves the node's handler on addr over UDP and TCP, with the
// port UDP got for TCP too when addr's port is 0.
func (n *Node) serveDNS(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	n.DNSAddr = pc.LocalAddr().String()
	l, err := net.Listen("tcp", n.DNSAddr)
	if err != nil {
		pc.Close()
		return err
	}
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: n.gtm.DNSHandler()}, {Listener: l, Handler: n.gtm.DNSHandler()}} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go func() { _ = s.ActivateAndServe() }()
		<-started
		n.dns = append(n.dns, s)
	}
	return nil
}

// Err reports what ends the node (see node.Node.Err).
func (n *Node) Err() <-chan error { return n.gtm.Err() }

// Close stops the program's servers, then the node.
func (n *Node) Close(ctx context.Context) error {
	var errs []error
	for _, s := range n.dns {
		errs = append(errs, s.ShutdownContext(ctx))
	}
	if n.admin != nil {
		errs = append(errs, n.admin.Shutdown(ctx))
	}
	errs = append(errs, n.gtm.Shutdown(ctx))
	return errors.Join(errs...)
}
