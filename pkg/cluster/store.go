package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Store.
type Options struct {
	// Endpoints are etcd client URLs.
	Endpoints []string
	TLS       *tls.Config
	Username  string
	Password  string
	// Prefix is the key prefix of the cluster, ending in '/'.
	Prefix string
	// Self is this node as it registers; Revision and LastSeen are kept
	// current by the store.
	Self Member
	// LeaseTTL is how long a node's member entry and observations outlive
	// it (default 2s): a node that dies with its region takes its last
	// "healthy" vote with it about this soon, well inside the failover
	// time of a check with a 1s interval and fall 2. etcd raises it to
	// its own minimum (1.5s with the default election timeout).
	LeaseTTL time.Duration
	// ProbeInterval is how often the connection to etcd is checked
	// (default 500ms); two failed probes in a row mark it unreachable.
	ProbeInterval time.Duration
	// AlarmInterval is how often etcd's alarms (NOSPACE, CORRUPT) are
	// listed (default 10s); a write refused for lack of space lists them
	// at once.
	AlarmInterval time.Duration
	// HeartbeatInterval is how often the member entry is rewritten with
	// its last-seen time (default 5s): with the lease, the node's only
	// regular write while its checks keep their status.
	HeartbeatInterval time.Duration
	// DetailInterval is the least time between two writes of the node's
	// probe detail (default 30s; details.go).
	DetailInterval time.Duration
	// DetailBytesPerSecond bounds the detail a node adds to etcd's
	// history, on average (default 4 KiB): a detail key too large to
	// write every DetailInterval within it is written less often.
	DetailBytesPerSecond int
	// HistoryLimit is how many revisions of history etcd may keep before
	// the store reports that it is not compacted (default 100,000;
	// history.go), checked at start and every HistoryInterval (default 1h).
	HistoryLimit    int64
	HistoryInterval time.Duration
	// ReadPage is how many keys one read takes at most when the store is
	// read whole or a zone's records are (default 100,000: ~15 MB of a
	// zone's records; etcd counts every key left in the range at each
	// read, so much smaller pages make a million keys slow to read).
	ReadPage int
	// Recover, when set, frees space after a NOSPACE alarm and disarms
	// it ((*embedded.Etcd).Recover); without it the operator is told what to run.
	Recover    func(context.Context) error
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AuditKeep is how many audit entries the store keeps, the newest
	// (default audit.DefaultKeep, 1,000); older ones are trimmed as new
	// ones are written.
	AuditKeep int
}

// DefaultHistoryLimit is Options.HistoryLimit's default: an etcd that
// keeps more revisions than this is not compacting its history.
const DefaultHistoryLimit = 100_000

// Store is a node's connection to the cluster's etcd.
type Store struct {
	opts   Options
	keys   keys
	client *clientv3.Client
	log    *slog.Logger
	now    func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// degraded says why etcd is unreachable, nil while it answers.
	degraded atomic.Pointer[string]
	// alarm says why etcd refuses writes, nil while it takes them.
	alarm     atomic.Pointer[string]
	alarmWake chan struct{}
	// history says that etcd keeps its whole history, nil while it
	// compacts (history.go).
	history atomic.Pointer[string]
	// probeRevision is the store's revision at the last successful probe.
	probeRevision atomic.Int64
	metrics       *metrics
	publishWake   chan struct{}
	// buckets compresses the buckets of zones' records.
	buckets bucketCodec
	// auditSeq orders this node's audit entries of one instant.
	auditSeq atomic.Uint64

	mu       sync.Mutex
	self     Member
	observed map[string]storedObservation // this node's own results, by check
	lease    clientv3.LeaseID
	written  map[string]storedObservation // what the store holds under the lease
	details  detailState
	// writtenRevision is the serving revision in the stored member entry.
	writtenRevision int64
	state           *State
	// pending are the zone generations being written (zones_watch.go),
	// the watch goroutine's alone.
	pending pendingGens
	// resyncFrom are the zones' records before a resync, and reused the
	// zones (and generations) it keeps from them; both nil but during
	// one. Only the watch goroutine touches them.
	resyncFrom map[string]*ZoneRecords
	reused     map[string]string

	// reportMu orders the reports on updates (see report).
	reportMu     sync.Mutex
	latest       Update
	updates      chan Update
	reportClosed bool
}

