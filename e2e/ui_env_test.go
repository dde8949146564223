package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/geo/testdb"
	"github.com/gtmd/gtmd/internal/regiontarget"
	"github.com/gtmd/gtmd/pkg/admin"
)

// The status page's cluster: two nodes on random loopback ports (no
// resolver, no parent zone, no root), one etcd, a target per region.
const (
	uiZone     = "ui.test."
	uiWWW      = "www." + uiZone // latency policy, four regions
	uiAPI      = "api." + uiZone // failover, us-east then eu-west
	uiReadTok  = "viewer-token-e2e"
	uiWriteTok = "ops-token-e2e"
)

// uiRegion is one region of the status page's cluster: where it is, what
// www answers there, and its health target.
type uiRegion struct {
	ID       string
	Lat, Lon float64
	WWW      string
	API      string // "" when api has no endpoint there
	Priority int    // of api's endpoint
	URL      string
	target   *regiontarget.Target
}

// uiEnv is the cluster the browser test looks at.
type uiEnv struct {
	e        *env
	chromium string
	regions  []*uiRegion
	nodes    []*node
}

func (u *uiEnv) region(id string) *uiRegion {
	for _, r := range u.regions {
		if r.ID == id {
			return r
		}
	}
	panic("no region " + id)
}

// lookChromium finds Debian's chromium, or the browser GTMD_E2E_CHROMIUM
// names.
func lookChromium() (string, error) {
	if p := os.Getenv("GTMD_E2E_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium (apt-get install -y chromium)")
}

// newUIEnv starts the cluster, or skips the test when a tool is missing
// (fails, under CI=true, where every tool must be there).
func newUIEnv(t *testing.T) *uiEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	var missing []string
	chromium, err := lookChromium()
	if err != nil {
		missing = append(missing, err.Error())
	}
	tools, more := lookTools(map[string]string{"etcd": "etcd-server"})
	missing = append(missing, more...)
	if len(missing) > 0 {
		msg := "e2e: missing tools: " + strings.Join(missing, ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	u := &uiEnv{e: &env{dir: t.TempDir(), net: "127.0.0", tm: &timings{}}, chromium: chromium}
	u.e.gtmd = buildGtmd(t, u.e.dir)
	u.e.startEtcd(t, tools["etcd"])
	u.regions = []*uiRegion{
		{ID: "us-east", Lat: 39.04, Lon: -77.49, WWW: usWWW, API: usAPI, Priority: 1},
		{ID: "eu-west", Lat: 53.34, Lon: -6.26, WWW: euWWW, API: euAPI, Priority: 2},
		{ID: "ap-southeast", Lat: 1.29, Lon: 103.85, WWW: "192.0.2.30"},
		{ID: "sa-east", Lat: -23.55, Lon: -46.63, WWW: "192.0.2.40"},
	}
	for _, r := range u.regions {
		if r.target, err = regiontarget.Start(net.JoinHostPort(u.e.ip(1), "0")); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.target.Down)
		r.URL = healthURL(r.target)
	}
	u.startNodes(t)
	return u
}

const uiTrafficDoc = `# The status page e2e's traffic document, written by e2e/ui_env_test.go.
zones:
  - name: {{.Zone}}
    soa: {mname: ns1.{{.Zone}}, rname: hostmaster.{{.Zone}}}
    ns: [ns1.{{.Zone}}]
    records:
      - {name: ns1, type: A, data: ["127.0.0.1"]}
services:
  - name: www.{{.Zone}}
    policy: latency
    ttl: 5
    endpoints:
{{- range .Regions}}
      - {id: {{.ID}}, location: {lat: {{.Lat}}, lon: {{.Lon}}}, a: [{{.WWW}}], check: {{.ID}}-http}
{{- end}}
  - name: api.{{.Zone}}
    policy: failover
    ttl: 5
    endpoints:
{{- range .Regions}}{{if .API}}
      - {id: {{.ID}}, priority: {{.Priority}}, location: {lat: {{.Lat}}, lon: {{.Lon}}}, a: [{{.API}}], check: {{.ID}}-http}
{{- end}}{{end}}
checks:
{{- range .Regions}}
  - {name: {{.ID}}-http, type: http, url: "{{.URL}}", expect_body: ok, interval: {{$.Interval}}, timeout: 500ms, rise: {{$.Rise}}, fall: {{$.Fall}}}
{{- end}}
settings:
  health_quorum: 0.5
`

