package cli

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

// testDNSSECNode serves the admin API over a backend that signs every
// zone.
func testDNSSECNode(t *testing.T, opts admin.Options) (*admintest.DNSSEC, map[string]string) {
	t.Helper()
	d := admintest.NewDNSSEC("n1", nil)
	srv := admintest.NewDNSSECServer(t, d, opts)
	return d, map[string]string{EnvAdmin: srv.URL}
}

// apiBody is what the API answers to GET path, read whole.
func apiBody(t *testing.T, env map[string]string, path string) string {
	t.Helper()
	resp, err := http.Get(env[EnvAdmin] + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", path, resp.Status, err)
	}
	return string(b)
}

// TestCLIDNSSECDS: the DS lines exactly as served, ready to paste.
func TestCLIDNSSECDS(t *testing.T) {
	_, env := testDNSSECNode(t, admin.Options{})
	r := cli(t, env, "dnssec", "ds", "Example.COM")
	r.want(t, 0, "example.com.\t3600\tIN\tDS\t12345 13 2 ", "")
	if want := apiBody(t, env, "/v1/dnssec/example.com./ds"); r.stdout != want {
		t.Errorf("printed %q, the API serves %q", r.stdout, want)
	}
	if !regexp.MustCompile(`^example\.com\.\t3600\tIN\tDS\t12345 13 2 [0-9A-F]{64}\n$`).MatchString(r.stdout) {
		t.Errorf("not one DS line: %q", r.stdout)
	}
	cli(t, env, "dnssec", "ds", "example.net").want(t, 1, "", "gtmd dnssec: zone example.net. is not served: not found\n")
	cli(t, env, "dnssec", "ds", "-o", "json", "example.com").want(t, 2, "", "-o json: gtmd dnssec ds prints the DS records as text")
}

// TestCLIDNSSECRollover walks a rollover: status before, rollover,
// refused second rollover, submitted, status after; each table says what
// to do next.
func TestCLIDNSSECRollover(t *testing.T) {
	_, env := testDNSSECNode(t, admin.Options{})
	tests := []struct {
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{[]string{"status", "example.com"}, 0, []string{
			"zone:        example.com.\nsigning:     ready, ecdsap256sha256\nsignatures:  oldest expires ",
			"rollover:    none\n",
			"TAG    ROLE  ALGORITHM        STATE   SINCE\n12345  csk   ecdsap256sha256  active  ",
		}, ""},
		{[]string{"rollover", "example.com."}, 0, []string{
			"key rollover of example.com. started\nzone:        example.com.\n",
			"rollover:    step ds-wait, started ",
			" ago, waiting for ds-at-parent\nto do:       publish the new DS at the parent (gtmd dnssec ds example.com.), then run gtmd dnssec submitted example.com.\n",
			"12345  csk   ecdsap256sha256  active     ",
			"12346  csk   ecdsap256sha256  published  ",
		}, ""},
		{[]string{"rollover", "example.com"}, 1, nil,
			"gtmd dnssec: zone example.com.: a key rollover is in progress (step ds-wait): not possible in the current state\n"},
		{[]string{"submitted", "EXAMPLE.com"}, 0, []string{
			"recorded: the new DS of example.com. is at the parent\n",
			"rollover:    step retire, started ",
			" ago\nnext step:   ",
			"(in ",
			")\nto do:       nothing: the old key is removed at next_step_at\n",
			"12345  csk   ecdsap256sha256  retired  ",
			"12346  csk   ecdsap256sha256  active   ",
		}, ""},
		{[]string{"submitted", "example.com"}, 1, nil,
			"gtmd dnssec: zone example.com.: no key rollover waits for a DS at the parent: not possible in the current state\n"},
	}
	for _, tc := range tests {
		r := cli(t, env, append([]string{"dnssec"}, tc.args...)...)
		r.want(t, tc.code, "", tc.stderr)
		for _, want := range tc.stdout {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("dnssec %s: stdout lacks %q:\n%s", tc.args, want, r.stdout)
			}
		}
	}
	// -o json prints the API's answer, byte for byte.
	r := cli(t, env, "dnssec", "status", "-o", "json", "example.com")
	if want := apiBody(t, env, "/v1/dnssec/example.com"); r.code != 0 || r.stdout != want {
		t.Errorf("-o json: exit %d, printed\n%s\nthe API answers\n%s", r.code, r.stdout, want)
	}
}

