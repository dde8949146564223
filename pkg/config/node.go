package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Node is the node file: settings local to one gtmd node.
type Node struct {
	Node        NodeIdentity `yaml:"node" json:"node"`
	DNS         DNS          `yaml:"dns" json:"dns"`
	Admin       Admin        `yaml:"admin" json:"admin"`
	Store       Store        `yaml:"store" json:"store"`
	DataDir     string       `yaml:"data_dir" json:"data_dir"`
	GeoIP       GeoIP        `yaml:"geoip" json:"geoip"`
	TrafficFile string       `yaml:"traffic_file" json:"traffic_file"`
	Log         Log          `yaml:"log" json:"log"`
	RRL         RRL          `yaml:"rrl" json:"rrl"`
	Cookies     Cookies      `yaml:"cookies" json:"cookies"`
	Health      NodeHealth   `yaml:"health" json:"health"`
	DNSSEC      NodeDNSSEC   `yaml:"dnssec" json:"dnssec"`
	// TSIGKeys authenticate zone transfers and NOTIFY; every node of a
	// cluster holds the same ones.
	TSIGKeys []TSIGKey `yaml:"tsig_keys" json:"tsig_keys"`
	Dnstap   Dnstap    `yaml:"dnstap" json:"dnstap"`
	// Resolver looks up the endpoints named by hostname.
	Resolver Resolver `yaml:"resolver" json:"resolver"`
}

// NodeIdentity names the node and the region it stands in.
type NodeIdentity struct {
	ID     string `yaml:"id" json:"id"`
	Region string `yaml:"region" json:"region"`
}

// DNS is the DNS listener's settings.
type DNS struct {
	// Listen addresses, each served on UDP and TCP.
	Listen []string `yaml:"listen" json:"listen"`
	// UDPListeners is the number of SO_REUSEPORT UDP sockets per address;
	// 0 means one per CPU.
	UDPListeners int `yaml:"udp_listeners" json:"udp_listeners"`
	// UDPBatchWait is how long a UDP socket's reader under load waits,
	// after a read of less than a batch, for more queries to gather; 0
	// never waits.
	UDPBatchWait Duration `yaml:"udp_batch_wait" json:"udp_batch_wait"`
	// TCPIdleTimeout closes a TCP connection idle this long (RFC 7766).
	TCPIdleTimeout Duration `yaml:"tcp_idle_timeout" json:"tcp_idle_timeout"`
	// TCPMaxConnections bounds open TCP connections per address; further
	// connections wait in the kernel's accept queue.
	TCPMaxConnections int `yaml:"tcp_max_connections" json:"tcp_max_connections"`
	// TCPMaxQueries bounds the queries served on one TCP connection.
	TCPMaxQueries int `yaml:"tcp_max_queries" json:"tcp_max_queries"`
	// TCPMaxConnectionsPerSource bounds the TCP connections one client
	// address holds open at once.
	TCPMaxConnectionsPerSource int `yaml:"tcp_max_connections_per_source" json:"tcp_max_connections_per_source"`
	// TCPBusyIdleTimeout replaces TCPIdleTimeout while the connection
	// table is more than half full.
	TCPBusyIdleTimeout Duration `yaml:"tcp_busy_idle_timeout" json:"tcp_busy_idle_timeout"`
	// NSID answers the name server identifier option (RFC 5001) with the
	// node id when a query asks for it.
	NSID bool `yaml:"nsid" json:"nsid"`
}

// Admin is the admin HTTP API's settings.
type Admin struct {
	Listen     string `yaml:"listen" json:"listen"`
	TokensFile string `yaml:"tokens_file" json:"tokens_file"`
	TLSCert    string `yaml:"tls_cert" json:"tls_cert"`
	TLSKey     string `yaml:"tls_key" json:"tls_key"`
	// MetricsToken puts /metrics behind a token (any role) when a tokens
	// file is set.
	MetricsToken bool `yaml:"metrics_token" json:"metrics_token"`
	// Peers are the admin API URLs of the other nodes: the only places
	// a request's token is ever forwarded to (explain across nodes).
	Peers []string `yaml:"peers" json:"peers"`
	// PeerCA verifies peers' HTTPS certificates; a member's advertised
	// https:// URL verified by it is trusted as a peer as well.
	PeerCA string      `yaml:"peer_ca" json:"peer_ca"`
	Limits AdminLimits `yaml:"limits" json:"limits"`
}

// Store says where the shared state lives.
type Store struct {
	// EtcdEndpoints are the URLs of an existing etcd cluster; empty means
	// an embedded single-member etcd in the data directory.
	EtcdEndpoints []string      `yaml:"etcd_endpoints" json:"etcd_endpoints"`
	Embedded      EmbeddedStore `yaml:"embedded" json:"embedded"`
	Prefix        string        `yaml:"prefix" json:"prefix"`
	TLS           StoreTLS      `yaml:"tls" json:"tls"`
	Username      string        `yaml:"username" json:"username"`
	PasswordFile  string        `yaml:"password_file" json:"password_file"`
	// LeaseTTL is how long a node's results outlive it in the store: a
	// node that goes dark with its region takes its votes along this soon.
	LeaseTTL Duration `yaml:"lease_ttl" json:"lease_ttl"`
}

