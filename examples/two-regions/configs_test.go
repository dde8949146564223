// Package tworegions holds only the test that keeps the two-regions
// example true: every file loads as gtmd loads it, and the files agree
// with each other and with the README.
package tworegions

import (
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gtmd/gtmd/geo/testdb"
	"github.com/gtmd/gtmd/pkg/config"
)

// nodeFiles are the example's node files.
var nodeFiles = []string{"us-east-1.yaml", "us-east-2.yaml", "eu-west-1.yaml"}

func loadTraffic(t *testing.T) *config.Traffic {
	t.Helper()
	tr, err := config.LoadTraffic("traffic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func loadNode(t *testing.T, file string) *config.Node {
	t.Helper()
	n, err := config.LoadNode(file)
	if err != nil {
		t.Fatal(err)
	}
	n.ResolvePaths(filepath.Dir(file))
	return n
}

// TestEveryFileLoads loads every YAML file of the example the way gtmd
// does, so none can drift from the configuration format unnoticed.
func TestEveryFileLoads(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	want := append([]string{"traffic.yaml"}, nodeFiles...)
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Fatalf("YAML files %v, want %v: a new file needs loading here", files, want)
	}
	loadTraffic(t)
	for _, f := range nodeFiles {
		n := loadNode(t, f)
		if _, err := os.Stat(n.TrafficFile); err != nil {
			t.Errorf("%s: traffic_file: %v", f, err)
		}
	}
}

// glue returns the zone's name servers and their addresses.
func glue(t *testing.T, tr *config.Traffic) (zone string, ns map[string]string) {
	t.Helper()
	if len(tr.Zones) != 1 {
		t.Fatalf("%d zones, want 1", len(tr.Zones))
	}
	z := tr.Zones[0]
	ns = map[string]string{}
	for _, name := range z.NS {
		for _, r := range z.Records {
			if r.Type == "A" && config.OwnerName(r.Name, z.Name) == name {
				ns[name] = r.Data[0]
			}
		}
		if ns[name] == "" {
			t.Errorf("name server %s has no A record in the zone", name)
		}
	}
	return z.Name, ns
}

// TestNodesAreTheNameServers checks that each node listens on the glue
// address of one name server, stands in a region the services know, and
// that all share one etcd.
func TestNodesAreTheNameServers(t *testing.T) {
	tr := loadTraffic(t)
	_, ns := glue(t, tr)
	regions := map[string]bool{}
	for _, s := range tr.Services {
		for _, e := range s.Endpoints {
			regions[e.ID] = true
		}
	}
	served := map[string]string{}
	var etcd []string
	for _, f := range nodeFiles {
		n := loadNode(t, f)
		if len(n.DNS.Listen) != 1 {
			t.Fatalf("%s: dns.listen %v, want one address", f, n.DNS.Listen)
		}
		ap := netip.MustParseAddrPort(n.DNS.Listen[0])
		if ap.Port() != 53 {
			t.Errorf("%s: dns.listen %s: resolvers ask port 53", f, ap)
		}
		served[ap.Addr().String()] = f
		if !regions[n.Node.Region] {
			t.Errorf("%s: region %q is no endpoint of the services", f, n.Node.Region)
		}
		if etcd == nil {
			etcd = n.Store.EtcdEndpoints
		} else if !slices.Equal(etcd, n.Store.EtcdEndpoints) {
			t.Errorf("%s: etcd %v, others %v: the nodes must share one etcd", f, n.Store.EtcdEndpoints, etcd)
		}
	}
	for name, addr := range ns {
		if served[addr] == "" {
			t.Errorf("no node listens on %s, the glue address of %s", addr, name)
		}
	}
	if len(served) != len(ns) {
		t.Errorf("%d nodes for %d name servers", len(served), len(ns))
	}
}

