package config

import (
	"fmt"
	"net/url"
	"time"
)

// The node file's settings for facing the internet: response rate
// limiting, DNS cookies, TCP and admin limits, and upkeep of the
// embedded store. Their defaults follow NSD, Knot and BIND where those
// agree, so a node is hardened without a line of configuration.

// RRL is response rate limiting on UDP (as NSD, Knot and BIND do it):
// answers of one class to one client prefix beyond the rate are dropped,
// except every Slip-th, which goes out truncated so a real resolver
// retries over TCP.
type RRL struct {
	// ResponsesPerSecond is the rate allowed per client prefix and
	// response class; 0 turns rate limiting off.
	ResponsesPerSecond int `yaml:"responses_per_second" json:"responses_per_second"`
	// Slip sends every Slip-th limited answer truncated (TC=1); 0 drops
	// them all, 1 truncates them all.
	Slip int `yaml:"slip" json:"slip"`
	// IPv4Prefix and IPv6Prefix group clients into the prefix a spoofer
	// can use from one network.
	IPv4Prefix int `yaml:"ipv4_prefix" json:"ipv4_prefix"`
	IPv6Prefix int `yaml:"ipv6_prefix" json:"ipv6_prefix"`
	// TableSize bounds the buckets kept; the table never grows past it.
	TableSize int `yaml:"table_size" json:"table_size"`
}

// Cookies are DNS cookies (RFC 7873) with server cookies as RFC 9018
// defines them, so every node of a cluster accepts the others' cookies.
type Cookies struct {
	// Enabled answers cookies; off, the option is ignored as before.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Require answers BADCOOKIE to UDP queries without a valid server
	// cookie (the client retries with the one it is given).
	Require bool `yaml:"require" json:"require"`
	// SecretRotation is how often the cluster's shared secret is
	// replaced; the previous secret stays valid for as long again.
	SecretRotation Duration `yaml:"secret_rotation" json:"secret_rotation"`
}

// AdminLimits bound what the admin API's clients can hold on to.
type AdminLimits struct {
	ReadHeaderTimeout Duration `yaml:"read_header_timeout" json:"read_header_timeout"`
	ReadTimeout       Duration `yaml:"read_timeout" json:"read_timeout"`
	WriteTimeout      Duration `yaml:"write_timeout" json:"write_timeout"`
	IdleTimeout       Duration `yaml:"idle_timeout" json:"idle_timeout"`
	// MaxConnections bounds open connections to the API.
	MaxConnections int `yaml:"max_connections" json:"max_connections"`
	// MaxRequestsPerToken bounds the requests one token (or, without
	// tokens, one client address) has in progress at once.
	MaxRequestsPerToken int `yaml:"max_requests_per_token" json:"max_requests_per_token"`
	// MaxEventStreams bounds open /v1/events streams.
	MaxEventStreams int `yaml:"max_event_streams" json:"max_event_streams"`
}

// EmbeddedUpkeep keeps the embedded etcd's database small.
type EmbeddedUpkeep struct {
	// KeepRevisions is the history kept by periodic compaction.
	KeepRevisions int `yaml:"keep_revisions" json:"keep_revisions"`
	// DefragInterval is how often the database file is defragmented.
	DefragInterval Duration `yaml:"defrag_interval" json:"defrag_interval"`
	// QuotaBytes is the database size at which etcd refuses writes
	// (NOSPACE) until compacted and defragmented.
	QuotaBytes int64 `yaml:"quota_bytes" json:"quota_bytes"`
}

// defaultRRL are NSD's defaults: 200 responses per second per /24 or /56,
// every second limited answer truncated.
func defaultRRL() RRL {
	return RRL{ResponsesPerSecond: 200, Slip: 2, IPv4Prefix: 24, IPv6Prefix: 56, TableSize: 1 << 16}
}

func defaultCookies() Cookies {
	return Cookies{Enabled: true, SecretRotation: Duration(24 * time.Hour)}
}