// EmbeddedStore is where the embedded etcd listens.
type EmbeddedStore struct {
	ClientURL string         `yaml:"client_url" json:"client_url"`
	PeerURL   string         `yaml:"peer_url" json:"peer_url"`
	Upkeep    EmbeddedUpkeep `yaml:"upkeep" json:"upkeep"`
}

// StoreTLS holds the files for TLS to etcd.
type StoreTLS struct {
	CA   string `yaml:"ca" json:"ca"`
	Cert string `yaml:"cert" json:"cert"`
	Key  string `yaml:"key" json:"key"`
}

// GeoIP names the mmdb databases that locate clients.
type GeoIP struct {
	Database    string `yaml:"database" json:"database"`
	ASNDatabase string `yaml:"asn_database" json:"asn_database"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `yaml:"level" json:"level"`
	Format string `yaml:"format" json:"format"`
}

// DefaultUDPBatchWait is dns.udp_batch_wait's default: long enough for
// several queries to queue at the rates where reading a few at a time
// costs most (tens of thousands a second), short beside any client's
// round trip.
const DefaultUDPBatchWait = 100 * time.Microsecond

// maxUDPBatchWait bounds dns.udp_batch_wait: longer waits hold every
// answer of a loaded socket back by more than they save.
const maxUDPBatchWait = time.Millisecond

// DefaultNode returns the node settings used where the file is silent.
func DefaultNode() Node {
	host, _ := os.Hostname()
	return Node{
		Node: NodeIdentity{ID: host},
		DNS: DNS{
			Listen:            []string{"127.0.0.1:5300"},
			UDPBatchWait:      Duration(DefaultUDPBatchWait),
			TCPIdleTimeout:    Duration(10 * time.Second),
			TCPMaxConnections: 1000,
			TCPMaxQueries:     1000,
			// Enough for a resolver farm behind one address; a single
			// host holding more is attacking.
			TCPMaxConnectionsPerSource: 32,
			TCPBusyIdleTimeout:         Duration(time.Second),
			NSID:                       true,
		},
		Admin: Admin{Listen: "127.0.0.1:8300", Limits: defaultAdminLimits()},
		Store: Store{
			Embedded: EmbeddedStore{ClientURL: "http://127.0.0.1:2379", PeerURL: "http://127.0.0.1:2380", Upkeep: defaultEmbeddedUpkeep()},
			Prefix:   "/gtmd/",
			LeaseTTL: Duration(2 * time.Second),
		},
		DataDir:  "./data",
		Log:      Log{Level: "info", Format: "text"},
		RRL:      defaultRRL(),
		Cookies:  defaultCookies(),
		Health:   defaultNodeHealth(),
		Dnstap:   defaultDnstap(),
		Resolver: defaultResolver(),
	}
}

// LoadNode reads and validates a node file. An empty path gives the
// defaults.
func LoadNode(path string) (*Node, error) {
	n := DefaultNode()
	if path == "" {
		return &n, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading node file: %w", err)
	}
	return ParseNode(path, src)
}

// ParseNode decodes a node file over the defaults and validates it. file
// names the source in faults.
func ParseNode(file string, src []byte) (*Node, error) {
	n := DefaultNode()
	pos, faults, ok := decodeDocument(file, src, &n)
	list := &faultList{file: file, pos: pos, faults: faults}
	if !ok {
		return nil, list.err()
	}
	n.validate(list)
	if err := list.err(); err != nil {
		return nil, err
	}
	return &n, nil
}

// Validate checks settings changed after parsing, by flags for instance.
func (n *Node) Validate() error {
	list := &faultList{pos: positions{}}
	n.validate(list)
	return list.err()
}

func (n *Node) validate(l *faultList) {
	if n.Node.ID == "" {
		l.addf("node.id", "must not be empty")
	} else if strings.ContainsAny(n.Node.ID, "/ \t\n") {
		l.addf("node.id", "%q must not contain '/' or white space", n.Node.ID)
	}
	for i, a := range n.DNS.Listen {
		if _, err := netip.ParseAddrPort(a); err != nil {
			l.addf(fmt.Sprintf("dns.listen[%d]", i), "%q is not an IP:port address", a)
		}
	}
	if n.DNS.UDPListeners < 0 {
		l.addf("dns.udp_listeners", "must not be negative")
	}
	if n.DNS.UDPBatchWait < 0 || n.DNS.UDPBatchWait.Std() > maxUDPBatchWait {
		l.addf("dns.udp_batch_wait", "%s must be between 0s and %s", n.DNS.UDPBatchWait.Std(), maxUDPBatchWait)
	}
	if n.DNS.TCPIdleTimeout <= 0 {
		l.addf("dns.tcp_idle_timeout", "must be positive")
	}
	if n.DNS.TCPMaxConnections <= 0 {
		l.addf("dns.tcp_max_connections", "must be positive")
	}
	if n.DNS.TCPMaxQueries <= 0 {
		l.addf("dns.tcp_max_queries", "must be positive")
	}
	if n.Admin.Listen != "" {
		if host, _, err := net.SplitHostPort(n.Admin.Listen); err != nil {
			l.addf("admin.listen", "%q is not a host:port address", n.Admin.Listen)
		} else if n.Admin.TokensFile == "" && !isLoopback(host) {
			l.addf("admin.listen", "%q is not a loopback address; without admin.tokens_file the admin API may listen on loopback only", n.Admin.Listen)
		}
	}
	if (n.Admin.TLSCert == "") != (n.Admin.TLSKey == "") {
		l.addf("admin.tls_cert", "tls_cert and tls_key go together")
	}
	for i, e := range n.Store.EtcdEndpoints {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.addf(fmt.Sprintf("store.etcd_endpoints[%d]", i), "%q is not an http:// or https:// URL", e)
		}
	}
	// A list, not a map, so faults without a place keep one order.
	for _, f := range []struct{ field, v string }{{"store.embedded.client_url", n.Store.Embedded.ClientURL}, {"store.embedded.peer_url", n.Store.Embedded.PeerURL}} {
		if u, err := url.Parse(f.v); err != nil || u.Scheme != "http" || u.Host == "" {
			l.addf(f.field, "%q is not an http:// URL", f.v)
		}
	}
	if !strings.HasPrefix(n.Store.Prefix, "/") || !strings.HasSuffix(n.Store.Prefix, "/") {
		l.addf("store.prefix", "%q must start and end with '/'", n.Store.Prefix)
	}
	if n.Store.LeaseTTL < Duration(time.Second) || n.Store.LeaseTTL > Duration(time.Minute) {
		l.addf("store.lease_ttl", "%v must be between 1s and 1m", n.Store.LeaseTTL.Std())
	}
	if (n.Store.TLS.Cert == "") != (n.Store.TLS.Key == "") {
		l.addf("store.tls.cert", "cert and key go together")
	}
	if n.DataDir == "" {
		l.addf("data_dir", "must not be empty")
	}
	if n.GeoIP.ASNDatabase != "" && n.GeoIP.Database == "" {
		l.addf("geoip.asn_database", "needs geoip.database as well")
	}
	switch n.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		l.addf("log.level", "%q is not one of debug, info, warn, error", n.Log.Level)
	}
	switch n.Log.Format {
	case "text", "json":
	default:
		l.addf("log.format", "%q is not one of text, json", n.Log.Format)
	}
	n.validateHardening(l)
	n.validateHealth(l)
	n.validateTSIG(l)
	n.validateDnstap(l)
	n.validateResolver(l)
}

// ResolvePaths makes the node file's relative paths relative to dir, the
// node file's directory, so a node runs the same from any working
// directory. Flags given on the command line are taken as they are.
func (n *Node) ResolvePaths(dir string) {
	for _, p := range n.Paths() {
		if *p.Path != "" && !filepath.IsAbs(*p.Path) {
			*p.Path = filepath.Join(dir, *p.Path)
		}
	}
}

// NodePath is one path of a node file.
type NodePath struct {
	// Field is its key, dotted (geoip.database).
	Field string
	Path  *string
	// ReadAtStart says that gtmd serve reads the file as it starts and
	// stops when it cannot; the others it makes, or reads later.
	ReadAtStart bool
}

// Paths are the node file's paths, each pointing into n.
func (n *Node) Paths() []NodePath {
	return []NodePath{
		{"data_dir", &n.DataDir, false},
		{"traffic_file", &n.TrafficFile, false},
		{"geoip.database", &n.GeoIP.Database, true},
		{"geoip.asn_database", &n.GeoIP.ASNDatabase, true},
		{"admin.tokens_file", &n.Admin.TokensFile, true},
		{"admin.tls_cert", &n.Admin.TLSCert, true},
		{"admin.tls_key", &n.Admin.TLSKey, true},
		{"admin.peer_ca", &n.Admin.PeerCA, true},
		{"store.tls.ca", &n.Store.TLS.CA, true},
		{"store.tls.cert", &n.Store.TLS.Cert, true},
		{"store.tls.key", &n.Store.TLS.Key, true},
		{"store.password_file", &n.Store.PasswordFile, true},
		{"dnssec.key_encryption_key_file", &n.DNSSEC.KeyEncryptionKeyFile, false},
		{"dnstap.file", &n.Dnstap.File, false},
		{"dnstap.unix", &n.Dnstap.Unix, false},
	}
}

// isLoopback reports whether host, from a host:port address, can only be
// reached from this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
