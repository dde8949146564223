package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The dynamic update test: one gtmd node (embedded store) serves
// upd.test. with an update_policy; BIND's nsupdate (Debian's
// bind9-dnsutils) adds, changes and deletes records with the right key,
// and is refused with a wrong key or outside its policy, as the README's
// example does. No root: gtmd listens on a high port.

const (
	updZone       = "upd.test."
	updKey        = "ddns-key."
	updSecret     = "ZGRucy1zZWNyZXQtZGRucy1zZWNyZXQtZGRucy1zZWM="
	updACMEKey    = "acme-key."
	updACMESecret = "YWNtZS1zZWNyZXQtYWNtZS1zZWNyZXQtYWNtZS1zZWM="
	updWrong      = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0="
	updGtmdIP     = "127.0.0.43"
)

const updTraffic = `# The updated zone, written by e2e/nsupdate_test.go.
zones:
  - name: ` + updZone + `
    ttl: 300
    soa: {mname: ns1.upd.test., rname: hostmaster.upd.test.}
    ns: [ns1.upd.test.]
    records:
      - {name: ns1, type: A, data: [192.0.2.53]}
    update_policy:
      - {key: ` + updKey + `, names: ["*"], types: [A, AAAA, TXT]}
      - {key: ` + updACMEKey + `, names: ["_acme-challenge", "_acme-challenge.*"], types: [TXT]}
services:
  - name: www.upd.test.
    policy: failover
    endpoints:
      - {id: primary, priority: 1, a: [198.51.100.1]}
`

// startUpdNode runs a gtmd node serving updTraffic on updGtmdIP and
// returns its directory, DNS address and port once it answers.
func startUpdNode(t *testing.T) (dir, gtmdDNS string, port int) {
	t.Helper()
	needAddrs(t, updGtmdIP)
	dir = t.TempDir()
	bin := buildGtmd(t, dir)
	port = freePort(t, updGtmdIP)
	gtmdDNS = net.JoinHostPort(updGtmdIP, strconv.Itoa(port))
	traffic := filepath.Join(dir, "traffic.yaml")
	writeFile(t, traffic, updTraffic, nil)
	node := startKeyedNode(t, dir, bin, "upd", updGtmdIP, gtmdDNS, net.JoinHostPort(updGtmdIP, strconv.Itoa(freePort(t, updGtmdIP))), traffic,
		tsigKey{updKey, updSecret}, tsigKey{updACMEKey, updACMESecret})
	if _, err := poll(30*time.Second, 100*time.Millisecond, func() error {
		if err := node.exitErr(); err != nil {
			return err
		}
		r, err := ask1(gtmdDNS, updZone, dns.TypeSOA)
		if err == nil && len(r.Answer) != 1 {
			err = fmt.Errorf("SOA: %s", dns.RcodeToString[r.Rcode])
		}
		return err
	}); err != nil {
		t.Fatalf("gtmd never served %s: %v", updZone, err)
	}

	return dir, gtmdDNS, port
}

func TestNsupdate(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	tools := needTools(t, "the dynamic update test", map[string]string{"nsupdate": "bind9-dnsutils"})
	dir, gtmdDNS, port := startUpdNode(t)

	nsupdate := func(key, secret string, lines ...string) (string, error) {
		script := fmt.Sprintf("server %s %d\nzone %s\nkey hmac-sha256:%s %s\n%s\nsend\n", updGtmdIP, port, updZone, key, secret, strings.Join(lines, "\n"))
		cmd := exec.Command(tools["nsupdate"])
		cmd.Stdin = strings.NewReader(script)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	served := func(name string, qtype uint16) []string {
		r, err := ask1(gtmdDNS, name, qtype)
		if err != nil {
			return []string{err.Error()}
		}
		var out []string
		for _, rr := range r.Answer {
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
		slices.Sort(out)
		return out
	}
	steps := []struct {
		name     string
		key, sec string
		lines    []string
		fails    string // a word of nsupdate's complaint; "" for success
		qname    string
		qtype    uint16
		want     []string
	}{
		{"add", updKey, updSecret, []string{"update add host.upd.test. 300 A 192.0.2.77"}, "", "host.upd.test.", dns.TypeA, []string{"192.0.2.77"}},
		{"change", updKey, updSecret, []string{"update delete host.upd.test. A", "update add host.upd.test. 300 A 192.0.2.78"}, "", "host.upd.test.", dns.TypeA, []string{"192.0.2.78"}},
		{"prerequisite fails", updKey, updSecret, []string{"prereq nxdomain host.upd.test.", "update add host.upd.test. 300 A 192.0.2.99"}, "YXDOMAIN", "host.upd.test.", dns.TypeA, []string{"192.0.2.78"}},
		{"ACME challenge", updACMEKey, updACMESecret, []string{"update add _acme-challenge.upd.test. 60 TXT token"}, "", "_acme-challenge.upd.test.", dns.TypeTXT, []string{"\"token\""}},
		{"wrong key", updKey, updWrong, []string{"update add host.upd.test. 300 A 192.0.2.99"}, "NOTAUTH", "host.upd.test.", dns.TypeA, []string{"192.0.2.78"}},
		{"outside the policy", updACMEKey, updACMESecret, []string{"update add host.upd.test. 300 TXT sneaky"}, "REFUSED", "host.upd.test.", dns.TypeTXT, nil},
		{"a service's name", updKey, updSecret, []string{"update add www.upd.test. 300 A 192.0.2.99"}, "REFUSED", "www.upd.test.", dns.TypeA, []string{"198.51.100.1"}},
		{"delete", updKey, updSecret, []string{"update delete host.upd.test."}, "", "host.upd.test.", dns.TypeA, nil},
	}
	for _, s := range steps {
		before, _ := ask1(gtmdDNS, updZone, dns.TypeSOA)
		out, err := nsupdate(s.key, s.sec, s.lines...)
		switch {
		case s.fails == "" && err != nil:
			t.Fatalf("%s: nsupdate: %v\n%s", s.name, err, out)
		case s.fails != "" && (err == nil || !strings.Contains(out, s.fails)):
			t.Errorf("%s: nsupdate succeeded or said something else (%v), want %s:\n%s", s.name, err, s.fails, out)
		}
		if s.fails == "" {
			// The answer came once etcd committed the change; the node
			// serves it when its watch has it.
			if _, err := poll(5*time.Second, 20*time.Millisecond, func() error {
				if got := served(s.qname, s.qtype); !slices.Equal(got, s.want) {
					return fmt.Errorf("%s serves %q", s.qname, got)
				}
				return nil
			}); err != nil {
				t.Errorf("%s: %v, want %q", s.name, err, s.want)
			}
			continue
		}
		if got := served(s.qname, s.qtype); !slices.Equal(got, s.want) {
			t.Errorf("%s: refused, yet %s serves %q, want %q", s.name, s.qname, got, s.want)
		}
		if after, _ := ask1(gtmdDNS, updZone, dns.TypeSOA); before != nil && after != nil && len(after.Answer) == 1 && len(before.Answer) == 1 &&
			after.Answer[0].(*dns.SOA).Serial != before.Answer[0].(*dns.SOA).Serial {
			t.Errorf("%s: refused, yet the serial moved", s.name)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "gtmd.log"))
	for _, want := range []string{`msg="dynamic update applied"`, `msg="dynamic update refused"`, `reason="the update_policy does not let this key change host.upd.test. TXT"`} {
		if !strings.Contains(string(log), want) {
			t.Errorf("gtmd's log lacks %s", want)
		}
	}
}
