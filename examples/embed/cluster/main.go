// Command cluster embeds a whole clustered gtmd node in a program of its
// own: the node joins the cluster's etcd (or runs an embedded one), runs
// its share of the health checks, rides out etcd outages on its kept
// copy, and the program serves its DNS handler and admin API on sockets
// it owns, beside a page of its own.
//
//	go run ./examples/embed/cluster -config examples/quickstart/gtmd.yaml \
//	  -dns 127.0.0.1:5355 -admin 127.0.0.1:8355
//	curl -s 127.0.0.1:8355/v1/health
//	dig @127.0.0.1 -p 5355 www.example.test +short
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

func main() {
	path := flag.String("config", "", "node file (gtmd.yaml); its dns.listen and admin.listen are ignored")
	dnsAddr := flag.String("dns", "127.0.0.1:5355", "DNS address (UDP and TCP)")
	adminAddr := flag.String("admin", "127.0.0.1:8355", "HTTP address of the admin API (and of this program's page, /mytool/)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := config.LoadNode(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
	if *path != "" {
		cfg.ResolvePaths(filepath.Dir(*path))
	}
	n, err := StartNode(ctx, cfg, *dnsAddr, *adminAddr, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
	fmt.Printf("dns on %s, admin API on http://%s/\n", n.DNSAddr, n.AdminAddr)
	code := 0
	select {
	case <-ctx.Done():
	case err := <-n.Err():
		fmt.Fprintln(os.Stderr, "cluster:", err)
		code = 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Close(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
	}
	os.Exit(code)
}
