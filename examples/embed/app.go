package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// Zone and Service are the names the program answers for.
const (
	Zone    = "embed.test."
	Service = "www.embed.test."
)

// The addresses each region's endpoint answers with (TEST-NET, RFC 5737).
const (
	USAddr = "198.51.100.10"
	EUAddr = "203.0.113.10"
)

// Config is what the program is started with.
type Config struct {
	// Listen is the DNS address, served on UDP and TCP; port 0 picks a
	// free port, the same for both.
	Listen string
	// USCheck and EUCheck are the URLs the regions' health checks ask.
	USCheck, EUCheck string
	// Interval is how often each check runs (default 2s).
	Interval time.Duration
	// Logger receives health changes; nil discards.
	Logger *slog.Logger
}

// App is the running program: its traffic document, gtmd's resolver and
// health checks, and its own DNS servers.
type App struct {
	log     *slog.Logger
	traffic *config.Traffic
	base    *resolver.Snapshot // the document's snapshot, every endpoint healthy
	handler *resolver.Handler
	sched   *health.Scheduler
	udp     *dns.Server
	tcp     *dns.Server
	addr    string
	served  sync.WaitGroup
}

// Traffic is the program's traffic document, built in code: one zone and a
// failover service whose regions each have an HTTP check.
func Traffic(usCheck, euCheck string, interval time.Duration) (*config.Traffic, error) {
	ttl := uint32(10)
	t := &config.Traffic{
		Zones: []config.Zone{{
			Name: Zone,
			SOA:  config.SOA{MName: "ns1." + Zone, RName: "hostmaster." + Zone},
			NS:   []string{"ns1." + Zone},
			Records: []config.Record{
				{Name: "ns1", Type: "A", Data: []string{"127.0.0.1"}},
			},
		}},
		Services: []config.Service{{
			Name:   Service,
			Policy: config.PolicyFailover,
			TTL:    &ttl,
			Endpoints: []config.Endpoint{
				{ID: "us-east", Priority: 1, A: []string{USAddr}, Check: "us-east-http"},
				{ID: "eu-west", Priority: 2, A: []string{EUAddr}, Check: "eu-west-http"},
			},
		}},
		Checks: []config.Check{
			{Name: "us-east-http", Type: config.CheckHTTP, URL: usCheck, ExpectBody: "ok", Interval: config.Duration(interval), Timeout: config.Duration(interval / 2), Rise: 2, Fall: 2},
			{Name: "eu-west-http", Type: config.CheckHTTP, URL: euCheck, ExpectBody: "ok", Interval: config.Duration(interval), Timeout: config.Duration(interval / 2), Rise: 2, Fall: 2},
		},
	}
	// Validate fills the defaults and checks the document as gtmd does a
	// file.
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Start builds the document, starts the health checks and serves DNS. It
// returns once both servers listen.
func Start(c Config) (*App, error) {
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	t, err := Traffic(c.USCheck, c.EUCheck, c.Interval)
	if err != nil {
		return nil, err
	}
	// The SOA serial is ours to choose; gtmd derives it from the store's
	// revision, a program of its own may use the time.
	base, err := resolver.Build(t, uint32(time.Now().Unix()))
	if err != nil {
		return nil, err
	}
	a := &App{log: c.Logger, traffic: t, base: base}
	// No Locator: the failover policy needs no GeoIP database.
	a.handler = resolver.NewHandler(resolver.Options{Logger: c.Logger})
	a.handler.Swap(base)
	// Each status change of a check rebuilds the endpoints' health and
	// swaps in a snapshot that carries it. OnChange is called in order,
	// from one goroutine, so the swaps follow the changes.
	a.sched = health.NewScheduler(health.Options{Logger: c.Logger, OnChange: a.healthChanged})
	a.sched.Apply(t.Checks)

	// gtmd's handler answers its zone; the program's own names could sit
	// beside it in the same mux.
	mux := dns.NewServeMux()
	mux.Handle(Zone, a.handler)
	if err := a.listen(c.Listen, mux); err != nil {
		a.sched.Close()
		return nil, err
	}
	return a, nil
}

// healthChanged is the Scheduler's OnChange. It recomputes every
// endpoint from every check's current result, not only the one that
// changed; the Scheduler logs the change itself (Options.Logger).
func (a *App) healthChanged(health.Change) {
	// One node: its own results are the only ones that count. No operator
	// overrides and no external checks in this program.
	ev := health.Evaluate(health.Inputs{
		Traffic:      a.traffic,
		Observations: map[string]map[string]health.Observation{"self": a.sched.Observations()},
		Now:          time.Now(),
	})
	healthy := ev.Healthy()
	a.handler.Swap(a.base.WithHealth(func(service, endpoint string) bool {
		up, ok := healthy[health.EndpointKey{Service: service, Endpoint: endpoint}]
		return !ok || up
	}))
}

// listen binds TCP and UDP on the same port and serves both.
func (a *App) listen(addr string, h dns.Handler) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	var ln net.Listener
	var pc net.PacketConn
	// With port 0, TCP picks the port and UDP takes the same one, which
	// someone else may hold: then try another.
	for range 10 {
		if ln, err = net.Listen("tcp", addr); err != nil {
			return err
		}
		bound := net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		if pc, err = net.ListenPacket("udp", bound); err == nil {
			a.addr = bound
			break
		}
		ln.Close()
		if port != "0" {
			return err
		}
	}
	if err != nil {
		return fmt.Errorf("binding %s: %w", addr, err)
	}
	a.udp = &dns.Server{PacketConn: pc, Handler: h, UDPSize: dns.DefaultMsgSize}
	a.tcp = &dns.Server{Listener: ln, Handler: h}
	ready := make(chan error, 2)
	for _, s := range []*dns.Server{a.udp, a.tcp} {
		s.NotifyStartedFunc = func() { ready <- nil }
		a.served.Go(func() {
			if err := s.ActivateAndServe(); err != nil {
				select {
				case ready <- err: // it never started
				default:
				}
				a.log.Error("dns server stopped", "err", err)
			}
		})
	}
	for range 2 {
		if err := <-ready; err != nil {
			ln.Close()
			pc.Close()
			a.served.Wait()
			return err
		}
	}
	return nil
}

// Addr is the address the program answers on.
func (a *App) Addr() string { return a.addr }

// Close stops the servers, then the checks.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := errors.Join(a.udp.ShutdownContext(ctx), a.tcp.ShutdownContext(ctx))
	a.served.Wait()
	a.sched.Close()
	return err
}
