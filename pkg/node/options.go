package node

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
)

// Options are what a node is made of.
type Options struct {
	// Config is the node file, validated (config.LoadNode, ParseNode or
	// Validate). dns.listen empty binds no DNS listener and admin.listen
	// "" no admin listener.
	Config *config.Node
	// Logger receives the node's log; nil discards it.
	Logger *slog.Logger
	// Registerer receives the node's metrics and Gatherer serves them on
	// the API's /metrics. Both nil: a registry of the node's own, so that
	// two nodes in one process do not collide. Registerer alone is also
	// the Gatherer when it is one (a *prometheus.Registry).
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// Locator places clients. Nil: the node opens the node file's
	// geoip.database, if any, and ReloadGeo reopens it.
	Locator geo.Locator
	// Version is what the node reports as its version in its member
	// entry.
	Version string
	// AdvertiseDNS and AdvertiseAdmin are what the member entry lists as
	// the node's DNS addresses (IP:port) and its admin API's base URL
	// (scheme://host:port: other nodes call the API at its root) when the program serves DNSHandler and AdminHandler itself
	// (dns.listen empty, admin.listen ""): other nodes reach its API
	// there (explain on every node), and `gtmd members` shows them. The
	// addresses of listeners the node binds itself are listed instead.
	AdvertiseDNS   []string
	AdvertiseAdmin string
	// Getenv reads the environment, where the DNSSEC key-encryption key
	// may be (GTMD_DNSSEC_KEK); nil is os.Getenv.
	Getenv func(string) string
	// Rand is where new DNSSEC keys come from; nil is crypto/rand.
	Rand io.Reader
}

// checkAdvertised refuses advertised addresses other nodes could not use.
func checkAdvertised(o Options) error {
	for i, a := range o.AdvertiseDNS {
		if _, err := netip.ParseAddrPort(a); err != nil {
			return fmt.Errorf("node: Options.AdvertiseDNS[%d] %q is not an IP:port address", i, a)
		}
	}
	if a := o.AdvertiseAdmin; a != "" {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("node: Options.AdvertiseAdmin %q is not an http:// or https:// base URL (scheme://host:port, the API at its root)", a)
		}
	}
	return nil
}
