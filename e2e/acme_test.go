package e2e

import (
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testcert"
)

// The ACME DNS-01 test: Debian's pebble (a test ACME server) asks gtmd
// for the challenge's TXT record, which Debian's lego (provider rfc2136)
// puts there by UPDATE with the acme-key of updTraffic's update_policy
// and takes away after; lego gets its certificate. No root: every part
// listens on a high port of 127.0.0.43 and 127.0.0.44.

const acmePebbleIP = "127.0.0.44"

const acmePebbleConfig = `{"pebble": {
  "listenAddress": "{{.Listen}}",
  "managementListenAddress": "{{.Manage}}",
  "certificate": "{{.Cert}}",
  "privateKey": "{{.Key}}",
  "httpPort": {{.HTTP}},
  "tlsPort": {{.TLS}},
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}`

func TestACMEWithLego(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	tools, missing := lookTools(map[string]string{"pebble": "pebble", "lego": "lego"})
	if len(missing) > 0 {
		t.Skipf("the ACME test needs %s", strings.Join(missing, ", "))
	}
	dir, gtmdDNS, _ := startUpdNode(t)

	ca := testcert.NewCA(t, "pebble test CA")
	certPEM, keyPEM := testcert.PEM(t, ca.Leaf(t, acmePebbleIP))
	for name, data := range map[string][]byte{"pebble.pem": certPEM, "pebble.key": keyPEM, "ca.pem": ca.CertPEM()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := pem.Decode(certPEM); b == nil {
		t.Fatal("no certificate PEM")
	}
	listen := acmePebbleIP + ":" + strconv.Itoa(freePort(t, acmePebbleIP))
	writeFile(t, filepath.Join(dir, "pebble.json"), acmePebbleConfig, map[string]any{
		"Listen": listen, "Manage": acmePebbleIP + ":" + strconv.Itoa(freePort(t, acmePebbleIP)),
		"Cert": filepath.Join(dir, "pebble.pem"), "Key": filepath.Join(dir, "pebble.key"),
		"HTTP": freePort(t, acmePebbleIP), "TLS": freePort(t, acmePebbleIP),
	})
	// env(1) sets pebble's variables and becomes pebble: no sleeps
	// before validating, no nonces refused on purpose.
	pebble := newProc(t, "pebble", filepath.Join(dir, "pebble.log"), "/usr/bin/env", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0",
		tools["pebble"], "-config", filepath.Join(dir, "pebble.json"), "-dnsserver", gtmdDNS)
	if err := pebble.start(); err != nil {
		t.Fatal(err)
	}
	if _, err := poll(15*time.Second, 100*time.Millisecond, func() error {
		c, err := net.DialTimeout("tcp", listen, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		t.Fatalf("pebble never listened: %v", err)
	}

	cmd := exec.Command(tools["lego"], "--server", "https://"+listen+"/dir", "--email", "ops@upd.test", "--accept-tos",
		"--dns", "rfc2136", "--dns.resolvers", gtmdDNS, "--dns.disable-cp", "--domains", "host.upd.test", "--path", filepath.Join(dir, "lego"), "run")
	cmd.Env = append(os.Environ(), "LEGO_CA_CERTIFICATES="+filepath.Join(dir, "ca.pem"),
		"RFC2136_NAMESERVER="+gtmdDNS, "RFC2136_TSIG_KEY="+updACMEKey, "RFC2136_TSIG_SECRET="+updACMESecret,
		"RFC2136_TSIG_ALGORITHM=hmac-sha256.", "RFC2136_PROPAGATION_TIMEOUT=20s", "RFC2136_POLLING_INTERVAL=1s")
	out, err := cmd.CombinedOutput()
	if err != nil {
		pl, _ := os.ReadFile(filepath.Join(dir, "pebble.log"))
		t.Fatalf("lego: %v\n%s\npebble:\n%s", err, out, pl)
	}
	if _, err := os.Stat(filepath.Join(dir, "lego", "certificates", "host.upd.test.crt")); err != nil {
		t.Errorf("lego made no certificate: %v\n%s", err, out)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "gtmd.log"))
	if n := strings.Count(string(log), `msg="dynamic update applied"`); n < 2 || !strings.Contains(string(log), "key=acme-key.") {
		t.Errorf("gtmd logged %d applied updates by acme-key., want the challenge added and removed:\n%s", n, log)
	}
}
