// Command embed is a program of its own that answers DNS with gtmd's
// resolver: it builds a traffic document in code, runs gtmd's health
// checks on it, and mounts the resolver's dns.Handler in its own
// miekg/dns server. No etcd, no gtmd binary: the library alone.
//
//	go run ./examples/embed -listen 127.0.0.1:5354 \
//	  -us http://127.0.0.1:8081/healthz -eu http://127.0.0.1:8082/healthz
//	dig @127.0.0.1 -p 5354 www.embed.test +norec
//
// www.embed.test is a failover service: us-east (198.51.100.10) while
// its check passes, eu-west (203.0.113.10) when it does not. The quick
// start's target stands in for each region's web server:
//
//	go run ./examples/quickstart/target                          # us-east, 127.0.0.1:8081
//	go run ./examples/quickstart/target -listen 127.0.0.1:8082   # eu-west
//
// Stop the first and, after two failed checks, the answer is eu-west.
// With both regions down the answer fails open to us-east, as Route 53
// does (when_all_down: all).
//
// The program is in two parts: main.go reads flags and waits for a
// signal; app.go is what an embedding program does, and what
// embed_test.go runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:5354", "DNS address (UDP and TCP); port 0 picks one")
	us := flag.String("us", "http://127.0.0.1:8081/healthz", "health check URL of the us-east region")
	eu := flag.String("eu", "http://127.0.0.1:8082/healthz", "health check URL of the eu-west region")
	interval := flag.Duration("interval", 2*time.Second, "health check interval")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	app, err := Start(Config{Listen: *listen, USCheck: *us, EUCheck: *eu, Interval: *interval, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
	// The line a script (and embed_test.go) reads to find the port.
	fmt.Printf("listening on %s\n", app.Addr())
	<-ctx.Done()
	log.Info("shutting down")
	if err := app.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}
