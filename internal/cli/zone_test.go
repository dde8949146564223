package cli

import (
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
)

// TestCLIZone: zone put sends the file as it is and says where it is
// stored; zone get prints back what the node holds; faults of the command
// line and of the call are told apart by the exit code.
func TestCLIZone(t *testing.T) {
	_, env := testNode(t, admin.Options{})
	const zone = "www2 IN A 192.0.2.7\n_acme-challenge IN TXT \"x\"\n"
	file := writeFile(t, t.TempDir(), "example.com.zone", zone)
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"put", []string{"zone", "put", "example.com", file}, 0, "zone example.com.: 2 RRsets stored at revision ", ""},
		{"get", []string{"zone", "get", "example.com"}, 0, zone, ""},
		{"put, json", []string{"zone", "put", "-o", "json", "example.com", file}, 0, `"rrsets": 2`, ""},
		{"a zone not served", []string{"zone", "put", "example.net", file}, 1, "", "not found"},
		{"a missing file", []string{"zone", "put", "example.com", file + ".missing"}, 1, "", "reading the zone file: open "},
		{"no verb", []string{"zone"}, 2, "", "want a subcommand: put or get"},
		{"put without a file", []string{"zone", "put", "example.com"}, 2, "", "ZONE FILE"},
		{"another verb", []string{"zone", "delete", "example.com"}, 2, "", "want put or get"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cli(t, env, tc.args...).want(t, tc.code, tc.stdout, tc.stderr)
		})
	}
}