// TestReadmeDelegation checks that the parent records the README tells the
// operator to add are exactly the zone's NS and glue.
func TestReadmeDelegation(t *testing.T) {
	tr := loadTraffic(t)
	zone, ns := glue(t, tr)
	want := []string{}
	for name, addr := range ns {
		want = append(want, zone+" NS "+name, name+" A "+addr)
	}
	slices.Sort(want)

	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.SplitSeq(string(b), "\n") {
		// Zone-file lines: owner TTL IN TYPE data.
		f := strings.Fields(line)
		if len(f) == 5 && f[2] == "IN" && (f[3] == "NS" || f[3] == "A") && strings.HasSuffix(f[0], zone) {
			got = append(got, f[0]+" "+f[3]+" "+f[4])
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("README's parent records:\n%s\nwant (from traffic.yaml):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// compose is what the test reads of docker-compose.yml.
type compose struct {
	Services map[string]struct {
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Networks    map[string]struct {
			IPv4 string `yaml:"ipv4_address"`
		} `yaml:"networks"`
	} `yaml:"services"`
}

// TestCompose checks that docker-compose.yml, which CI cannot run, gives
// each node its node file and glue address, etcd the address the node
// files name, and each region's stand-in load balancer the address its
// check asks.
func TestCompose(t *testing.T) {
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{} // every static address → its service
	for name, s := range c.Services {
		for _, n := range s.Networks {
			if n.IPv4 != "" {
				addrs[n.IPv4] = name
			}
		}
	}
	nodes := 0
	for name, s := range c.Services {
		i := slices.Index(s.Command, "--config")
		if i < 0 {
			continue
		}
		nodes++
		if s.Build == nil {
			t.Errorf("service %s: no build: the nodes are built from the repository's Dockerfile", name)
		}
		if i+1 >= len(s.Command) {
			t.Fatalf("service %s: --config without a file", name)
		}
		file := filepath.Base(s.Command[i+1])
		n := loadNode(t, file)
		if want := "http://" + n.Admin.Listen; s.Environment["GTMD_ADMIN"] != want {
			t.Errorf("service %s: GTMD_ADMIN %q, want %q (its admin.listen), so that gtmd's commands reach it", name, s.Environment["GTMD_ADMIN"], want)
		}
		ip := netip.MustParseAddrPort(n.DNS.Listen[0]).Addr().String()
		if addrs[ip] != name {
			t.Errorf("service %s runs %s, whose address %s is service %q's", name, file, ip, addrs[ip])
		}
		for _, e := range n.Store.EtcdEndpoints {
			u, err := url.Parse(e)
			if err != nil {
				t.Fatal(err)
			}
			if host, _, _ := net.SplitHostPort(u.Host); addrs[host] != "etcd" {
				t.Errorf("%s: etcd endpoint %s is not the etcd service's address", file, e)
			}
		}
	}
	if nodes != len(nodeFiles) {
		t.Errorf("%d gtmd services, want %d", nodes, len(nodeFiles))
	}
	for _, ch := range loadTraffic(t).Checks {
		u, err := url.Parse(ch.URL)
		if err != nil {
			t.Fatal(err)
		}
		if addrs[u.Hostname()] == "" {
			t.Errorf("check %s asks %s, which no service of docker-compose.yml has", ch.Name, ch.URL)
		}
	}
}

// TestNodesShareNoPlace: each node file has an admin port and a data
// directory of its own, so that the three can run on one machine (as
// run-local.sh runs them) without taking each other's.
func TestNodesShareNoPlace(t *testing.T) {
	admins, dirs := map[string]string{}, map[string]string{}
	for _, f := range nodeFiles {
		n := loadNode(t, f)
		ap, err := netip.ParseAddrPort(n.Admin.Listen)
		if err != nil {
			t.Fatalf("%s: admin.listen %q: %v", f, n.Admin.Listen, err)
		}
		if prev, ok := admins[strconv.Itoa(int(ap.Port()))]; ok {
			t.Errorf("%s: admin port %d is %s's too", f, ap.Port(), prev)
		}
		admins[strconv.Itoa(int(ap.Port()))] = f
		if prev, ok := dirs[n.DataDir]; ok {
			t.Errorf("%s: data_dir %s is %s's too", f, n.DataDir, prev)
		}
		dirs[n.DataDir] = f
	}
}

// subnetRE finds the client subnets of the example's commands: dig's
// +subnet= and gtmd explain's --ecs.
var subnetRE = regexp.MustCompile(`(?:\+subnet=|--ecs )([0-9a-f.:]+/[0-9]+)`)

// TestClientSubnetsArePlaced: every client subnet the README and
// run-local.sh ask with is one the repository's test database places, so
// that the answers they promise are the ones a run with it gives.
func TestClientSubnetsArePlaced(t *testing.T) {
	found := 0
	for _, f := range []string{"README.md", "run-local.sh", "docker-compose.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range subnetRE.FindAllStringSubmatch(string(b), -1) {
			found++
			p, err := netip.ParsePrefix(m[1])
			if err != nil {
				t.Errorf("%s: %q is not a subnet", f, m[1])
				continue
			}
			placed := false
			for _, n := range testdb.Networks() {
				if n.Prefix.Overlaps(p) && n.Prefix.Bits() <= p.Bits() && n.Country != "" {
					placed = true
				}
			}
			if !placed {
				t.Errorf("%s: %s is not placed by the test database (geo/testdb): explain would say no location", f, p)
			}
		}
	}
	if found == 0 {
		t.Fatal("no client subnet found in the example's commands")
	}
}
