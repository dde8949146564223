package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/geo/testdb"
	"github.com/gtmd/gtmd/internal/regiontarget"
)

// The zone and the timing the test's traffic document sets. The scenarios'
// bounds are computed from these.
const (
	zone     = "gtm.test."
	wwwName  = "www." + zone // latency policy
	apiName  = "api." + zone // failover policy
	ttl      = 5 * time.Second
	interval = time.Second
	fall     = 2
	rise     = 2
	// slack covers what the bounds do not name: a health result travelling
	// through etcd to the other nodes (well under a second), a
	// probe's own duration, and the poll step of the test's loops.
	slack = time.Second
	// resolverClock is how much longer than its TTL a resolver may keep an
	// answer: Unbound, like most resolvers, counts time in whole seconds,
	// so an answer cached late in one second lives until the end of the
	// second its TTL ends in.
	resolverClock = time.Second
	// step is how often the tests ask while they wait for a change.
	step = 50 * time.Millisecond
)

// The answers of each region (TEST-NET addresses, never reached).
const (
	usWWW, usWWW6 = "198.51.100.10", "2001:db8:1::10"
	euWWW, euWWW6 = "203.0.113.10", "2001:db8:2::10"
	usAPI, euAPI  = "198.51.100.20", "203.0.113.20"
	wildA         = "192.0.2.80" // the static wildcard *.wild
)

// env is everything the scenarios run against.
type env struct {
	dir  string
	gtmd string // the gtmd binary under test
	net  string // the first three octets of every address

	etcd       *proc
	etcdClient string // etcd's client URL
	nodes      []*node
	parent     *proc
	parentAddr string // IP:53
	resolver   *proc
	resAddr    string // Unbound, IP:53
	us, eu     *regiontarget.Target
	tm         *timings
	// signed is set for the DNSSEC suite (newSignedEnv): Knot signs the
	// root zone, Unbound validates, and the zone is signed when
	// signed.zone is set.
	signed *signedEnv
}

// node is one gtmd node and its name server identity.
type node struct {
	id, region string
	ns         string // its name server name in the zone
	ip         string
	dns        string // ip:53
	admin      string // admin API base URL
	proc       *proc
}

// Client subnets the scenarios ask from (RFC 7871), each a /24 of a test
// database network: Ashburn, US-VA, and Frankfurt, DE.
var (
	usClient = clientSubnet("us-va")
	deClient = clientSubnet("de")
)

func clientSubnet(name string) netip.Prefix {
	n, ok := testdb.ByName(name)
	if !ok {
		panic("geo/testdb has no network " + name)
	}
	return netip.PrefixFrom(n.Addr(), 24).Masked()
}

