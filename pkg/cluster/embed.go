package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Embedded is a single-member etcd running inside the gtmd process, the
// default store of a node configured without etcd endpoints.
type Embedded struct {
	etcd      *embed.Etcd
	clientURL string
}

// EmbeddedOptions say where the embedded etcd keeps its data and listens.
type EmbeddedOptions struct {
	// Dir is the data directory (the node's data_dir/etcd).
	Dir string
	// Name is the member name, the node id.
	Name string
	// ClientURL and PeerURL must be http:// URLs on loopback addresses:
	// an embedded store has no authentication.
	ClientURL, PeerURL string
	Logger             *slog.Logger
	// StartTimeout bounds the wait for the member to serve (default 30s).
	StartTimeout time.Duration
}

// StartEmbedded starts the embedded etcd and waits until it serves.
func StartEmbedded(o EmbeddedOptions) (*Embedded, error) {
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
	cfg := embed.NewConfig()
	cfg.Name = o.Name
	cfg.Dir = filepath.Clean(o.Dir)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(o.Name)
	// etcd's own log would print stack traces on every clean shutdown;
	// failures that matter come back from StartEtcd and Err instead.
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	// Keep the history short: the store holds a few small keys and every
	// node re-reads all of them after a compaction.
	cfg.AutoCompactionMode = "revision"
	cfg.AutoCompactionRetention = "10000"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (is another etcd running? set store.embedded.client_url and peer_url to free ports, or store.etcd_endpoints to use it)"
		}
		return nil, fmt.Errorf("starting the embedded etcd in %s: %w%s", cfg.Dir, err, hint)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd failed: %w", err)
	case <-time.After(o.StartTimeout):
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s did not start within %v", cfg.Dir, o.StartTimeout)
	}
	if o.Logger != nil {
		o.Logger.Info("embedded etcd serving", "client_url", cu.String(), "dir", cfg.Dir)
	}
	return &Embedded{etcd: e, clientURL: cu.String()}, nil
}

// Endpoints are the client URLs to connect a Store to.
func (e *Embedded) Endpoints() []string { return []string{e.clientURL} }

// Close stops the member, flushing its data.
func (e *Embedded) Close() {
	e.etcd.Close()
}

func loopbackURL(field, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("%s %q: want an http:// URL", field, raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%s %q: the embedded etcd listens on loopback only (it has no authentication); run etcd yourself and set store.etcd_endpoints to share it across machines", field, raw)
	}
	return u, nil
}
