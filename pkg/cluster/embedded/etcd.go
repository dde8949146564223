package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Etcd is a single-member etcd running inside the gtmd process, the
// default store of a node configured without etcd endpoints. It runs
// with authentication on (user root, a generated password kept beside
// its data), logs through slog, and keeps its database small.
type Etcd struct {
	etcd         *embed.Etcd
	clientURL    string
	password     string
	passwordFile string
	log          *slog.Logger
	onFatal      func(error)
	// client is logged in as root, for upkeep and recovery.
	client *clientv3.Client
	upkeep Upkeep

	// started is set once Start returns the store: faults from
	// then on go to onFatal or Err.
	started   atomic.Bool
	faultOnce sync.Once
	fault     atomic.Pointer[Fault]
	dead      chan struct{} // closed on the first fault
	errc      chan error

	// closing quiets etcd's complaints about its own listeners closing.
	closing  atomic.Bool
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// Options say where the embedded etcd keeps its data and listens.
type Options struct {
	// Dir is the data directory (the node's data_dir/etcd).
	Dir string
	// PasswordFile keeps the root password, mode 0600 (default
	// etcd-root.password beside Dir, i.e. in data_dir).
	PasswordFile string
	// Name is the member name, the node id.
	Name string
	// ClientURL and PeerURL must be http:// URLs on loopback addresses:
	// an embedded store has no TLS.
	ClientURL, PeerURL string
	// Logger receives etcd's log and gtmd's account of the store
	// (default: discarded).
	Logger *slog.Logger
	// StartTimeout bounds each wait for the member to serve (default
	// 30s); a first start waits twice (setup.go).
	StartTimeout time.Duration
	Upkeep       Upkeep
	// OnFatal is called once with a *Fault when etcd fails for good
	// after start (a full disk, a WAL write error, no file descriptors
	// left). A process would log it and exit; without OnFatal the fault
	// is logged and sent on Err. The goroutine that raised it is ended
	// either way; a fault during start is Start's error instead.
	OnFatal func(error)
}

// Start starts the embedded etcd and waits until it serves. A
// data directory without authentication (a new one, or one from a gtmd
// without it) gets it before the client URL ever opens: etcd is started
// once more, first, on a private unix socket (setup.go).
func Start(o Options) (*Etcd, error) {
	cu, err := loopbackURL("store.embedded.client_url", o.ClientURL)
	if err != nil {
		return nil, err
	}
	pu, err := loopbackURL("store.embedded.peer_url", o.PeerURL)
	if err != nil {
		return nil, err
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Clean(o.Dir)
	if o.PasswordFile == "" {
		o.PasswordFile = filepath.Join(filepath.Dir(dir), "etcd-root.password")
	}
	o.Upkeep = o.Upkeep.withDefaults()
	e := &Etcd{
		clientURL: cu.String(), passwordFile: o.PasswordFile, log: o.Logger, onFatal: o.OnFatal, upkeep: o.Upkeep,
		dead: make(chan struct{}), errc: make(chan error, 1), stop: make(chan struct{}),
	}
	peerTLS, pu, err := sealPeer(filepath.Join(filepath.Dir(dir), "etcd-peer"), pu)
	if err != nil {
		return nil, err
	}
	config := func(client *url.URL, closing *atomic.Bool) *embed.Config {
		cfg := embed.NewConfig()
		cfg.Name = o.Name
		cfg.Dir = dir
		cfg.PeerTLSInfo = peerTLS
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialCluster = cfg.InitialClusterFromName(o.Name)
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(newEtcdLogger(o.Logger, e.report, closing))
		cfg.AutoCompactionMode = "revision"
		cfg.AutoCompactionRetention = strconv.Itoa(o.Upkeep.KeepRevisions)
		cfg.QuotaBackendBytes = o.Upkeep.QuotaBytes
		// etcd keeps the raft log since its last snapshot in memory, and
		// snapshots every 10,000 entries by default: a zone of a million
		// records was written in ~8,000 transactions, whose requests then
		// stayed resident (~80 MB, and again after a restart replayed
		// them); written in buckets, it is 300 transactions of 256 kB,
		// and an UPDATE a few kB. A snapshot is cheap here (the database
		// is the state), so one every 100 entries bounds that to ~100
		// requests. The embedded store is one member: no follower needs
		// more entries to catch up from (with followers, keep etcd's
		// 5,000).
		cfg.SnapshotCount = raftLogEntries
		cfg.SnapshotCatchUpEntries = raftLogEntries
		// The only password is 256 random bits (auth.go): bcrypt's
		// cost protects guessable passwords and would only slow every login.
		cfg.BcryptCost = 4 // bcrypt.MinCost
		return cfg
	}

	// Auth goes on before the client port ever opens (setup.go).
	if !authOnDisk(dir) {
		if err := e.setUpAuth(config, dir, o.StartTimeout); err != nil {
			return nil, err
		}
	}
	e.etcd, err = e.start(config(cu, &e.closing), o.StartTimeout)
	if err != nil {
		return nil, err
	}
	pw, enabledNow, err := secure(e.clientURL, e.passwordFile, e.log)
	if err == nil {
		e.password = pw
		e.client, err = rootClient(e.clientURL, pw, e.passwordFile)
	}
	if err == nil && enabledNow {
		// Only if someone turned auth off with the root password since.
		e.log.Warn("embedded etcd: authentication was off although its database said on; turned it on again", "dir", dir)
		ctx, cancel := setupContext()
		err = dropStrangers(ctx, e.client, e.log)
		cancel()
	}
	if err == nil {
		e.started.Store(true)
	}
	if f := e.fault.Load(); f != nil {
		err = f // the cause of whatever else failed
	}
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("starting the embedded etcd in %s: %w", dir, err)
	}
	e.wg.Add(2)
	go e.forwardErr()
	go e.defragLoop()
	o.Logger.Info("embedded etcd serving", "client_url", e.clientURL, "dir", dir, "auth", "root password in "+e.passwordFile)
	return e, nil
}

// start runs embed.StartEtcd in a goroutine of its own, since a fault
// during start ends the goroutine that raised it, and waits until the
// member serves.
func (e *Etcd) start(cfg *embed.Config, timeout time.Duration) (*embed.Etcd, error) {
	type started struct {
		etcd *embed.Etcd
		err  error
	}
	done := make(chan started, 1)
	go func() {
		et, err := embed.StartEtcd(cfg)
		done <- started{et, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var et *embed.Etcd
	select {
	case s := <-done:
		if s.err != nil {
			hint := ""
			if errors.Is(s.err, syscall.EADDRINUSE) {
				hint = " (is another etcd running? set store.embedded.client_url and peer_url to free ports, or store.etcd_endpoints to use it)"
			}
			return nil, fmt.Errorf("starting the embedded etcd in %s: %w%s", cfg.Dir, s.err, hint)
		}
		et = s.etcd
	case <-e.dead:
		// Its goroutines may hold locks: nothing of it can be closed.
		return nil, fmt.Errorf("starting the embedded etcd in %s: %w", cfg.Dir, e.fault.Load())
	case <-timer.C:
		go func() {
			// Stopped when it does start, so it does not linger.
			if s := <-done; s.err == nil {
				s.etcd.Close()
			}
		}()
		return nil, fmt.Errorf("embedded etcd in %s did not start within %v", cfg.Dir, timeout)
	}
	select {
	case <-et.Server.ReadyNotify():
		return et, nil
	case err := <-et.Err():
		et.Close()
		return nil, fmt.Errorf("embedded etcd failed: %w", err)
	case <-e.dead:
		return nil, fmt.Errorf("starting the embedded etcd in %s: %w", cfg.Dir, e.fault.Load())
	case <-timer.C:
		et.Server.Stop()
		et.Close()
		return nil, fmt.Errorf("embedded etcd in %s did not start within %v", cfg.Dir, timeout)
	}
}

// report takes a fault raised by etcd: the first one is passed on, to
// Start while starting, then to OnFatal or Err.
func (e *Etcd) report(f *Fault) {
	e.faultOnce.Do(func() {
		e.fault.Store(f)
		close(e.dead)
		if !e.started.Load() {
			return
		}
		if e.onFatal != nil {
			e.onFatal(f)
			return
		}
		e.log.Error("embedded etcd stopped", "err", f)
		e.errc <- f
	})
}

// forwardErr turns a failure of etcd's client or peer listeners into a
// fault, so it is never silent either.
func (e *Etcd) forwardErr() {
	defer e.wg.Done()
	select {
	case <-e.stop:
	case err, ok := <-e.etcd.Err():
		if ok && err != nil {
			select {
			case <-e.stop: // closing: listeners stop with an error
			default:
				e.report(&Fault{Message: "serving", Err: err})
			}
		}
	}
}

// rootClient logs in to the embedded etcd at endpoint as root.
func rootClient(endpoint, password, passwordFile string) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: []string{endpoint}, DialTimeout: setupTimeout,
		Username: rootUser, Password: password, Logger: zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("logging in to the embedded etcd as %s with the password in %s: %w", rootUser, passwordFile, err)
	}
	return cli, nil
}

// Endpoints are the client URLs to connect a Store to.
func (e *Etcd) Endpoints() []string { return []string{e.clientURL} }

// Credentials are the user and password a Store connects with.
func (e *Etcd) Credentials() (user, password string) { return rootUser, e.password }

// Err receives the fault that stopped etcd after start when no OnFatal
// was given.
func (e *Etcd) Err() <-chan error { return e.errc }

// Close stops the member, flushing its data. After a fault it only stops
// gtmd's own goroutines: etcd's may hold locks and cannot be stopped.
func (e *Etcd) Close() {
	e.stopOnce.Do(func() {
		e.closing.Store(true)
		close(e.stop)
		e.wg.Wait()
		if e.client != nil {
			_ = e.client.Close()
		}
		if e.etcd != nil && e.fault.Load() == nil {
			e.etcd.Close()
		}
	})
}

func loopbackURL(field, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("%s %q: want an http:// URL", field, raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%s %q: the embedded etcd listens on loopback only (its password crosses the wire in clear: it has no TLS); run etcd yourself with TLS and authentication and set store.etcd_endpoints to share it across machines", field, raw)
	}
	return u, nil
}

// raftLogEntries is how many raft entries the embedded etcd keeps in
// memory after a snapshot, and how many it applies between snapshots.
const raftLogEntries = 100