// newEnv checks that the machine can run the test and skips it, saying
// what is missing, when it cannot.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with a signed parent, and a signed zone when
// signed.zone is set (newSignedEnv); nil for neither.
func newEnvWith(t *testing.T, signed *signedEnv) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	need := map[string]string{"etcd": "etcd-server", "unbound": "unbound"}
	parentKind := os.Getenv("GTMD_E2E_PARENT") // knot (default) or nsd
	switch parentKind {
	case "", "knot":
		parentKind = "knot"
		need["knotd"] = "knot"
	case "nsd":
		need["nsd"] = "nsd"
	default:
		t.Fatalf("GTMD_E2E_PARENT=%q: want knot or nsd", parentKind)
	}
	tools, missing := lookTools(need)
	if len(missing) > 0 && parentKind == "knot" && os.Getenv("GTMD_E2E_PARENT") == "" {
		// No Knot: NSD serves the parent as well.
		if p, m := lookTools(map[string]string{"nsd": "nsd"}); len(m) == 0 {
			missing = slices.DeleteFunc(missing, func(s string) bool { return strings.HasPrefix(s, "knotd ") })
			parentKind, tools["nsd"] = "nsd", p["nsd"]
		}
	}
	if signed != nil {
		// Only Knot signs the parent; knotc reloads it with a new DS.
		if os.Getenv("GTMD_E2E_PARENT") == "nsd" {
			t.Skip("e2e: the signed suite's parent is Knot (NSD does not sign): unset GTMD_E2E_PARENT")
		}
		parentKind = "knot"
		var more []string
		signed.tools, more = lookTools(signedTools())
		missing = append(missing, more...)
		tools["knotd"] = signed.tools["knotd"]
	}
	if signed != nil && tools["unbound"] != "" {
		// The tampered-answer scenario runs a second Unbound.
		signed.tools["unbound"] = tools["unbound"]
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		missing = slices.Compact(missing)
		t.Skipf("e2e: missing tools: %s", strings.Join(missing, ", "))
	}
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root: the gtmd nodes, the parent and Unbound listen on port 53 of 127.0.0.x (a resolver finds name servers on port 53 only)")
	}
	e := &env{dir: t.TempDir(), net: "127.0.0", tm: &timings{}, signed: signed}
	if os.Getenv("GTMD_E2E_KEEP") != "" {
		// Configurations and logs stay for a look afterwards.
		dir, err := os.MkdirTemp("", "gtmd-e2e-")
		if err != nil {
			t.Fatal(err)
		}
		e.dir = dir
	}
	if v := os.Getenv("GTMD_E2E_NET"); v != "" {
		if a, err := netip.ParseAddr(v + ".1"); err != nil || !a.IsLoopback() || !a.Is4() {
			t.Fatalf("GTMD_E2E_NET=%q: want the first three octets of a loopback network, like 127.0.0", v)
		}
		e.net = v
	}
	ips := []string{e.ip(2), e.ip(3), e.ip(4), e.ip(10), e.ip(20)}
	if signed != nil {
		ips = append(ips, e.ip(6)) // the unsigned child's name server
	}
	for _, ip := range ips {
		if err := portFree(ip, 53); err != nil {
			t.Fatalf("e2e: %v (set GTMD_E2E_NET=127.x.y to use other loopback addresses)", err)
		}
	}
	e.gtmd = buildGtmd(t, e.dir)
	e.startEtcd(t, tools["etcd"])
	e.startTargets(t)
	if e.signed != nil && e.signed.zone {
		e.signed.kek = writeKEK(t, e.dir)
	}
	e.startNodes(t)
	if e.signed != nil && e.signed.zone {
		// The parent's first zone holds the zone's DS, as a registry's
		// does once the customer sent it.
		e.signed.ds = e.zoneDS(t)
	}
	if parentKind == "knot" {
		e.startKnot(t, tools["knotd"])
	} else {
		e.startNSD(t, tools["nsd"])
	}
	if e.signed != nil {
		e.signed.anchor = e.rootAnchor(t)
	}
	e.startUnbound(t, tools["unbound"])
	t.Logf("e2e: etcd %s; gtmd nodes %s, %s, %s; root zone on %s (%s); Unbound on %s; files in %s",
		e.etcdClient, e.nodes[0].dns, e.nodes[1].dns, e.nodes[2].dns, e.parentAddr, parentKind, e.resAddr, e.dir)
	return e
}

func (e *env) ip(host int) string { return e.net + "." + strconv.Itoa(host) }

// portFree says whether port is free on ip, for UDP and TCP.
func portFree(ip string, port int) error {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return fmt.Errorf("%s/udp is in use: %w", addr, err)
	}
	u.Close()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s/tcp is in use: %w", addr, err)
	}
	l.Close()
	return nil
}

// freePort returns a TCP port that was free on ip a moment ago.
func freePort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// buildGtmd builds the gtmd of this tree, or takes GTMD_E2E_BIN.
func buildGtmd(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("GTMD_E2E_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(dir, "gtmd")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/gtmd/gtmd/cmd/gtmd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building gtmd: %v\n%s", err, out)
	}
	return bin
}