const uiNodeFile = `# gtmd node {{.ID}}, written by e2e/ui_env_test.go.
node: {id: {{.ID}}, region: {{.Region}}}
dns: {listen: ["{{.DNS}}"], udp_listeners: 1}
admin: {listen: "{{.Admin}}", tokens_file: {{.Tokens}}, peers: ["{{.Peer}}"]}
store: {etcd_endpoints: ["{{.Etcd}}"], prefix: /gtmd-ui/}
data_dir: {{.Data}}
geoip: {database: {{.GeoIP}}}
traffic_file: {{.Traffic}}
log: {level: info, format: text}
`

// startNodes writes the documents and starts two nodes, each with a free
// DNS port and admin port on 127.0.0.1, and waits until both are ready
// and see each other.
func (u *uiEnv) startNodes(t *testing.T) {
	t.Helper()
	dir := u.e.dir
	city := filepath.Join(dir, "city.mmdb")
	if err := testdb.WriteCity(city); err != nil {
		t.Fatal(err)
	}
	traffic := filepath.Join(dir, "ui-traffic.yaml")
	writeFile(t, traffic, uiTrafficDoc, map[string]any{
		"Zone": uiZone, "Regions": u.regions, "Interval": interval.String(), "Rise": rise, "Fall": fall,
	})
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("viewer read "+admin.HashToken(uiReadTok)+"\nops write "+admin.HashToken(uiWriteTok)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ip := u.e.ip(1)
	u.nodes = []*node{{id: "n1-us-east", region: "us-east", ip: ip}, {id: "n2-eu-west", region: "eu-west", ip: ip}}
	for _, n := range u.nodes {
		n.dns = net.JoinHostPort(ip, strconv.Itoa(freeDNSPort(t, ip)))
		n.admin = "http://" + net.JoinHostPort(ip, strconv.Itoa(freePort(t, ip)))
	}
	for i, n := range u.nodes {
		file := filepath.Join(dir, n.id+".yaml")
		writeFile(t, file, uiNodeFile, map[string]any{
			"ID": n.id, "Region": n.region, "DNS": n.dns, "Admin": strings.TrimPrefix(n.admin, "http://"), "Tokens": tokens,
			"Peer": u.nodes[1-i].admin, "Etcd": u.e.etcdClient, "Data": filepath.Join(dir, n.id), "GeoIP": city, "Traffic": traffic,
		})
		n.proc = newProc(t, n.id, filepath.Join(dir, n.id+".log"), u.e.gtmd, "serve", "--config", file)
		if err := n.proc.start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range u.nodes {
		_, err := poll(60*time.Second, step, func() error {
			if err := n.proc.exitErr(); err != nil {
				return err
			}
			if err := readyz(n, "ready"); err != nil {
				return err
			}
			ms, err := u.members(n)
			if err != nil {
				return err
			}
			if len(ms) != len(u.nodes) {
				return fmt.Errorf("%s sees %d members, want %d", n.id, len(ms), len(u.nodes))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", n.id, err)
		}
	}
}

// members reads /v1/members with the read token.
func (u *uiEnv) members(n *node) ([]member, error) {
	var list struct {
		Members []member `json:"members"`
	}
	err := u.getJSON(n.admin+"/v1/members", &list)
	return list.Members, err
}

// freeDNSPort returns a port that was free for UDP and TCP on ip a
// moment ago.
func freeDNSPort(t *testing.T, ip string) int {
	t.Helper()
	for range 20 {
		port := freePort(t, ip)
		if portFree(ip, port) == nil {
			return port
		}
	}
	t.Fatalf("no port free for UDP and TCP on %s", ip)
	return 0
}
