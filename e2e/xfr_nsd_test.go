package e2e

import (
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

// The zone transfer test again with NSD as the secondary: NSD requests
// the zone with TSIG at start (IXFR over TCP, which gtmd answers with the
// whole zone), serves it, and after a one-record change to gtmd is told
// by NOTIFY and serves the change. It needs nsd and nsd-control (Debian's
// nsd) and kdig; as root NSD is told not to drop privileges.

const (
	xfrNSDGtmdIP = "127.0.0.45"
	xfrNSDIP     = "127.0.0.46"
)

const xfrNSDConf = `# NSD as a secondary of gtmd, written by e2e/xfr_nsd_test.go.
server:
    ip-address: {{.IP}}@{{.Port}}
    username: ""
    chroot: ""
    zonesdir: "{{.Dir}}"
    database: ""
    pidfile: "{{.Dir}}/nsd.pid"
    xfrdfile: "{{.Dir}}/xfrd.state"
    zonelistfile: "{{.Dir}}/zone.list"
    logfile: "{{.Dir}}/nsd.log"
    verbosity: 2
    rrl-ratelimit: 0
    server-count: 1
remote-control:
    control-enable: yes
    control-interface: "{{.Dir}}/nsd.sock"
key:
    name: ` + xfrKey + `
    algorithm: hmac-sha256
    secret: "` + xfrSecret + `"
zone:
    name: ` + xfrZone + `
    zonefile: "xfr.test.zone"
    request-xfr: {{.Primary}} ` + xfrKey + `
    allow-notify: 127.0.0.0/8 ` + xfrKey + `
`

func TestTransferToNSD(t *testing.T) {
	dir := t.TempDir()
	nsdPort := freePort(t, xfrNSDIP)
	nsdDNS := net.JoinHostPort(xfrNSDIP, strconv.Itoa(nsdPort))
	tools, primary := startXfrPrimary(t, dir, map[string]string{"nsd": "nsd", "nsd-control": "nsd"}, xfrNSDGtmdIP, nsdDNS)
	first := primary.first

	nsdDir := filepath.Join(dir, "nsd")
	if err := os.Mkdir(nsdDir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(nsdDir, "nsd.conf")
	writeFile(t, conf, xfrNSDConf, map[string]any{
		"Dir": nsdDir, "IP": xfrNSDIP, "Port": nsdPort, "Primary": xfrNSDGtmdIP + "@" + primary.port(),
	})
	nsd := newProc(t, "nsd", filepath.Join(dir, "nsd.stderr"), tools["nsd"], "-d", "-c", conf)
	if err := nsd.start(); err != nil {
		t.Fatal(err)
	}
	nsdLog := func() string { b, _ := os.ReadFile(filepath.Join(nsdDir, "nsd.log")); return string(b) }
	if _, err := waitSerial(nsd, nsdDNS, first, 20*time.Second); err != nil {
		t.Fatalf("NSD never served serial %d after its transfer: %v\n%s", first, err, nsdLog())
	}

	// What NSD holds, as it answers and as nsd-control reports it.
	for _, q := range []struct {
		name  string
		qtype uint16
		want  string
	}{
		{"ns1.xfr.test.", dns.TypeA, "192.0.2.53"},
		{"mail.xfr.test.", dns.TypeMX, "mx.example.net."},
		{"www.xfr.test.", dns.TypeA, "198.51.100.1"},
	} {
		r, err := ask1(nsdDNS, q.name, q.qtype)
		if err != nil || len(r.Answer) != 1 || !strings.Contains(r.Answer[0].String(), q.want) {
			t.Errorf("NSD's answer to %s %s: %v %v, want %s", q.name, dns.TypeToString[q.qtype], r, err, q.want)
		}
	}
	status, err := exec.Command(tools["nsd-control"], "-c", conf, "zonestatus", xfrZone).CombinedOutput()
	if err != nil || !strings.Contains(string(status), "served-serial: \""+strconv.FormatUint(uint64(first), 10)) {
		t.Errorf("nsd-control zonestatus: %v\n%s", err, status)
	}

	// One record more: NOTIFY tells NSD, which transfers it again long
	// before its refresh timer.
	second := primary.change(t)
	if err := waitChanged(nsdDNS, 20*time.Second); err != nil {
		t.Fatalf("NSD never served the change (serial %d): %v\n%s", second, err, nsdLog())
	}
	if _, err := waitSerial(nsd, nsdDNS, second, 5*time.Second); err != nil {
		t.Errorf("NSD serves the change but not serial %d: %v", second, err)
	}
}
