package dnstaplog_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestDnstapRead: BIND's dnstap-read (Debian's bind9-dnsutils) reads the
// file and prints every query and answer. It does not print the extra
// field; TestFileLogsEveryQuery decodes that.
func TestDnstapRead(t *testing.T) {
	bin, err := exec.LookPath("dnstap-read")
	if err != nil {
		t.Skip("dnstap-read not installed (apt-get install bind9-dnsutils)")
	}
	l, path, _ := startFileLog(t, 1, nil)
	addr := serve(t, l)
	names := []string{"www.gtm.test.", "info.gtm.test."}
	for i, name := range names {
		ask(t, addr, "udp", name, dns.TypeA, uint16(i))
		ask(t, addr, "tcp", name, dns.TypeA, uint16(i))
	}
	closeLog(t, l)
	out, err := exec.Command(bin, path).CombinedOutput()
	if err != nil {
		t.Fatalf("dnstap-read: %v\n%s", err, out)
	}
	t.Logf("dnstap-read:\n%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 4*len(names) {
		t.Fatalf("dnstap-read printed %d lines, want %d", len(lines), 4*len(names))
	}
	for i, line := range lines {
		name := strings.TrimSuffix(names[i/4], ".")
		kind := []string{" AQ ", " AR "}[i%2]
		proto := []string{" UDP ", " TCP "}[i/2%2]
		if !strings.Contains(line, kind) || !strings.Contains(line, proto) || !strings.Contains(line, name+"/IN/A") || !strings.Contains(line, addr) {
			t.Errorf("line %d %q: want %q, %q, %s/IN/A and %s", i, line, kind, proto, name, addr)
		}
	}
}
