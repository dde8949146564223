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

// The zone transfer test: one gtmd node (embedded store) serves
// xfr.test. with allow_transfer and notify; Knot is its secondary with
// the TSIG key. Knot transfers the zone at start (AXFR), serves it, and
// after a one-record change to gtmd is told by NOTIFY, asks IXFR, gets
// the whole zone and serves the change. It needs knotd, knotc and kdig
// (Debian's knot and knot-dnsutils), no root: both listen on high ports.

const (
	xfrZone   = "xfr.test."
	xfrKey    = "xfr-key."
	xfrSecret = "eGZyLXNlY3JldC14ZnItc2VjcmV0LXhmci1zZWNyZXQ="
	xfrGtmdIP = "127.0.0.41"
	xfrKnotIP = "127.0.0.42"
)

const xfrTraffic = `# The transferred zone, written by e2e/xfr_test.go.
zones:
  - name: ` + xfrZone + `
    ttl: 300
    soa: {mname: ns1.xfr.test., rname: hostmaster.xfr.test., refresh: 3600}
    ns: [ns1.xfr.test.]
    allow_transfer: [{key: ` + xfrKey + `, networks: [127.0.0.0/8]}]
    notify: ["{{.Secondary}}"]
    records:
      - {name: ns1, type: A, data: [192.0.2.53]}
      - {name: mail, type: MX, data: ["10 mx.example.net."]}
{{- if .Changed}}
      - {name: changed, type: TXT, data: ["one record more"]}
{{- end}}
services:
  - name: www.xfr.test.
    policy: failover
    ttl: 30
    endpoints:
      - {id: primary, priority: 1, a: [198.51.100.1]}
      - {id: backup, priority: 2, a: [198.51.100.2]}
`

// knotServerConf is the part of a Knot configuration every transfer
// test's Knot shares: where it listens and keeps its files, and the key.
const knotServerConf = `server:
    rundir: "{{.Dir}}"
    listen: {{.IP}}@{{.Port}}
control:
    listen: "{{.Dir}}/knot.sock"
database:
    storage: "{{.Dir}}"
key:
  - id: ` + xfrKey + `
    algorithm: hmac-sha256
    secret: ` + xfrSecret + `
`

const xfrKnotConf = `# Knot as a secondary of gtmd, written by e2e/xfr_test.go.
` + knotServerConf + `remote:
  - id: gtmd
    address: {{.Primary}}
    key: ` + xfrKey + `
acl:
  - id: notify_from_gtmd
    address: 127.0.0.0/8
    key: ` + xfrKey + `
    action: notify
  - id: transfer_to_test
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: "{{.Dir}}"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
zone:
  - domain: ` + xfrZone + `
    master: gtmd
    acl: [notify_from_gtmd, transfer_to_test]
log:
  - target: stderr
    any: info
`

// xfrPrimary is the gtmd node a transfer test's secondary takes the zone
// from.
type xfrPrimary struct {
	bin, dns, admin, traffic, secondary string
	proc                                *proc
	// first is the serial it served first.
	first uint32
}

// startXfrPrimary checks that tools are there (names to Debian
// packages) and that the addresses can be bound, skipping the test if
// not (failing under CI=true), and starts a gtmd node on gtmdIP serving
// xfrTraffic, which notifies secondary (IP:port) of every change.
func startXfrPrimary(t *testing.T, dir string, tools map[string]string, gtmdIP, secondary string) (map[string]string, *xfrPrimary) {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	paths := needTools(t, "zone transfer test", tools)
	secondaryIP, _, _ := net.SplitHostPort(secondary)
	needAddrs(t, gtmdIP, secondaryIP)
	p := &xfrPrimary{bin: buildGtmd(t, dir), secondary: secondary,
		dns:   net.JoinHostPort(gtmdIP, strconv.Itoa(freePort(t, gtmdIP))),
		admin: net.JoinHostPort(gtmdIP, strconv.Itoa(freePort(t, gtmdIP)))}
	p.traffic = filepath.Join(dir, "traffic.yaml")
	writeFile(t, p.traffic, xfrTraffic, map[string]any{"Secondary": secondary, "Changed": false})
	p.proc = startKeyedNode(t, dir, p.bin, "primary", gtmdIP, p.dns, p.admin, p.traffic, tsigKey{xfrKey, xfrSecret})
	var err error
	if p.first, err = waitSerial(p.proc, p.dns, 0, 30*time.Second); err != nil {
		t.Fatalf("gtmd never served %s: %v", xfrZone, err)
	}
	return paths, p
}

// needAddrs skips the test unless each of ips can be bound here.
func needAddrs(t *testing.T, ips ...string) {
	t.Helper()
	for _, ip := range ips {
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			t.Skipf("cannot bind %s here: %v", ip, err)
		}
		l.Close()
	}
}

