package config

import (
	"errors"
	"os"
	"reflect"
	"testing"
	"time"
)

func TestNodeDefaults(t *testing.T) {
	host, _ := os.Hostname()
	want := Node{
		Node: NodeIdentity{ID: host},
		DNS: DNS{
			Listen:            []string{"127.0.0.1:5300"},
			UDPBatchWait:      Duration(100 * time.Microsecond),
			TCPIdleTimeout:    Duration(10 * time.Second),
			TCPMaxConnections: 1000,
			TCPMaxQueries:     1000,

			TCPMaxConnectionsPerSource: 32,
			TCPBusyIdleTimeout:         Duration(time.Second),
			NSID:                       true,
		},
		Admin:    Admin{Listen: "127.0.0.1:8300", Limits: AdminLimits{ReadHeaderTimeout: Duration(5 * time.Second), ReadTimeout: Duration(30 * time.Second), WriteTimeout: Duration(time.Minute), IdleTimeout: Duration(time.Minute), MaxConnections: 256, MaxRequestsPerToken: 16, MaxEventStreams: 32}},
		Store:    Store{Embedded: EmbeddedStore{ClientURL: "http://127.0.0.1:2379", PeerURL: "http://127.0.0.1:2380", Upkeep: EmbeddedUpkeep{KeepRevisions: 10000, DefragInterval: Duration(time.Hour), QuotaBytes: 2 << 30}}, Prefix: "/gtmd/", LeaseTTL: Duration(2 * time.Second)},
		DataDir:  "./data",
		Log:      Log{Level: "info", Format: "text"},
		RRL:      RRL{ResponsesPerSecond: 200, Slip: 2, IPv4Prefix: 24, IPv6Prefix: 56, TableSize: 65536},
		Cookies:  Cookies{Enabled: true, SecretRotation: Duration(24 * time.Hour)},
		Health:   NodeHealth{MaxConcurrentProbes: 512},
		Dnstap:   Dnstap{Sample: 1},
		Resolver: Resolver{MinTTL: Duration(5 * time.Second), MaxTTL: Duration(time.Hour), Timeout: Duration(2 * time.Second)},
	}
	if got := DefaultNode(); !reflect.DeepEqual(got, want) {
		diffJSON(t, got, want)
	}
	if err := new(DefaultNode()).Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
	for _, tc := range []struct{ name, src string }{
		{"empty file", ""},
		{"comments only", "# nothing set\n"},
		{"empty sections", "node: {}\ndns: {}\nstore: {}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNode("gtmd.yaml", []byte(tc.src))
			if err != nil {
				t.Fatalf("ParseNode: %v", err)
			}
			if !reflect.DeepEqual(*n, want) {
				diffJSON(t, *n, want)
			}
		})
	}
	n, err := LoadNode("")
	if err != nil || !reflect.DeepEqual(*n, want) {
		t.Errorf("LoadNode(\"\") = %+v, %v; want the defaults", n, err)
	}
}

