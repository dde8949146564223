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

	"github.com/miekg/dns"
)

// The transfer-in test: Knot is the primary of xfrin.test. (a zone
// file), with the TSIG key and a NOTIFY to gtmd; one gtmd node
// (embedded store) serves the zone as its secondary beside a service of
// its own. gtmd transfers the zone at start, then, after the zone file
// changes and Knot reloads it, is told by Knot's NOTIFY and serves the
// change long before its hour-long refresh. It needs knotd and knotc
// (Debian's knot), no root.

const (
	xfrInZone   = "xfrin.test."
	xfrInGtmdIP = "127.0.0.43"
	xfrInKnotIP = "127.0.0.44"
)

const xfrInTraffic = `# A secondary zone, written by e2e/xfr_in_test.go.
zones:
  - name: ` + xfrInZone + `
    ttl: 300
    soa: {mname: ns1.xfrin.test., rname: hostmaster.xfrin.test.}
    ns: [ns1.xfrin.test.]
    primary: {servers: ["{{.Primary}}"], key: ` + xfrKey + `, refresh: 1h}
services:
  - name: www.xfrin.test.
    policy: failover
    ttl: 30
    endpoints:
      - {id: primary, priority: 1, a: [198.51.100.1]}
      - {id: backup, priority: 2, a: [198.51.100.2]}
`

const xfrInZoneFile = `$ORIGIN xfrin.test.
$TTL 300
@     SOA  ns.knot.test. hostmaster.knot.test. {{.Serial}} 3600 600 86400 60
@     NS   ns.knot.test.
ns1   A    192.0.2.53
host  A    192.0.2.10
@     MX   10 mail.example.net.
{{- if .Changed}}
added TXT  "added on the primary"
{{- end}}
`

const xfrInKnotConf = `# Knot as the primary of a gtmd secondary zone, written by e2e/xfr_in_test.go.
` + knotServerConf + `remote:
  - id: gtmd
    address: {{.Secondary}}
    via: {{.IP}}
    key: ` + xfrKey + `
acl:
  - id: transfer_to_gtmd
    address: 127.0.0.0/8
    key: ` + xfrKey + `
    action: transfer
template:
  - id: default
    storage: "{{.Dir}}"
    journal-content: none
zone:
  - domain: ` + xfrInZone + `
    file: "{{.Dir}}/xfrin.test.zone"
    notify: gtmd
    acl: transfer_to_gtmd
log:
  - target: stderr
    any: info
`

