package node

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// TestAdminConnCap: the admin API's connection cap is the node file's
// when the limit allows it, else a quarter of what the limit leaves after
// nodeDescriptorReserve.
func TestAdminConnCap(t *testing.T) {
	for _, tc := range []struct {
		max   int
		limit uint64
		want  int
	}{
		{256, 0, 256},       // limit unknown
		{256, 1 << 20, 256}, // plenty
		{256, 1124, 256},    // just enough
		{256, 1123, 255},
		{256, 300, 50},
		{256, 110, adminConnFloor},
		{256, 10, adminConnFloor},
		{2, 10, 2},
	} {
		if got := adminConnCap(tc.max, tc.limit); got != tc.want {
			t.Errorf("adminConnCap(%d, %d) = %d, want %d", tc.max, tc.limit, got, tc.want)
		}
	}
}

// TestDNSTCPConnCap: the DNS TCP cap per address is the configured one
// while it fits beside the admin cap, the node's sockets and the
// reserve, the rest split over the addresses when it does not, and never
// below the floor.
func TestDNSTCPConnCap(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		configured               int
		limit                    uint64
		adminCap, addrs, sockets int
		want                     int
	}{
		{"limit unknown", 1000, 0, 256, 1, 4, 1000},
		{"plenty", 1000, 1 << 20, 256, 2, 7, 1000},
		{"just enough", 1000, 1000 + 256 + 4 + nodeDescriptorReserve, 256, 1, 4, 1000},
		{"one short", 1000, 1000 + 256 + 4 + nodeDescriptorReserve - 1, 256, 1, 4, 999},
		{"hard limit 4096", 1000, 4096, 256, 1, 4, 1000},
		{"hard limit 1024", 1000, 1024, 256, 1, 4, 664},
		{"1024 over two addresses", 1000, 1024, 256, 2, 7, 330},
		{"1024 without the admin API", 1000, 1024, 0, 1, 3, 921},
		{"300, the admin's cap lowered to 50", 1000, 300, 50, 1, 4, 146},
		{"a limit too low for both", 1000, 120, 5, 1, 4, dnsTCPFloor},
		{"300 without the admin API", 1000, 300, 0, 1, 3, 197},
		{"configured below the floor", 8, 300, 236, 1, 4, 8},
		{"a tiny limit", 1000, 10, 1, 1, 4, dnsTCPFloor},
		{"no address", 1000, 300, 236, 0, 1, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := dnsTCPConnCap(tc.configured, tc.limit, tc.adminCap, tc.addrs, tc.sockets)
			if got != tc.want {
				t.Errorf("dnsTCPConnCap(%d, %d, admin %d, %d addresses, %d sockets) = %d, want %d",
					tc.configured, tc.limit, tc.adminCap, tc.addrs, tc.sockets, got, tc.want)
			}
			// What was lowered fits beside the rest, unless the floor
			// holds it up.
			if got != tc.configured && got > dnsTCPFloor && tc.limit != 0 &&
				uint64(got*tc.addrs+tc.adminCap+tc.sockets+nodeDescriptorReserve) > tc.limit {
				t.Errorf("%d connections on %d addresses with admin %d do not fit in %d", got, tc.addrs, tc.adminCap, tc.limit)
			}
		})
	}
}

// TestDNSTCPMaxConnections: from the node file, the cap counts the admin
// API's lowered cap and the sockets the node binds, and its lowering is
// logged once with the configured value, the new one and the limit.
func TestDNSTCPMaxConnections(t *testing.T) {
	n := &config.Node{}
	n.DNS.Listen = []string{"127.0.0.1:53", "[::1]:53"}
	n.DNS.UDPListeners = 2
	n.DNS.TCPMaxConnections = 1000
	n.Admin.Listen = "127.0.0.1:8080"
	n.Admin.Limits.MaxConnections = 256

	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	// 2048 - admin 256 - sockets 2*(1+2)+1 - reserve 100 = 1685, 842 each.
	if got := dnsTCPMaxConnections(n, 2048, log); got != 842 {
		t.Errorf("with 2048 descriptors: %d, want 842", got)
	}
	want := `level=WARN msg="dns.tcp_max_connections lowered to leave descriptors to the rest of the node" tcp_max_connections=1000 lowered_to=842 descriptor_limit=2048 addresses=2 admin_max_connections=256 probe_ceiling=0`
	if got := out.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, want) {
		t.Errorf("log:\n%s\nwant one line with\n%s", got, want)
	}

	// The admin API takes a quarter of 300 - 100; DNS gets the rest:
	// 300 - 50 - 7 - 100 = 143, 71 each.
	out.Reset()
	if got := dnsTCPMaxConnections(n, 300, log); got != 71 {
		t.Errorf("with 300 descriptors: %d, want 71", got)
	}
	if !strings.Contains(out.String(), "admin_max_connections=50") {
		t.Errorf("log %q does not count the admin API's lowered cap", out.String())
	}

	// Probes in flight hold descriptors too: 2048 - 256 - 7 - 100 - 512
	// = 1173, 586 each.
	out.Reset()
	n.Health.MaxConcurrentProbes = 512
	if got := dnsTCPMaxConnections(n, 2048, log); got != 586 {
		t.Errorf("with 2048 descriptors and 512 probes: %d, want 586", got)
	}

	out.Reset()
	if got := dnsTCPMaxConnections(n, 1<<20, log); got != 1000 {
		t.Errorf("with 1<<20 descriptors: %d, want 1000", got)
	}
	if out.Len() != 0 {
		t.Errorf("logged %q with the cap unchanged", out.String())
	}
}