func TestLoadNodeFull(t *testing.T) {
	n, err := LoadNode("testdata/node_full.yaml")
	if err != nil {
		t.Fatalf("LoadNode: %v", err)
	}
	want := &Node{
		Node: NodeIdentity{ID: "us-1", Region: "us-east"},
		DNS: DNS{
			// The file's list replaces the default one, not appends to it.
			Listen:            []string{"[::1]:5300", "127.0.0.1:5300"},
			UDPListeners:      4,
			UDPBatchWait:      Duration(250 * time.Microsecond),
			TCPIdleTimeout:    Duration(30 * time.Second),
			TCPMaxConnections: 200,
			TCPMaxQueries:     100,

			TCPMaxConnectionsPerSource: 8,
			TCPBusyIdleTimeout:         Duration(2 * time.Second),
			NSID:                       false,
		},
		Admin: Admin{Listen: "0.0.0.0:8300", TokensFile: "/etc/gtmd/tokens", TLSCert: "/etc/gtmd/admin.crt", TLSKey: "/etc/gtmd/admin.key",
			MetricsToken: true, Peers: []string{"https://eu-1.example.net:8300", "https://ap-1.example.net:8300"}, PeerCA: "/etc/gtmd/ca.pem",
			Limits: AdminLimits{ReadHeaderTimeout: Duration(2 * time.Second), ReadTimeout: Duration(10 * time.Second), WriteTimeout: Duration(20 * time.Second), IdleTimeout: Duration(30 * time.Second), MaxConnections: 64, MaxRequestsPerToken: 4, MaxEventStreams: 8}},
		Store: Store{
			EtcdEndpoints: []string{"https://10.0.0.1:2379", "https://10.0.0.2:2379"},
			Embedded:      EmbeddedStore{ClientURL: "http://127.0.0.1:12379", PeerURL: "http://127.0.0.1:12380", Upkeep: EmbeddedUpkeep{KeepRevisions: 500, DefragInterval: Duration(10 * time.Minute), QuotaBytes: 1 << 30}},
			Prefix:        "/gtmd-test/",
			TLS:           StoreTLS{CA: "/etc/gtmd/ca.pem", Cert: "/etc/gtmd/etcd.crt", Key: "/etc/gtmd/etcd.key"},
			Username:      "gtmd",
			PasswordFile:  "/etc/gtmd/etcd.password",
			LeaseTTL:      Duration(5 * time.Second),
		},
		DataDir:     "/var/lib/gtmd",
		GeoIP:       GeoIP{Database: "/var/lib/gtmd/GeoLite2-City.mmdb", ASNDatabase: "/var/lib/gtmd/GeoLite2-ASN.mmdb"},
		TrafficFile: "traffic.yaml",
		Log:         Log{Level: "debug", Format: "json"},
		RRL:         RRL{ResponsesPerSecond: 50, Slip: 3, IPv4Prefix: 28, IPv6Prefix: 64, TableSize: 4096},
		Cookies:     Cookies{Enabled: true, Require: true, SecretRotation: Duration(6 * time.Hour)},
		Health:      NodeHealth{MaxConcurrentProbes: 512},
		DNSSEC:      NodeDNSSEC{KeyEncryptionKeyFile: "dnssec.kek", UnsignedFallback: true},
		Dnstap:      Dnstap{Unix: "/run/gtmd/dnstap.sock", Sample: 0.25, Identity: "us-1-tap", Version: "test"},
		Resolver:    Resolver{Servers: []string{"10.0.0.53:53", "[2001:db8::53]:53"}, MinTTL: Duration(10 * time.Second), MaxTTL: Duration(10 * time.Minute), Timeout: Duration(time.Second)},
	}
	if !reflect.DeepEqual(n, want) {
		diffJSON(t, n, want)
	}
}