func TestTransferFromKnot(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	tools := needTools(t, "transfer-in test", map[string]string{"knotd": "knot", "knotc": "knot"})
	needAddrs(t, xfrInGtmdIP, xfrInKnotIP)
	dir := t.TempDir()
	gtmdDNS := net.JoinHostPort(xfrInGtmdIP, strconv.Itoa(freePort(t, xfrInGtmdIP)))
	knotPort := freePort(t, xfrInKnotIP)
	knotDNS := net.JoinHostPort(xfrInKnotIP, strconv.Itoa(knotPort))

	knotDir := filepath.Join(dir, "knot")
	if err := os.Mkdir(knotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	zoneFile := filepath.Join(knotDir, "xfrin.test.zone")
	writeFile(t, zoneFile, xfrInZoneFile, map[string]any{"Serial": 1, "Changed": false})
	writeFile(t, filepath.Join(knotDir, "knot.conf"), xfrInKnotConf, map[string]any{
		"Dir": knotDir, "IP": xfrInKnotIP, "Port": knotPort, "Secondary": strings.Replace(gtmdDNS, ":", "@", 1),
	})
	knot := newProc(t, "knotd", filepath.Join(dir, "knotd.log"), tools["knotd"], "-c", filepath.Join(knotDir, "knot.conf"))
	if err := knot.start(); err != nil {
		t.Fatal(err)
	}

	bin := buildGtmd(t, dir)
	traffic := filepath.Join(dir, "traffic.yaml")
	writeFile(t, traffic, xfrInTraffic, map[string]any{"Primary": knotDNS})
	admin := net.JoinHostPort(xfrInGtmdIP, strconv.Itoa(freePort(t, xfrInGtmdIP)))
	gtmd := startKeyedNode(t, dir, bin, "secondary", xfrInGtmdIP, gtmdDNS, admin, traffic, tsigKey{xfrKey, xfrSecret})

	answers := func(name string, qtype uint16, want string, limit time.Duration) error {
		_, err := poll(limit, 100*time.Millisecond, func() error {
			if err := gtmd.exitErr(); err != nil {
				return err
			}
			r, err := ask1(gtmdDNS, name, qtype)
			if err != nil {
				return err
			}
			var got []string
			for _, rr := range r.Answer {
				got = append(got, strings.TrimPrefix(rr.String(), rr.Header().String()))
			}
			if strings.Join(got, ",") != want {
				return fmt.Errorf("%s %s: %q, want %q", name, dns.TypeToString[qtype], got, want)
			}
			return nil
		})
		return err
	}
	if err := answers("host.xfrin.test.", dns.TypeA, "192.0.2.10", 30*time.Second); err != nil {
		t.Fatalf("gtmd never served the zone transferred from Knot: %v", err)
	}
	for _, c := range []struct {
		name  string
		qtype uint16
		want  string
	}{
		{"xfrin.test.", dns.TypeMX, "10 mail.example.net."},
		{"xfrin.test.", dns.TypeNS, "ns1.xfrin.test."},
		{"www.xfrin.test.", dns.TypeA, "198.51.100.1"},
	} {
		if err := answers(c.name, c.qtype, c.want, time.Second); err != nil {
			t.Error(err)
		}
	}
	first, err := waitSerialOf(gtmd, gtmdDNS, xfrInZone, 0, time.Second)
	if err != nil {
		t.Fatal(err)
	}

	// The zone file changes on the primary; Knot reloads it and sends
	// NOTIFY, and gtmd transfers at once, not at its hour's refresh.
	writeFile(t, zoneFile, xfrInZoneFile, map[string]any{"Serial": 2, "Changed": true})
	if out, err := exec.Command(tools["knotc"], "-s", filepath.Join(knotDir, "knot.sock"), "zone-reload", xfrInZone).CombinedOutput(); err != nil {
		t.Fatalf("knotc zone-reload: %v\n%s", err, out)
	}
	if err := answers("added.xfrin.test.", dns.TypeTXT, `"added on the primary"`, 15*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "gtmd.log"))
		t.Fatalf("gtmd never served the change after Knot's NOTIFY: %v\n%s", err, log)
	}
	if _, err := waitSerialOf(gtmd, gtmdDNS, xfrInZone, first+1, 5*time.Second); err != nil {
		t.Errorf("gtmd's own serial did not move with the change: %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "gtmd.log"))
	if n := strings.Count(string(log), `msg="zone transferred from its primary" zone=xfrin.test.`); n != 2 {
		t.Errorf("gtmd logged %d transfers, want 2 (at start, after the NOTIFY):\n%s", n, log)
	}
}

// waitSerialOf waits until server answers zone's SOA with a serial of at
// least min and returns it.
func waitSerialOf(p *proc, server, zone string, min uint32, limit time.Duration) (uint32, error) {
	var serial uint32
	_, err := poll(limit, 100*time.Millisecond, func() error {
		if err := p.exitErr(); err != nil {
			return err
		}
		r, err := ask1(server, zone, dns.TypeSOA)
		if err != nil {
			return err
		}
		if len(r.Answer) != 1 {
			return fmt.Errorf("SOA: rcode %s, %d answers", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		serial = r.Answer[0].(*dns.SOA).Serial
		if serial < min {
			return fmt.Errorf("serial %d, waiting for %d", serial, min)
		}
		return nil
	})
	return serial, err
}