// port is the primary's DNS port, as a secondary's configuration names
// it after the address.
func (p *xfrPrimary) port() string { return p.dns[strings.LastIndexByte(p.dns, ':')+1:] }

// change applies the document with one record more and returns the
// serial the primary then serves.
func (p *xfrPrimary) change(t *testing.T) uint32 {
	t.Helper()
	writeFile(t, p.traffic, xfrTraffic, map[string]any{"Secondary": p.secondary, "Changed": true})
	if out, err := exec.Command(p.bin, "apply", "-f", p.traffic, "--admin", "http://"+p.admin).CombinedOutput(); err != nil {
		t.Fatalf("gtmd apply: %v\n%s", err, out)
	}
	second, err := waitSerial(p.proc, p.dns, p.first+1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return second
}

// waitChanged waits until server serves the record the change added.
func waitChanged(server string, limit time.Duration) error {
	_, err := poll(limit, 100*time.Millisecond, func() error {
		r, err := ask1(server, "changed.xfr.test.", dns.TypeTXT)
		if err != nil {
			return err
		}
		if len(r.Answer) != 1 {
			return fmt.Errorf("changed.xfr.test. TXT: rcode %s, %d answers", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		return nil
	})
	return err
}

func TestTransferToKnot(t *testing.T) {
	dir := t.TempDir()
	knotPort := freePort(t, xfrKnotIP)
	knotDNS := net.JoinHostPort(xfrKnotIP, strconv.Itoa(knotPort))
	tools, primary := startXfrPrimary(t, dir, map[string]string{"knotd": "knot", "knotc": "knot", "kdig": "knot-dnsutils"}, xfrGtmdIP, knotDNS)
	first := primary.first

	knotDir := filepath.Join(dir, "knot")
	if err := os.Mkdir(knotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(knotDir, "knot.conf"), xfrKnotConf, map[string]any{
		"Dir": knotDir, "IP": xfrKnotIP, "Port": knotPort, "Primary": xfrGtmdIP + "@" + primary.port(),
	})
	knot := newProc(t, "knotd", filepath.Join(dir, "knotd.log"), tools["knotd"], "-c", filepath.Join(knotDir, "knot.conf"))
	if err := knot.start(); err != nil {
		t.Fatal(err)
	}
	if _, err := waitSerial(knot, knotDNS, first, 15*time.Second); err != nil {
		t.Fatalf("Knot never served serial %d after its AXFR: %v", first, err)
	}

	// What Knot transferred, as Knot transfers it out again.
	axfr := kdig(t, tools["kdig"], knotDNS, "AXFR", xfrZone)
	for _, want := range []string{"xfr.test. 300 IN NS ns1.xfr.test.", "ns1.xfr.test. 300 IN A 192.0.2.53",
		"mail.xfr.test. 300 IN MX 10 mx.example.net.", "www.xfr.test. 30 IN A 198.51.100.1"} {
		if !strings.Contains(axfr, want) {
			t.Errorf("Knot's copy lacks %q:\n%s", want, axfr)
		}
	}
	if strings.Contains(axfr, "198.51.100.2") {
		t.Errorf("Knot's copy holds the backup endpoint, which no client without a location is answered:\n%s", axfr)
	}
	if out, err := exec.Command(tools["knotc"], "-s", filepath.Join(knotDir, "knot.sock"), "zone-status", xfrZone).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "serial: "+strconv.FormatUint(uint64(first), 10)) {
		t.Errorf("knotc zone-status: %v\n%s", err, out)
	}

	// One record more: applied to gtmd, then NOTIFY tells Knot, which
	// refreshes by IXFR long before its hour-long refresh timer.
	second := primary.change(t)
	if err := waitChanged(knotDNS, 15*time.Second); err != nil {
		t.Fatalf("Knot never served the change (serial %d): %v", second, err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "gtmd.log"))
	if !strings.Contains(string(log), `msg="zone transferred" zone=xfr.test. qtype=IXFR`) {
		t.Errorf("gtmd logged no IXFR served after the change:\n%s", log)
	}
}

// waitSerial waits until server answers xfr.test.'s SOA with a serial
// of at least min and returns it.
func waitSerial(p *proc, server string, min uint32, limit time.Duration) (uint32, error) {
	return waitSerialOf(p, server, xfrZone, min, limit)
}

// ask1 asks server one question over UDP.
func ask1(server, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(q, server)
	return r, err
}

// kdig runs kdig against server and returns its output.
func kdig(t *testing.T, bin, server, qtype, name string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(server)
	out, err := exec.Command(bin, "@"+host, "-p", port, "+nocomments", "+nostats", qtype, name).CombinedOutput()
	if err != nil {
		t.Fatalf("kdig %s %s: %v\n%s", qtype, name, err, out)
	}
	// One space between fields, as kdig pads them into columns.
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