func TestLoadNodeMissingFile(t *testing.T) {
	_, err := LoadNode("testdata/no-such-node.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestParseNodeFaults(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown key", "nodes: {id: a}\n",
			`n.yaml:1:1: nodes: unknown field "nodes"`},
		{"unknown nested key", "store:\n  embedded: {client: x}\n",
			`n.yaml:2:14: store.embedded.client: unknown field "client"`},
		{"wrong type", "dns: {tcp_max_queries: many}\n",
			`n.yaml:1:24: dns.tcp_max_queries: must be a whole number, not "many"`},
		{"list where a string belongs", "admin: {listen: [127.0.0.1:8300]}\n",
			`n.yaml:1:17: admin.listen: must be a string, not a list`},
		{"bad duration", "dns: {tcp_idle_timeout: 10}\n",
			`n.yaml:1:25: dns.tcp_idle_timeout: invalid duration "10" (want a number with a unit, like 5s or 500ms)`},
		{"syntax error", "dns:\n  listen: [127.0.0.1:53\n",
			`n.yaml:2: invalid YAML: did not find expected ',' or ']'`},
		{"key set twice", "log: {level: info}\nlog: {level: debug}\n",
			`n.yaml:2:1: log: is set twice; first at line 1`},
		{"empty node id", "node: {id: \"\"}\n",
			`n.yaml:1:12: node.id: must not be empty`},
		{"node id with a slash", "node: {id: us/1}\n",
			`n.yaml:1:12: node.id: "us/1" must not contain '/' or white space`},
		{"dns listen not IP:port", "dns:\n  listen: [\"localhost:53\", \"127.0.0.1\", \":53\", \"[::1]:53\"]\n",
			`n.yaml:2:12: dns.listen[0]: "localhost:53" is not an IP:port address
n.yaml:2:28: dns.listen[1]: "127.0.0.1" is not an IP:port address
n.yaml:2:41: dns.listen[2]: ":53" is not an IP:port address`},
		{"dns limits", "dns: {udp_listeners: -1, tcp_idle_timeout: 0s, tcp_max_connections: 0, tcp_max_queries: -1}\n",
			`n.yaml:1:22: dns.udp_listeners: must not be negative
n.yaml:1:44: dns.tcp_idle_timeout: must be positive
n.yaml:1:69: dns.tcp_max_connections: must be positive
n.yaml:1:89: dns.tcp_max_queries: must be positive`},
		{"udp batch wait too long", "dns: {udp_batch_wait: 2ms}\n",
			`n.yaml:1:23: dns.udp_batch_wait: 2ms must be between 0s and 1ms`},
		{"udp batch wait negative", "dns: {udp_batch_wait: -1us}\n",
			`n.yaml:1:23: dns.udp_batch_wait: -1µs must be between 0s and 1ms`},
		{"udp batch wait off", "dns: {udp_batch_wait: 0s}\n", ""},
		{"admin listen not host:port", "admin: {listen: \"127.0.0.1\"}\n",
			`n.yaml:1:17: admin.listen: "127.0.0.1" is not a host:port address`},
		{"admin on every interface without tokens", "admin: {listen: \":8300\"}\n",
			`n.yaml:1:17: admin.listen: ":8300" is not a loopback address; without admin.tokens_file the admin API may listen on loopback only`},
		{"admin on a public address without tokens", "admin: {listen: \"192.0.2.1:8300\"}\n",
			`n.yaml:1:17: admin.listen: "192.0.2.1:8300" is not a loopback address; without admin.tokens_file the admin API may listen on loopback only`},
		{"admin on loopback without tokens", "admin: {listen: \"[::1]:8300\"}\n", ""},
		{"admin on localhost without tokens", "admin: {listen: \"localhost:8300\"}\n", ""},
		{"admin anywhere with tokens", "admin: {listen: \":8300\", tokens_file: tokens}\n", ""},
		{"admin switched off", "admin: {listen: \"\"}\n", ""},
		{"admin cert without key", "admin: {tls_cert: a.crt}\n",
			`n.yaml:1:19: admin.tls_cert: tls_cert and tls_key go together`},
		{"admin key without cert", "admin: {tls_key: a.key}\n",
			`n.yaml:1:8: admin.tls_cert: tls_cert and tls_key go together`},
		{"etcd endpoints not URLs", "store: {etcd_endpoints: [\"10.0.0.1:2379\", \"unix:///run/etcd\", \"http://\"]}\n",
			`n.yaml:1:26: store.etcd_endpoints[0]: "10.0.0.1:2379" is not an http:// or https:// URL
n.yaml:1:43: store.etcd_endpoints[1]: "unix:///run/etcd" is not an http:// or https:// URL
n.yaml:1:63: store.etcd_endpoints[2]: "http://" is not an http:// or https:// URL`},
		{"embedded URLs", "store:\n  embedded: {client_url: \"https://127.0.0.1:2379\", peer_url: \"\"}\n",
			`n.yaml:2:26: store.embedded.client_url: "https://127.0.0.1:2379" is not an http:// URL
n.yaml:2:62: store.embedded.peer_url: "" is not an http:// URL`},
		{"prefix without slashes", "store: {prefix: gtmd}\n",
			`n.yaml:1:17: store.prefix: "gtmd" must start and end with '/'`},
		{"lease TTL too short", "store: {lease_ttl: 500ms}\n",
			`n.yaml:1:20: store.lease_ttl: 500ms must be between 1s and 1m`},
		{"etcd cert without key", "store: {tls: {cert: c.pem}}\n",
			`n.yaml:1:21: store.tls.cert: cert and key go together`},
		{"empty data_dir", "data_dir: \"\"\n",
			`n.yaml:1:11: data_dir: must not be empty`},
		{"ASN database alone", "geoip: {asn_database: asn.mmdb}\n",
			`n.yaml:1:23: geoip.asn_database: needs geoip.database as well`},
		{"probe ceiling", "health: {max_concurrent_probes: 0}\n",
			`n.yaml:1:33: health.max_concurrent_probes: 0 must be between 1 and 65536`},
		{"probe ceiling too high", "health:\n  max_concurrent_probes: 100000\n",
			`n.yaml:2:26: health.max_concurrent_probes: 100000 must be between 1 and 65536`},
		{"probe ceiling of one", "health: {max_concurrent_probes: 1}\n", ""},
		{"tcp limits per source", "dns: {tcp_max_connections_per_source: 0, tcp_idle_timeout: 5s, tcp_busy_idle_timeout: 6s}\n",
			`n.yaml:1:39: dns.tcp_max_connections_per_source: must be positive
n.yaml:1:87: dns.tcp_busy_idle_timeout: 6s must be positive and at most dns.tcp_idle_timeout`},
		{"rrl off", "rrl: {responses_per_second: 0}\n", ""},
		{"rrl out of range", "rrl: {responses_per_second: -1, slip: 11, ipv4_prefix: 33, ipv6_prefix: 8, table_size: 10}\n",
			`n.yaml:1:29: rrl.responses_per_second: must not be negative (0 turns rate limiting off)
n.yaml:1:39: rrl.slip: 11 must be between 0 and 10
n.yaml:1:56: rrl.ipv4_prefix: 33 must be between 8 and 32
n.yaml:1:73: rrl.ipv6_prefix: 8 must be between 16 and 128
n.yaml:1:88: rrl.table_size: 10 must be between 1024 and 16777216`},
		{"cookies required while off", "cookies: {enabled: false, require: true, secret_rotation: 10s}\n",
			`n.yaml:1:36: cookies.require: needs cookies.enabled
n.yaml:1:59: cookies.secret_rotation: 10s must be at least 1m`},
		{"admin limits", "admin:\n  limits: {read_timeout: 0s, max_connections: 0, max_event_streams: -1}\n  peers: [\"eu-1:8300\", \"https://eu-1:8300/v1\"]\n",
			`n.yaml:2:26: admin.limits.read_timeout: must be positive
n.yaml:2:47: admin.limits.max_connections: must be positive
n.yaml:2:69: admin.limits.max_event_streams: must be positive
n.yaml:3:11: admin.peers[0]: "eu-1:8300" is not an http:// or https:// URL of a node's admin API
n.yaml:3:24: admin.peers[1]: "https://eu-1:8300/v1" is not an http:// or https:// URL of a node's admin API`},
		{"embedded upkeep", "store:\n  embedded: {upkeep: {keep_revisions: 10, defrag_interval: 1s, quota_bytes: 1024}}\n",
			`n.yaml:2:39: store.embedded.upkeep.keep_revisions: 10 must be at least 100
n.yaml:2:60: store.embedded.upkeep.defrag_interval: 1s must be at least 1m
n.yaml:2:77: store.embedded.upkeep.quota_bytes: 1024 must be between 64 MiB and 8 GiB`},
		{"resolver servers", "resolver: {servers: [\"127.0.0.1:5353\", \"[::1]:53\"], min_ttl: 1s, max_ttl: 10m, timeout: 500ms}\n", ""},
		{"resolver server without a port", "resolver: {servers: [192.0.2.53, \"ns.example.net:53\"]}\n",
			`n.yaml:1:22: resolver.servers[0]: "192.0.2.53" is not an IP:port address (a name server is named by its address, 192.0.2.53:53 or [2001:db8::53]:53)
n.yaml:1:34: resolver.servers[1]: "ns.example.net:53" is not an IP:port address (a name server is named by its address, 192.0.2.53:53 or [2001:db8::53]:53)`},
		{"resolver ttl bounds crossed", "resolver: {min_ttl: 1m, max_ttl: 30s, timeout: 0s}\n",
			`n.yaml:1:34: resolver.max_ttl: 30s must be at least min_ttl (1m0s)
n.yaml:1:48: resolver.timeout: 0s must be more than 0`},
		{"dnstap to a file", "dnstap: {file: /var/log/gtmd.dnstap}\n", ""},
		{"dnstap to tcp, sampled", "dnstap: {tcp: \"127.0.0.1:6000\", sample: 0.5, identity: a, version: b}\n", ""},
		{"dnstap to two places", "dnstap:\n  file: q.dnstap\n  unix: /run/q.sock\n",
			`n.yaml:2:3: dnstap: set one of file, unix and tcp, not 2`},
		{"dnstap without an output", "dnstap: {sample: 0.5}\n",
			`n.yaml:1:9: dnstap: needs one of file, unix or tcp to write to`},
		{"dnstap tcp not IP:port", "dnstap: {tcp: \"collector:6000\"}\n",
			`n.yaml:1:15: dnstap.tcp: "collector:6000" is not an IP:port address`},
		{"dnstap sample out of range", "dnstap: {file: q.dnstap, sample: 0}\n",
			`n.yaml:1:34: dnstap.sample: 0 must be more than 0 and at most 1`},
		{"dnstap sample above one", "dnstap: {unix: /run/q.sock, sample: 1.5}\n",
			`n.yaml:1:37: dnstap.sample: 1.5 must be more than 0 and at most 1`},
		{"log level and format", "log: {level: trace, format: logfmt}\n",
			`n.yaml:1:14: log.level: "trace" is not one of debug, info, warn, error
n.yaml:1:29: log.format: "logfmt" is not one of text, json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNode("n.yaml", []byte(tc.src))
			if got := errText(err); got != tc.want {
				t.Errorf("faults differ\n got:\n%s\nwant:\n%s", got, tc.want)
			}
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Errorf("error %T is not a *ValidationError", err)
				}
				if n != nil {
					t.Error("a node file came back with its faults")
				}
			}
		})
	}
}

// TestNodeValidateAfterFlags mimics flags overriding the file: the result
// is checked again, and its faults name fields but have no place.
func TestNodeValidateAfterFlags(t *testing.T) {
	n, err := LoadNode("testdata/node_full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// --node-id, --dns-listen, --admin-listen, --etcd, --data-dir
	n.Node.ID = "eu-1"
	n.DNS.Listen = []string{"0.0.0.0:53"}
	n.Admin.Listen = "127.0.0.1:9300"
	n.Store.EtcdEndpoints = []string{"http://10.0.0.9:2379"}
	n.DataDir = "/srv/gtmd"
	if err := n.Validate(); err != nil {
		t.Fatalf("good flags: %v", err)
	}

	n.Node.ID = ""
	n.DNS.Listen = []string{"0.0.0.0"}
	n.Admin.TokensFile = ""
	n.Admin.Listen = "0.0.0.0:8300"
	n.Store.Embedded = EmbeddedStore{}
	n.Store.EtcdEndpoints = []string{"10.0.0.9"}
	n.DataDir = ""
	want := `node.id: must not be empty
dns.listen[0]: "0.0.0.0" is not an IP:port address
admin.listen: "0.0.0.0:8300" is not a loopback address; without admin.tokens_file the admin API may listen on loopback only
store.etcd_endpoints[0]: "10.0.0.9" is not an http:// or https:// URL
store.embedded.client_url: "" is not an http:// URL
store.embedded.peer_url: "" is not an http:// URL
data_dir: must not be empty`
	// Several runs, as the order must not depend on map iteration.
	for range 20 {
		if got := errText(n.Validate()); got != want {
			t.Fatalf("faults differ\n got:\n%s\nwant:\n%s", got, want)
		}
	}
}

func TestFaultError(t *testing.T) {
	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{File: "a.yaml", Line: 3, Column: 7, Field: "zones[0].name", Message: "is required"}, "a.yaml:3:7: zones[0].name: is required"},
		{Fault{File: "a.yaml", Line: 3, Message: "invalid YAML: x"}, "a.yaml:3: invalid YAML: x"},
		{Fault{File: "a.yaml", Field: "zones", Message: "needs at least one zone"}, "a.yaml: zones: needs at least one zone"},
		{Fault{Field: "node.id", Message: "must not be empty"}, "node.id: must not be empty"},
		{Fault{Line: 2, Column: 1, Message: "m"}, "2:1: m"},
		{Fault{Message: "m"}, "m"},
	} {
		if got := tc.f.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestNodeResolvePaths(t *testing.T) {
	n, err := LoadNode("testdata/node_full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n.DataDir = "data"
	n.Admin.TLSKey = ""
	n.ResolvePaths("/etc/gtmd")
	for _, tc := range []struct{ name, got, want string }{
		{"data_dir", n.DataDir, "/etc/gtmd/data"},
		{"traffic_file", n.TrafficFile, "/etc/gtmd/traffic.yaml"},
		{"admin.tokens_file (absolute)", n.Admin.TokensFile, "/etc/gtmd/tokens"},
		{"admin.tls_key (empty)", n.Admin.TLSKey, ""},
		{"geoip.database (absolute)", n.GeoIP.Database, "/var/lib/gtmd/GeoLite2-City.mmdb"},
		{"dnssec.key_encryption_key_file", n.DNSSEC.KeyEncryptionKeyFile, "/etc/gtmd/dnssec.kek"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestNodeWithoutListeners: an empty dns.listen and an admin.listen of
// "" are valid and bind nothing, for a program that embeds a node and
// serves its handlers itself.
func TestNodeWithoutListeners(t *testing.T) {
	n, err := ParseNode("n.yaml", []byte("dns: {listen: []}\nadmin: {listen: \"\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.DNS.Listen) != 0 || n.Admin.Listen != "" {
		t.Errorf("dns.listen %q, admin.listen %q; want none", n.DNS.Listen, n.Admin.Listen)
	}
}