// Open connects to etcd and starts watching, registering and publishing in
// the background. It does not wait for etcd to answer: a node starts and
// keeps serving while the store is away (fail-static).
func Open(opts Options) (*Store, error) {
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 2 * time.Second
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = 500 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AlarmInterval <= 0 {
		opts.AlarmInterval = 10 * time.Second
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 5 * time.Second
	}
	if opts.DetailInterval <= 0 {
		opts.DetailInterval = 30 * time.Second
	}
	if opts.DetailBytesPerSecond <= 0 {
		opts.DetailBytesPerSecond = 4 << 10
	}
	if opts.ReadPage <= 0 {
		opts.ReadPage = DefaultReadPage
	}
	if opts.HistoryLimit <= 0 {
		opts.HistoryLimit = DefaultHistoryLimit
	}
	if opts.HistoryInterval <= 0 {
		opts.HistoryInterval = time.Hour
	}
	if !strings.HasSuffix(opts.Prefix, "/") {
		return nil, fmt.Errorf("cluster: prefix %q must end in '/'", opts.Prefix)
	}
	if opts.Self.ID == "" || strings.Contains(opts.Self.ID, "/") {
		return nil, fmt.Errorf("cluster: node id %q must be set and hold no '/'", opts.Self.ID)
	}
	alarmWake := make(chan struct{}, 1)
	client, err := clientv3.New(clientv3.Config{
		Endpoints:            opts.Endpoints,
		DialTimeout:          2 * time.Second,
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		TLS:                  opts.TLS,
		Username:             opts.Username,
		Password:             opts.Password,
		Logger:               zap.NewNop(),
		// gRPC's default reconnect backoff grows to two minutes; capped
		// at half a second, a node is back within a second of etcd's
		// return however long it was away.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: 2 * time.Second,
		}), grpc.WithChainUnaryInterceptor(noSpaceInterceptor(alarmWake))},
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to etcd %v: %w", opts.Endpoints, err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		client.Close()
		return nil, err
	}
	s := &Store{
		opts: opts, keys: keys{opts.Prefix}, client: client, log: opts.Logger, now: opts.Now,
		metrics: m, publishWake: make(chan struct{}, 1), alarmWake: alarmWake,
		self: opts.Self, observed: map[string]storedObservation{}, written: map[string]storedObservation{},
		state: newState(), updates: make(chan Update, 1), pending: pendingGens{},
	}
	s.self.StartedAt = s.now()
	reason := "not connected yet"
	s.degraded.Store(&reason)
	s.latest = Update{State: s.state, Reason: reason}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(5)
	go s.watchLoop()
	go s.probeLoop()
	go s.sessionLoop()
	go s.alarmLoop()
	go s.historyLoop()
	return s, nil
}

// Close stops the store's goroutines and closes the connection. The lease
// is revoked, so the node's entry and observations leave at once.
func (s *Store) Close() error {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	lease := s.lease
	s.mu.Unlock()
	if lease != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = s.client.Revoke(ctx, lease)
		cancel()
	}
	s.closeUpdates()
	return s.client.Close()
}

// Connected reports whether etcd answered the last probe.
func (s *Store) Connected() bool { return s.degraded.Load() == nil }

// ProbeRevision is the store's revision when it last answered a probe;
// Update.ConnectedRevision is this value when the store came back.
func (s *Store) ProbeRevision() int64 { return s.probeRevision.Load() }

// Degraded returns why the store is unreachable, or else why it refuses
// writes (an etcd alarm) or will (history never compacted), "" when none.
func (s *Store) Degraded() string {
	if r := s.degraded.Load(); r != nil {
		return *r
	}
	var reasons []string
	for _, r := range []*string{s.alarm.Load(), s.history.Load()} {
		if r != nil {
			reasons = append(reasons, *r)
		}
	}
	return strings.Join(reasons, "; ")
}

// State returns the latest state seen.
func (s *Store) State() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// probeLoop checks the connection with a linearizable read, so a member
// cut off from its quorum counts as unreachable too.
func (s *Store) probeLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.ProbeInterval)
	defer t.Stop()
	failures := 0
	for {
		ctx, cancel := context.WithTimeout(s.ctx, max(s.opts.ProbeInterval, time.Second))
		resp, err := s.client.Get(ctx, s.keys.traffic(), clientv3.WithCountOnly())
		cancel()
		if s.ctx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
			s.probeRevision.Store(resp.Header.Revision)
		} else {
			failures++
		}
		// One slow answer on a loaded machine is not an outage: a node
		// judged cut off ignores its peers for a while.
		if err == nil || failures >= 2 || !s.Connected() {
			s.setConnected(err)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Store) setConnected(err error) {
	ok := err == nil
	var reason string
	var degraded *string
	if !ok {
		reason = "etcd unreachable: " + err.Error()
		degraded = &reason
	}
	was := s.degraded.Swap(degraded) == nil
	s.metrics.connected.Set(boolGauge(ok))
	if was != ok {
		if ok {
			s.log.Info("cluster store reachable", "endpoints", s.opts.Endpoints)
		} else {
			s.log.Warn("cluster store unreachable; serving the last state and this node's own checks", "err", err)
		}
		rev := s.probeRevision.Load()
		s.report(func(u *Update) {
			u.Connected, u.Reason = ok, reason
			if ok {
				u.ConnectedRevision = rev
			}
		})
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// backoff sleeps for a growing, jittered delay; false when the store is
// closing.
func (s *Store) backoff(attempt int) bool {
	d := min(100*time.Millisecond<<min(attempt, 6), 5*time.Second)
	d = d/2 + rand.N(d/2+1)
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// isClosing reports whether err comes from the store shutting down.
func (s *Store) isClosing(err error) bool {
	return s.ctx.Err() != nil || errors.Is(err, context.Canceled)
}