// writeFile writes a file of the test, from a template when data is set.
func writeFile(t *testing.T, path, text string, data any) {
	t.Helper()
	if data != nil {
		var b strings.Builder
		if err := template.Must(template.New(filepath.Base(path)).Parse(text)).Execute(&b, data); err != nil {
			t.Fatal(err)
		}
		text = b.String()
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startEtcd runs Debian's etcd as a single member on free ports.
func (e *env) startEtcd(t *testing.T, bin string) {
	t.Helper()
	ip := e.ip(1)
	client := fmt.Sprintf("http://%s:%d", ip, freePort(t, ip))
	peer := fmt.Sprintf("http://%s:%d", ip, freePort(t, ip))
	e.etcdClient = client
	e.etcd = newProc(t, "etcd", filepath.Join(e.dir, "etcd.log"), bin,
		"--name", "e2e", "--data-dir", filepath.Join(e.dir, "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "e2e="+peer, "--log-level", "warn")
	e.restartEtcd(t)
}

// restartEtcd starts etcd (again, on the same data) and waits until it
// is healthy.
func (e *env) restartEtcd(t *testing.T) time.Duration {
	t.Helper()
	if err := e.etcd.start(); err != nil {
		t.Fatal(err)
	}
	took, err := poll(30*time.Second, step, func() error {
		if err := e.etcd.exitErr(); err != nil {
			return err
		}
		body, err := httpGet(e.etcdClient + "/health")
		if err != nil {
			return err
		}
		if !strings.Contains(body, `"health":"true"`) {
			return fmt.Errorf("etcd /health: %s", body)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("etcd did not become healthy: %v", err)
	}
	return took
}

// startTargets serves the two regions' health targets.
func (e *env) startTargets(t *testing.T) {
	t.Helper()
	var err error
	if e.us, err = regiontarget.Start(net.JoinHostPort(e.ip(1), "0")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.us.Down)
	if e.eu, err = regiontarget.Start(net.JoinHostPort(e.ip(1), "0")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.eu.Down)
}

// trafficDoc is the traffic document every node serves: the zone with
// its three name servers, a latency service and a failover service, and
// one HTTP check per region.
const trafficDoc = `# The e2e's traffic document, written by e2e/env_test.go.
zones:
  - name: {{.Zone}}
    ttl: {{.ZoneTTL}}
{{- if .DNSSEC}}
    dnssec: {enabled: true, propagation_delay: {{.Propagation}}, parent_ds_ttl: {{.ParentDSTTL}}}
{{- end}}
    soa: {mname: ns1.{{.Zone}}, rname: hostmaster.{{.Zone}}, refresh: 60, retry: 10, expire: 600, minimum: {{.TTL}}}
    ns: [ns1.{{.Zone}}, ns2.{{.Zone}}, ns3.{{.Zone}}]
    records:
{{- range .Nodes}}
      - {name: {{.NS}}, type: A, data: ["{{.IP}}"]}
{{- end}}
      - {name: "@", type: TXT, data: ["\"gtmd e2e\""]}
      - {name: "*.wild", type: A, ttl: {{.TTL}}, data: ["{{.Wild}}"]}
{{- if .Child}}
      - {name: unsigned, type: NS, data: ["ns.unsigned.{{.Zone}}"]}
      - {name: ns.unsigned, type: A, data: ["{{.Child}}"]}
{{- end}}
services:
  - name: www.{{.Zone}}
    policy: latency
    ttl: {{.TTL}}
    endpoints:
      - id: us-east
        location: {lat: 39.04, lon: -77.49}
        a: [{{.USWWW}}]
        aaaa: ["{{.USWWW6}}"]
        check: us-east-http
      - id: eu-west
        location: {lat: 53.34, lon: -6.26}
        a: [{{.EUWWW}}]
        aaaa: ["{{.EUWWW6}}"]
        check: eu-west-http
  - name: api.{{.Zone}}
    policy: failover
    ttl: {{.TTL}}
    endpoints:
      - {id: us-east, priority: 1, a: [{{.USAPI}}], check: us-east-http}
      - {id: eu-west, priority: 2, a: [{{.EUAPI}}], check: eu-west-http}
checks:
  - {name: us-east-http, type: http, url: "{{.USURL}}", expect_body: ok, interval: {{.Interval}}, timeout: 500ms, rise: {{.Rise}}, fall: {{.Fall}}}
  - {name: eu-west-http, type: http, url: "{{.EUURL}}", expect_body: ok, interval: {{.Interval}}, timeout: 500ms, rise: {{.Rise}}, fall: {{.Fall}}}
settings:
  health_quorum: 0.5
`

const nodeFile = `# gtmd node {{.ID}}, written by e2e/env_test.go.
node: {id: {{.ID}}, region: {{.Region}}}
dns: {listen: ["{{.DNS}}"], udp_listeners: 1}
admin: {listen: "{{.Admin}}", peers: [{{range $i, $p := .Peers}}{{if $i}}, {{end}}"{{$p}}"{{end}}]}
store: {etcd_endpoints: ["{{.Etcd}}"], prefix: /gtmd-e2e/}
data_dir: {{.Data}}
geoip: {database: {{.GeoIP}}}
traffic_file: {{.Traffic}}
log: {level: info, format: text}
{{- if .KEK}}
dnssec: {key_encryption_key_file: {{.KEK}}}
{{- end}}
`

// startNodes writes the GeoIP database, the traffic document and three
// node files, starts the nodes and waits until each serves the zone.
func (e *env) startNodes(t *testing.T) {
	t.Helper()
	city := filepath.Join(e.dir, "city.mmdb")
	if err := testdb.WriteCity(city); err != nil {
		t.Fatal(err)
	}
	e.nodes = []*node{
		{id: "us-east-1", region: "us-east", ns: "ns1", ip: e.ip(2)},
		{id: "us-east-2", region: "us-east", ns: "ns2", ip: e.ip(3)},
		{id: "eu-west-1", region: "eu-west", ns: "ns3", ip: e.ip(4)},
	}
	type nsData struct{ NS, IP string }
	var nss []nsData
	for _, n := range e.nodes {
		nss = append(nss, nsData{n.ns, n.ip})
	}
	traffic := filepath.Join(e.dir, "traffic.yaml")
	// The zone's own records live a minute; the signed suite gives them
	// the services' TTL, so a key rollover's waits (RFC 7583: the DNSKEY
	// TTL, the largest TTL of the zone) last seconds.
	zoneTTL, kek, child := 60, "", ""
	if e.signed != nil && e.signed.zone {
		zoneTTL, kek, child = int(ttl.Seconds()), e.signed.kek, e.ip(6)
	}
	writeFile(t, traffic, trafficDoc, map[string]any{
		"Zone": zone, "TTL": int(ttl.Seconds()), "Nodes": nss, "ZoneTTL": zoneTTL,
		"DNSSEC": kek != "", "Child": child, "Propagation": propagationDelay.String(), "ParentDSTTL": int(parentDSTTL.Seconds()),
		"USWWW": usWWW, "USWWW6": usWWW6, "EUWWW": euWWW, "EUWWW6": euWWW6, "USAPI": usAPI, "EUAPI": euAPI,
		"Wild": wildA, "USURL": healthURL(e.us), "EUURL": healthURL(e.eu), "Interval": interval.String(), "Rise": rise, "Fall": fall,
	})
	for _, n := range e.nodes {
		n.dns = net.JoinHostPort(n.ip, "53")
		n.admin = "http://" + net.JoinHostPort(n.ip, strconv.Itoa(freePort(t, n.ip)))
	}
	for _, n := range e.nodes {
		// explain --all-nodes asks the other nodes: they are its peers.
		var peers []string
		for _, o := range e.nodes {
			if o != n {
				peers = append(peers, o.admin)
			}
		}
		file := filepath.Join(e.dir, n.id+".yaml")
		writeFile(t, file, nodeFile, map[string]any{
			"ID": n.id, "Region": n.region, "DNS": n.dns, "Admin": strings.TrimPrefix(n.admin, "http://"), "Peers": peers, "Etcd": e.etcdClient,
			"Data": filepath.Join(e.dir, n.id), "GeoIP": city, "Traffic": traffic, "KEK": kek,
		})
		n.proc = newProc(t, n.id, filepath.Join(e.dir, n.id+".log"), e.gtmd, "serve", "--config", file)
		if err := n.proc.start(); err != nil {
			t.Fatal(err)
		}
	}
	if e.signed != nil && e.signed.zone {
		// Keys are made as the nodes start: what they answer meanwhile.
		e.watchFirstStart(t)
	}
	for _, n := range e.nodes {
		if _, err := e.waitNodeReady(n, 30*time.Second); err != nil {
			t.Fatalf("%s: %v", n.id, err)
		}
	}
}

// waitNodeReady waits until the node's /readyz says ready and it answers
// the zone's SOA authoritatively.
func (e *env) waitNodeReady(n *node, limit time.Duration) (time.Duration, error) {
	return poll(limit, step, func() error {
		if err := n.proc.exitErr(); err != nil {
			return err
		}
		if err := readyz(n, "ready"); err != nil {
			return err
		}
		r, _, err := exchange(n.dns, ask{name: zone, qtype: dns.TypeSOA}, time.Second)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 {
			return fmt.Errorf("%s SOA from %s: rcode %s, aa %v, %d answers", zone, n.dns, dns.RcodeToString[r.Rcode], r.Authoritative, len(r.Answer))
		}
		return nil
	})
}

// readyz wants the node's /readyz body to start with want ("ready" or
// "degraded").
func readyz(n *node, want string) error {
	body, err := httpGet(n.admin + "/readyz")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(body, want) {
		return fmt.Errorf("%s /readyz: %q, want %s", n.id, strings.TrimSpace(body), want)
	}
	return nil
}

// httpGet returns the body of a GET that answered 200.
func httpGet(url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}

// member is what the tests read of GET /v1/members.
type member struct {
	ID       string `json:"id"`
	Region   string `json:"region"`
	Revision int64  `json:"revision"`
}

// members asks a node for the cluster's live members.
func members(n *node) ([]member, error) {
	body, err := httpGet(n.admin + "/v1/members")
	if err != nil {
		return nil, err
	}
	var list struct {
		Members []member `json:"members"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		return nil, fmt.Errorf("%s /v1/members: %w", n.id, err)
	}
	return list.Members, nil
}

// The parent zone is the root zone: it delegates the zone to the three
// nodes with glue, as a registry's zone does for a customer's domain.
const rootZone = `; The root zone of the e2e, written by e2e/env_test.go.
$TTL 86400
.                     IN SOA a.root-servers.test. hostmaster.root-servers.test. {{.Serial}} 1800 900 604800 86400
.                     IN NS  a.root-servers.test.
a.root-servers.test.  IN A   {{.Parent}}
; The delegation of {{.Zone}} and its glue.
{{- range .Nodes}}
{{$.Zone}}  IN NS  {{.NS}}.{{$.Zone}}
{{- end}}
{{- range .Nodes}}
{{.NS}}.{{$.Zone}}  IN A  {{.IP}}
{{- end}}
{{- range .DS}}
{{.}}
{{- end}}
`

func (e *env) writeRootZone(t *testing.T, path string) {
	t.Helper()
	type nsData struct{ NS, IP string }
	var nss []nsData
	for _, n := range e.nodes {
		nss = append(nss, nsData{n.ns, n.ip})
	}
	serial, ds := 1, []string(nil)
	if e.signed != nil {
		// A reload with new DS records needs a higher serial.
		e.signed.serial += 100
		serial, ds = e.signed.serial, e.signed.ds
	}
	writeFile(t, path, rootZone, map[string]any{"Parent": e.ip(10), "Zone": zone, "Nodes": nss, "Serial": serial, "DS": ds})
}

const knotConf = `# Knot serving the e2e's root zone, written by e2e/env_test.go.
server:
    rundir: "{{.Dir}}"
    listen: {{.IP}}@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{{.Dir}}"
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: "{{.Dir}}"
    zonefile-sync: -1
    journal-content: none
{{- if .Signed}}
policy:
{{.Policy}}
{{- end}}
zone:
  - domain: "."
    file: "root.zone"
{{- if .Signed}}
    dnssec-signing: on
    dnssec-policy: e2e
{{- end}}
`

// startKnot serves the root zone with Knot.
func (e *env) startKnot(t *testing.T, bin string) {
	t.Helper()
	dir := filepath.Join(e.dir, "knot")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.writeRootZone(t, filepath.Join(dir, "root.zone"))
	writeFile(t, filepath.Join(dir, "knot.conf"), knotConf, map[string]any{"Dir": dir, "IP": e.ip(10), "Signed": e.signed != nil, "Policy": knotPolicy})
	e.parent = newProc(t, "knotd", filepath.Join(e.dir, "knotd.log"), bin, "-c", filepath.Join(dir, "knot.conf"))
	e.startParent(t)
}

const nsdConf = `# NSD serving the e2e's root zone, written by e2e/env_test.go.
server:
    ip-address: {{.IP}}@53
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{{.Dir}}"
    database: ""
    zonelistfile: "{{.Dir}}/zone.list"
    xfrdfile: "{{.Dir}}/xfrd.state"
    pidfile: "{{.Dir}}/nsd.pid"
    verbosity: 1
    # Debian's NSD limits the rate of answers per client by default; the
    # resolver is one client asking a lot.
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "."
    zonefile: "root.zone"
`

// startNSD serves the root zone with NSD.
func (e *env) startNSD(t *testing.T, bin string) {
	t.Helper()
	dir := filepath.Join(e.dir, "nsd")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.writeRootZone(t, filepath.Join(dir, "root.zone"))
	writeFile(t, filepath.Join(dir, "nsd.conf"), nsdConf, map[string]any{"Dir": dir, "IP": e.ip(10)})
	e.parent = newProc(t, "nsd", filepath.Join(e.dir, "nsd.log"), bin, "-d", "-c", filepath.Join(dir, "nsd.conf"))
	e.startParent(t)
}

// startParent starts the parent's server and waits for the delegation.
func (e *env) startParent(t *testing.T) {
	t.Helper()
	e.parentAddr = net.JoinHostPort(e.ip(10), "53")
	if err := e.parent.start(); err != nil {
		t.Fatal(err)
	}
	_, err := poll(20*time.Second, step, func() error {
		if err := e.parent.exitErr(); err != nil {
			return err
		}
		r, _, err := exchange(e.parentAddr, ask{name: "www." + zone, qtype: dns.TypeA}, time.Second)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || r.Authoritative || len(r.Ns) != len(e.nodes) || len(r.Extra) < len(e.nodes) {
			return fmt.Errorf("no referral to %s from %s yet:\n%v", zone, e.parentAddr, r)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", e.parent.name, err)
	}
}

const unboundConf = `# Unbound as the e2e's recursive resolver, written by e2e/env_test.go.
server:
    interface: {{.IP}}
    port: {{.Port}}
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{{.Dir}}"
    pidfile: "{{.Dir}}/unbound.pid"
    use-syslog: no
    logfile: ""
    log-time-ascii: yes
    verbosity: 1
    num-threads: 1
    so-reuseport: no
    # The root is the e2e's parent, on loopback.
    root-hints: "{{.Dir}}/root.hints"
    do-not-query-localhost: no
    # The test names are under test. (RFC 6761), which Unbound keeps local
    # by default.
    local-zone: "test." nodefault
{{- if .Anchor}}
    # Validation from the root's key, as a resolver's built-in anchor.
    module-config: "subnetcache validator iterator"
    trust-anchor-file: "{{.Dir}}/root.anchor"
    val-log-level: 2
{{- else}}
    # No DNSSEC: the test zones are unsigned and have no trust anchor.
    module-config: "subnetcache iterator"
{{- end}}
    # EDNS Client Subnet to the authoritative servers (all on loopback),
    # at most a /24 of the client, as public resolvers send it.
    send-client-subnet: 127.0.0.0/8
    max-client-subnet-ipv4: 24
    # Answers are cached for their TTL, no longer and no shorter.
    cache-min-ttl: 0
    prefetch: no
    serve-expired: no
remote-control:
    control-enable: no
{{- if .Forward}}
# Everything through one upstream (the signed suite's tampering proxy).
forward-zone:
    name: "."
    forward-addr: {{.Forward}}
{{- end}}
`

// unboundData is what unboundConf is written from, for an Unbound
// listening on ip:port in dir: with the root's trust anchor (written
// there) in the signed suite.
func (e *env) unboundData(t *testing.T, dir, ip string, port int) map[string]any {
	t.Helper()
	anchor := e.signed != nil
	if anchor {
		writeFile(t, filepath.Join(dir, "root.anchor"), e.signed.unboundAnchor(), nil)
	}
	return map[string]any{"Dir": dir, "IP": ip, "Port": port, "Anchor": anchor, "Forward": ""}
}

// startUnbound runs Unbound with root hints that point at the parent.
func (e *env) startUnbound(t *testing.T, bin string) {
	t.Helper()
	e.resolver, e.resAddr = e.runUnbound(t, bin, "unbound", e.ip(20), 53, "")
}

// runUnbound starts an Unbound named name (its directory and log) on
// ip:port, forwarding everything to forward when set, and waits until it
// answers the zone's SOA.
func (e *env) runUnbound(t *testing.T, bin, name, ip string, port int, forward string) (*proc, string) {
	t.Helper()
	dir := filepath.Join(e.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "root.hints"), ".  3600000  NS  a.root-servers.test.\na.root-servers.test.  3600000  A  "+e.ip(10)+"\n", nil)
	data := e.unboundData(t, dir, ip, port)
	data["Forward"] = forward
	writeFile(t, filepath.Join(dir, "unbound.conf"), unboundConf, data)
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	p := newProc(t, name, filepath.Join(e.dir, name+".log"), bin, "-d", "-c", filepath.Join(dir, "unbound.conf"))
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	_, err := poll(20*time.Second, step, func() error {
		if err := p.exitErr(); err != nil {
			return err
		}
		r, _, err := exchange(addr, ask{name: zone, qtype: dns.TypeSOA, rd: true}, time.Second)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
			return fmt.Errorf("%s SOA through %s: %s, %d answers", zone, addr, dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p, addr
}