func defaultAdminLimits() AdminLimits {
	return AdminLimits{
		ReadHeaderTimeout:   Duration(5 * time.Second),
		ReadTimeout:         Duration(30 * time.Second),
		WriteTimeout:        Duration(60 * time.Second),
		IdleTimeout:         Duration(60 * time.Second),
		MaxConnections:      256,
		MaxRequestsPerToken: 16,
		MaxEventStreams:     32,
	}
}

func defaultEmbeddedUpkeep() EmbeddedUpkeep {
	return EmbeddedUpkeep{KeepRevisions: 10000, DefragInterval: Duration(time.Hour), QuotaBytes: 2 << 30}
}

func (n *Node) validateHardening(l *faultList) {
	if n.DNS.TCPMaxConnectionsPerSource <= 0 {
		l.addf("dns.tcp_max_connections_per_source", "must be positive")
	}
	if n.DNS.TCPBusyIdleTimeout <= 0 || (n.DNS.TCPIdleTimeout > 0 && n.DNS.TCPBusyIdleTimeout > n.DNS.TCPIdleTimeout) {
		l.addf("dns.tcp_busy_idle_timeout", "%v must be positive and at most dns.tcp_idle_timeout", n.DNS.TCPBusyIdleTimeout.Std())
	}
	r := n.RRL
	if r.ResponsesPerSecond < 0 {
		l.addf("rrl.responses_per_second", "must not be negative (0 turns rate limiting off)")
	}
	if r.Slip < 0 || r.Slip > 10 {
		l.addf("rrl.slip", "%d must be between 0 and 10", r.Slip)
	}
	if r.IPv4Prefix < 8 || r.IPv4Prefix > 32 {
		l.addf("rrl.ipv4_prefix", "%d must be between 8 and 32", r.IPv4Prefix)
	}
	if r.IPv6Prefix < 16 || r.IPv6Prefix > 128 {
		l.addf("rrl.ipv6_prefix", "%d must be between 16 and 128", r.IPv6Prefix)
	}
	if r.TableSize < 1024 || r.TableSize > 1<<24 {
		l.addf("rrl.table_size", "%d must be between 1024 and 16777216", r.TableSize)
	}
	if n.Cookies.SecretRotation < Duration(time.Minute) {
		l.addf("cookies.secret_rotation", "%v must be at least 1m", n.Cookies.SecretRotation.Std())
	}
	if n.Cookies.Require && !n.Cookies.Enabled {
		l.addf("cookies.require", "needs cookies.enabled")
	}
	a := n.Admin.Limits
	for _, d := range []struct {
		field string
		v     Duration
	}{{"admin.limits.read_header_timeout", a.ReadHeaderTimeout}, {"admin.limits.read_timeout", a.ReadTimeout}, {"admin.limits.write_timeout", a.WriteTimeout}, {"admin.limits.idle_timeout", a.IdleTimeout}} {
		if d.v <= 0 {
			l.addf(d.field, "must be positive")
		}
	}
	for _, c := range []struct {
		field string
		v     int
	}{{"admin.limits.max_connections", a.MaxConnections}, {"admin.limits.max_requests_per_token", a.MaxRequestsPerToken}, {"admin.limits.max_event_streams", a.MaxEventStreams}} {
		if c.v <= 0 {
			l.addf(c.field, "must be positive")
		}
	}
	for i, p := range n.Admin.Peers {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			l.addf(fmt.Sprintf("admin.peers[%d]", i), "%q is not an http:// or https:// URL of a node's admin API", p)
		}
	}
	if len(n.Store.EtcdEndpoints) > 0 {
		return // no embedded store to keep
	}
	u := n.Store.Embedded.Upkeep
	if u.KeepRevisions < 100 {
		l.addf("store.embedded.upkeep.keep_revisions", "%d must be at least 100", u.KeepRevisions)
	}
	if u.DefragInterval < Duration(time.Minute) {
		l.addf("store.embedded.upkeep.defrag_interval", "%v must be at least 1m", u.DefragInterval.Std())
	}
	if u.QuotaBytes < 64<<20 || u.QuotaBytes > 8<<30 {
		l.addf("store.embedded.upkeep.quota_bytes", "%d must be between 64 MiB and 8 GiB", u.QuotaBytes)
	}
}