// TestCLIDNSSECRefused: usage errors name what is missing; the node's
// refusals exit 1 with its message.
func TestCLIDNSSECRefused(t *testing.T) {
	dir := t.TempDir()
	tokens := writeFile(t, dir, "tokens", "viewer read "+admin.HashToken("read-token")+"\n")
	d, env := testDNSSECNode(t, admin.Options{TokensFile: tokens})
	env[EnvTokenFile] = writeFile(t, dir, "read", "read-token\n")
	d.SetDegraded("example.com.", "no key-encryption key: set dnssec.key_encryption_key_file")

	cli(t, env, "dnssec", "status", "example.com").want(t, 0, "signing:     NOT READY: no key-encryption key: set dnssec.key_encryption_key_file\n", "")
	cli(t, env, "dnssec", "rollover", "example.com").
		want(t, 1, "", "gtmd dnssec: POST /v1/dnssec/{zone}/rollover changes the cluster and needs a token with the write role; token viewer has the read role\n")
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{nil, "gtmd dnssec: want a subcommand: ds, status, rollover or submitted\nUsage: gtmd dnssec ds|status|rollover|submitted ZONE [flags]"},
		{[]string{"ds"}, "gtmd dnssec: gtmd dnssec ds needs ZONE, the zone whose keys to use (such as example.com)\n"},
		{[]string{"rollover"}, "gtmd dnssec: gtmd dnssec rollover needs ZONE"},
		{[]string{"ds", "example.com", "example.net"}, "gtmd dnssec: want ZONE, got 2 argument(s): example.com example.net\n"},
		{[]string{"sign", "example.com"}, "gtmd dnssec: gtmd dnssec sign: want ds, status, rollover or submitted\n"},
		{[]string{"status", "-o", "yaml", "example.com"}, "-o yaml: want table or json"},
	} {
		cli(t, env, append([]string{"dnssec"}, tc.args...)...).want(t, 2, "", tc.stderr)
	}

	_, plain := testNode(t, admin.Options{})
	cli(t, plain, "dnssec", "ds", "example.com").want(t, 1, "", "gtmd dnssec: DNSSEC is not available on this node: its backend does not sign zones\n")
}

// TestExplainSigned: explain says in one line whether the answer was
// signed and with which keys, and nothing when the node does not say.
func TestExplainSigned(t *testing.T) {
	tests := []struct {
		name   string
		dnssec *admin.ExplainDNSSEC
		want   string
	}{
		{"not said", nil, ""},
		{"one key", &admin.ExplainDNSSEC{Signed: true, Algorithm: "ecdsap256sha256", KeyTags: []uint16{12345}}, "signed:     yes, key 12345 (ECDSAP256SHA256)\n"},
		{"two keys", &admin.ExplainDNSSEC{Signed: true, Algorithm: "ed25519", KeyTags: []uint16{12345, 54321}}, "signed:     yes, keys 12345, 54321 (ED25519)\n"},
		{"zone not signed", &admin.ExplainDNSSEC{Reason: "zone not signed"}, "signed:     no (zone not signed)\n"},
		{"no DO", &admin.ExplainDNSSEC{Reason: "query without DO"}, "signed:     no (query without DO)\n"},
		{"no reason", &admin.ExplainDNSSEC{}, "signed:     no\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex := &admin.Explanation{Node: "n1", Name: "www.example.com.", Type: "A", Rcode: "NOERROR", DNSSEC: tc.dnssec}
			var b bytes.Buffer
			if err := printExplanation(&b, ex); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if tc.want == "" {
				if strings.Contains(out, "signed") {
					t.Errorf("a signed line without the node saying:\n%s", out)
				}
				return
			}
			if !strings.Contains(out, "rcode:      NOERROR\n"+tc.want) {
				t.Errorf("explain lacks %q after the rcode:\n%s", tc.want, out)
			}
		})
	}

	// Through the API as the node fills it in.
	b, env := testNode(t, admin.Options{})
	b.SetExplain(func(q admin.ExplainQuery) (*admin.Explanation, error) {
		return &admin.Explanation{Node: "n1", Name: q.Name, Type: "A", Rcode: "NOERROR",
			DNSSEC: &admin.ExplainDNSSEC{Signed: true, Algorithm: "ecdsap256sha256", KeyTags: []uint16{12345}}}, nil
	})
	cli(t, env, "explain", "www.example.com").want(t, 0, "signed:     yes, key 12345 (ECDSAP256SHA256)\n", "")
}

// TestUntil: how far off a time is.
func TestUntil(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(90 * time.Minute), "in 1h"},
		{now.Add(14 * 24 * time.Hour), "in 14d"},
		{now, "passed"},
		{now.Add(-time.Minute), "passed"},
	} {
		if got := until(tc.at, now); got != tc.want {
			t.Errorf("until %v: %q, want %q", tc.at.Sub(now), got, tc.want)
		}
	}
}
