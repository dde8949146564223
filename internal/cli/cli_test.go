package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// cliResult is what one run printed and returned.
type cliResult struct {
	handled        bool
	code           int
	stdout, stderr string
}

// cli runs an operator subcommand with env as its whole environment.
func cli(t *testing.T, env map[string]string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	handled, code := Run(t.Context(), Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }, Version: "test"}, args[0], args[1:])
	return cliResult{handled, code, out.String(), errOut.String()}
}

func (r cliResult) want(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if !r.handled {
		t.Fatalf("not handled")
	}
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, stdout) {
		t.Errorf("stdout lacks %q:\n%s", stdout, r.stdout)
	}
	if !strings.Contains(r.stderr, stderr) {
		t.Errorf("stderr lacks %q:\n%s", stderr, r.stderr)
	}
	if stderr == "" && r.stderr != "" {
		t.Errorf("stderr: %s", r.stderr)
	}
}

// testNode serves the admin API over an in-memory backend.
func testNode(t *testing.T, opts admin.Options) (*admintest.Backend, map[string]string) {
	t.Helper()
	b := admintest.New("n1", nil)
	srv := admintest.NewServer(t, b, opts)
	return b, map[string]string{EnvAdmin: srv.URL}
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLIUnknownCommand(t *testing.T) {
	for _, cmd := range []string{"serve", "version", "help", ""} {
		if handled, _ := Run(t.Context(), Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, cmd, nil); handled {
			t.Errorf("Run handled %q", cmd)
		}
	}
}

func TestCLIApply(t *testing.T) {
	b, env := testNode(t, admin.Options{})
	dir := t.TempDir()
	// A zone file, merged here before sending: the API refuses zone_file.
	writeFile(t, dir, "extra.zone", "$ORIGIN example.com.\nmail 300 IN A 192.0.2.25\n")
	doc := strings.Replace(admintest.TrafficYAML, "    ttl: 300\n", "    ttl: 300\n    zone_file: extra.zone\n", 1)
	file := writeFile(t, dir, "traffic.yaml", doc)

	// Without --wait the nodes are not waited for: no PENDING, no INSYNC.
	cli(t, env, "apply", "-f", file, "--reason", "add mail").want(t, 0, file+": applied at revision 2; nodes catching up\n", "")
	if trail, _ := b.Audit(t.Context(), 0); len(trail) != 1 || trail[0].Action != "apply" || trail[0].Target != "revision 2" || trail[0].Reason != "add mail" || trail[0].Who != "loopback" {
		t.Errorf("audit trail after apply --reason: %+v", trail)
	}
	stored, _, _ := b.Config(t.Context())
	if !hasRecord(stored, "mail") {
		t.Errorf("the zone file was not merged: %+v", stored.Zones[0].Records)
	}

	// Flags after the arguments, and JSON out.
	r := cli(t, env, "apply", "--dry-run", "-o", "json", "-f", file)
	r.want(t, 0, `"dry_run": true`, "")
	var dry admin.DryRunResult
	if err := json.Unmarshal([]byte(r.stdout), &dry); err != nil || !dry.Valid || dry.Revision != 2 {
		t.Errorf("dry run JSON: %v %+v", err, dry)
	}
	cli(t, env, "apply", "-f", file, "--dry-run").want(t, 0, file+": valid (1 zones, 1 services, 2 checks); dry run, nothing changed (revision 2)\n", "")
	if b.Revision() != 2 {
		t.Errorf("a dry run changed the revision to %d", b.Revision())
	}

	// A stale --if-match.
	cli(t, env, "apply", "-f", file, "--if-match", "1").
		want(t, 1, "", `gtmd apply: If-Match "1": the stored revision is 2; fetch the document again and apply your change to it`)
	// The stored document again: unchanged, exit 0, nothing stored.
	cli(t, env, "apply", "-f", file, "--if-match", "2").want(t, 0, file+": unchanged (revision 2)\n", "")
	if b.Revision() != 2 {
		t.Errorf("an unchanged apply stored revision %d", b.Revision())
	}
	r = cli(t, env, "apply", "-f", file, "-o", "json")
	var same admin.ApplyResult
	if err := json.Unmarshal([]byte(r.stdout), &same); err != nil || !same.Unchanged || same.Revision != 2 {
		t.Errorf("unchanged apply -o json: %v %s", err, r.stdout)
	}
	changedFile := writeFile(t, dir, "changed.yaml", strings.Replace(doc, "ttl: 30\n", "ttl: 31\n", 1))
	cli(t, env, "apply", "-f", changedFile, "--if-match", "2").want(t, 0, "applied at revision 3; nodes catching up", "")

	// An invalid document is refused here, with its place, and not sent.
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(admintest.TrafficYAML, "check: us-web", "check: nope", 1))
	cli(t, env, "apply", "-f", bad).want(t, 1, "", "gtmd apply: "+bad+" is invalid, nothing was sent:\n"+bad+":13:")
	// -o json prints the faults on stdout, in the API's error body.
	r = cli(t, env, "apply", "-f", bad, "-o", "json")
	r.want(t, 1, "", "gtmd apply: "+bad+" is invalid")
	var refused admin.ErrorBody
	if err := json.Unmarshal([]byte(r.stdout), &refused); err != nil || len(refused.Faults) != 1 || refused.Faults[0].Line != 13 || refused.Faults[0].File != bad {
		t.Errorf("apply -o json of an invalid document printed %v\n%s", err, r.stdout)
	}
	cli(t, env, "apply", "-f", filepath.Join(dir, "none.yaml")).want(t, 1, "", "reading traffic document")
	if b.Revision() != 3 {
		t.Errorf("revision %d after refusals, want 3", b.Revision())
	}

	// Usage errors.
	cli(t, env, "apply").want(t, 2, "", "gtmd apply: -f FILE is required\nUsage: gtmd apply -f FILE")
	cli(t, env, "apply", "-f", file, "extra").want(t, 2, "", "gtmd apply: want no arguments, got 1 argument(s): extra")
	cli(t, env, "apply", "-f", file, "--wait", "--dry-run").want(t, 2, "", "--wait and --dry-run do not go together")
	cli(t, env, "apply", "-f", file, "--wait-timeout", "1s").want(t, 2, "", "--wait-timeout needs --wait")
	cli(t, env, "apply", "-f", file, "--bogus").want(t, 2, "", "flag provided but not defined: -bogus")
	cli(t, env, "apply", "-f", file, "-o", "yaml").want(t, 2, "", "-o yaml: want table or json")
	r = cli(t, env, "apply", "-h")
	r.want(t, 0, "", "Usage: gtmd apply -f FILE")
	if !strings.Contains(r.stderr, "-wait-timeout") {
		t.Errorf("help lacks the flags:\n%s", r.stderr)
	}
}

func hasRecord(doc *config.Traffic, name string) bool {
	for _, r := range doc.Zones[0].Records {
		if strings.HasPrefix(r.Name, name) {
			return true
		}
	}
	return false
}

func TestCLIApplyWait(t *testing.T) {
	b, env := testNode(t, admin.Options{})
	b.AddMember(member.Member{ID: "n2"})

	dir := t.TempDir()
	file := writeFile(t, dir, "traffic.yaml", admintest.TrafficWithTTL(31))
	file2 := writeFile(t, dir, "traffic2.yaml", admintest.TrafficWithTTL(32))
	file3 := writeFile(t, dir, "traffic3.yaml", admintest.TrafficWithTTL(33))

	cli(t, env, "apply", "-f", file, "--wait").want(t, 0, "applied at revision 2, INSYNC (2 of 2 nodes serve it)", "")

	b.SetLagging("n2", true)
	cli(t, env, "apply", "--wait", "--wait-timeout", "50ms", "-f", file2).
		want(t, 1, "applied at revision 3, PENDING (1 of 2 nodes serve it)\n  n2 serves revision 2\n", "gtmd apply: revision 3 is stored, but n2 did not serve it within")
	// Unchanged, and still waited for with --wait.
	cli(t, env, "apply", "--wait", "--wait-timeout", "50ms", "-f", file2).
		want(t, 1, "unchanged (revision 3), PENDING (1 of 2 nodes serve it)\n", "revision 3 is stored, but n2 did not serve it")
	// Without --wait, a lagging node is no failure, and PENDING is not said.
	r := cli(t, env, "apply", "-f", file3)
	r.want(t, 0, "applied at revision 4; nodes catching up\n", "")
	if strings.Contains(r.stdout, "PENDING") {
		t.Errorf("PENDING without --wait: %s", r.stdout)
	}
}

func TestCLIGetConfig(t *testing.T) {
	_, env := testNode(t, admin.Options{})
	r := cli(t, env, "get", "config")
	r.want(t, 0, "# revision 1\nzones:\n", "")
	if _, err := config.ParseTraffic("out", []byte(r.stdout), ""); err != nil {
		t.Errorf("the YAML printed does not parse: %v", err)
	}
	r = cli(t, env, "get", "-o", "json", "config")
	r.want(t, 0, `"zones": [`, "")
	if !json.Valid([]byte(r.stdout)) {
		t.Errorf("-o json is not JSON:\n%s", r.stdout)
	}
	cli(t, env, "get", "config", "-o", "table").want(t, 2, "", "-o table: want yaml or json")
	cli(t, env, "get", "health").want(t, 2, "", "gtmd get health: the only thing to get is config")
	cli(t, env, "get").want(t, 2, "", "want what to get: config, got 0 argument(s)")
}

func TestCLIHealthAndMembers(t *testing.T) {
	b, env := testNode(t, admin.Options{})
	b.AddMember(member.Member{ID: "n2", Region: "eu", Admin: "http://192.0.2.2:8300", DNS: []string{"192.0.2.2:53"}})

	r := cli(t, env, "health")
	r.want(t, 0, "SERVICE           ENDPOINT  STATUS   SINCE  OVERRIDE  REASON", "")
	if !strings.Contains(r.stdout, "www.example.com.  us-east   healthy") || !strings.Contains(r.stdout, "n1:up(1ms) n2:up(1ms)") {
		t.Errorf("health table:\n%s", r.stdout)
	}
	r = cli(t, env, "health", "-o", "json")
	var hl admin.HealthList
	if err := json.Unmarshal([]byte(r.stdout), &hl); err != nil || len(hl.Endpoints) != 2 {
		t.Errorf("health JSON: %v\n%s", err, r.stdout)
	}

	r = cli(t, env, "members")
	r.want(t, 0, "ID  REGION  REVISION  VERSION  DNS", "")
	if !strings.Contains(r.stdout, "n2  eu      1         -        192.0.2.2:53  http://192.0.2.2:8300") {
		t.Errorf("members table:\n%s", r.stdout)
	}
	r = cli(t, env, "members", "-o", "json")
	var ml admin.MemberList
	if err := json.Unmarshal([]byte(r.stdout), &ml); err != nil || len(ml.Members) != 2 {
		t.Errorf("members JSON: %v\n%s", err, r.stdout)
	}
	cli(t, env, "members", "n2").want(t, 2, "", "gtmd members: want no arguments, got 1 argument(s): n2")
}

func TestCLIDrainUndrain(t *testing.T) {
	b, env := testNode(t, admin.Options{})

	// Flags after the arguments.
	cli(t, env, "drain", "www.example.com", "us-east", "--reason", "maintenance").
		want(t, 0, "drained us-east of www.example.com.: every node leaves it out of its answers until gtmd undrain\n", "")
	if o, ok := b.Override("www.example.com.", "us-east"); !ok || o.State != "down" || o.Reason != "maintenance" {
		t.Errorf("override: %+v %v", o, ok)
	}
	r := cli(t, env, "health")
	if !strings.Contains(r.stdout, "us-east   UNHEALTHY  -      down      override down: maintenance") {
		t.Errorf("health after drain:\n%s", r.stdout)
	}
	// Flags before the arguments.
	cli(t, env, "drain", "--reason=x", "-o", "json", "www.example.com.", "eu-west").want(t, 0, `"state": "down"`, "")

	cli(t, env, "undrain", "www.example.com", "us-east").want(t, 0, "undrained us-east of www.example.com.: its health checks decide again\n", "")
	if _, ok := b.Override("www.example.com.", "us-east"); ok {
		t.Error("override not cleared")
	}
	// Nothing to undrain: what was asked for holds, exit 0.
	cli(t, env, "undrain", "www.example.com", "us-east").
		want(t, 0, "us-east of www.example.com. had no override, nothing to undrain: its health checks decide\n", "")
	r = cli(t, env, "undrain", "-o", "json", "www.example.com", "us-east")
	r.want(t, 0, `"no_override": true`, "")
	// A mistyped endpoint: the error lists the ones there are.
	cli(t, env, "drain", "www.example.com", "ap-south").
		want(t, 1, "", "gtmd drain: service www.example.com. has no endpoint ap-south; its endpoints are us-east, eu-west: not found\n")
	cli(t, env, "undrain", "www.example.com", "ap-south").
		want(t, 1, "", "gtmd undrain: service www.example.com. has no endpoint ap-south; its endpoints are us-east, eu-west: not found\n")
	cli(t, env, "drain", "www.example.com").want(t, 2, "", "gtmd drain: want SERVICE ENDPOINT or --region REGION, got 1 argument(s): www.example.com")
}

// TestCLIRegionsAndAudit: drain, force-up and undrain take --region; the
// node hears the reason and the caller; gtmd audit prints the trail.
func TestCLIRegionsAndAudit(t *testing.T) {
	b, env := testNode(t, admin.Options{})
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
		state  string // the region's override after it, "" for none
	}{
		{[]string{"drain", "--region", "us-east", "--reason", "maintenance"}, 0, "region us-east drained: every node leaves it out of its answers", "", "down"},
		{[]string{"force-up", "--region=us-east", "-o", "json"}, 0, `"state": "up"`, "", "up"},
		{[]string{"undrain", "--region", "us-east", "--reason", "done"}, 0, "undrained region us-east", "", ""},
		{[]string{"undrain", "--region", "us-east"}, 0, "region us-east had no override, nothing to undrain", "", ""},
		{[]string{"undrain", "--region", "us-east", "-o", "json"}, 0, `"no_override": true`, "", ""},
		{[]string{"drain", "--region", "mars"}, 1, "", "gtmd drain: no endpoint has region mars; the document's regions are eu-west, us-east: not found", ""},
		{[]string{"undrain", "--region", "mars"}, 1, "", "gtmd undrain: no endpoint has region mars; the document's regions are eu-west, us-east: not found", ""},
		{[]string{"drain", "--region", "us-east", "www.example.com", "us-east"}, 2, "", "want --region REGION without SERVICE ENDPOINT", ""},
		{[]string{"force-up", "www.example.com"}, 2, "", "want SERVICE ENDPOINT or --region REGION", ""},
	} {
		cli(t, env, tc.args...).want(t, tc.code, tc.stdout, tc.stderr)
		o, ok := b.RegionOverride("us-east")
		if ok != (tc.state != "") || o.State != tc.state {
			t.Errorf("after %v: region override %+v %v, want %q", tc.args, o, ok, tc.state)
		}
	}
	cli(t, env, "force-up", "www.example.com", "eu-west", "--reason", "canary").
		want(t, 0, "forced up eu-west of www.example.com.: every node answers with it, whatever its checks say, until gtmd undrain", "")
	if o, _ := b.Override("www.example.com.", "eu-west"); o.State != "up" || o.Reason != "canary" {
		t.Errorf("endpoint override %+v", o)
	}

	r := cli(t, env, "audit")
	r.want(t, 0, "WHEN", "")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("audit table:\n%s", r.stdout)
	}
	for i, want := range [][]string{
		{"loopback", "127.0.0.1", "drain", "region:us-east", "maintenance"},
		{"loopback", "127.0.0.1", "force-up", "region:us-east", "-"},
		{"loopback", "127.0.0.1", "undrain", "region:us-east", "done"},
	} {
		if f := strings.Fields(lines[i+1]); len(f) != 6 || !slices.Equal(f[1:], want) {
			t.Errorf("audit line %d: %q, want when then %v", i+1, lines[i+1], want)
		}
	}
	cli(t, env, "audit", "--limit", "1", "-o", "json").want(t, 0, `"target": "region:us-east"`, "")
	if r := cli(t, env, "audit", "--limit", "1", "-o", "json"); strings.Count(r.stdout, `"action"`) != 1 || !strings.Contains(r.stdout, `"reason": "done"`) {
		t.Errorf("audit --limit 1:\n%s", r.stdout)
	}
}

func TestCLIExplain(t *testing.T) {
	// Two other nodes, listed as this node's peers; n3 drains us-east
	// below, so the nodes disagree.
	b2, b3 := admintest.New("n2", nil), admintest.New("n3", nil)
	s2, s3 := admintest.NewServer(t, b2, admin.Options{}), admintest.NewServer(t, b3, admin.Options{})
	peers, err := admin.NewPeers([]string{s2.URL, s3.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, env := testNode(t, admin.Options{Peers: peers})
	r := cli(t, env, "explain", "www.example.com", "--client", "192.0.2.9", "A")
	r.want(t, 0, "node:       n1\nquery:      www.example.com. A\nclient:     192.0.2.9, not located\nrcode:      NOERROR\nservice:    www.example.com.\nrule:       failover: priority 1\n", "")
	for _, want := range []string{"answer:\n  www.example.com. 30 IN A 198.51.100.10\n", "endpoints:\n  us-east  healthy\n", "steps:\n  1.  candidate"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, r.stdout)
		}
	}
	r = cli(t, env, "explain", "-o", "json", "--ecs", "198.51.100.0/24", "--", "www.example.com")
	var ex admin.Explanation
	if err := json.Unmarshal([]byte(r.stdout), &ex); err != nil || ex.Client.Subnet != "198.51.100.0/24" {
		t.Errorf("explain JSON: %v\n%s", err, r.stdout)
	}
	cli(t, env, "explain", "www.example.com", "BOGUS").want(t, 1, "", `gtmd explain: type "BOGUS" is not a DNS type such as A, AAAA or TXT`)
	cli(t, env, "explain").want(t, 2, "", "want NAME [TYPE]")

	b.AddMember(member.Member{ID: "n2", Admin: s2.URL})
	b.AddMember(member.Member{ID: "n3", Admin: s3.URL})
	r = cli(t, env, "explain", "www.example.com", "--all-nodes")
	r.want(t, 0, "NODE  RCODE    RULE                  ANSWER\nn1    NOERROR  failover: priority 1  198.51.100.10\nn2 ", "")
	if !strings.HasSuffix(r.stdout, "agree: yes\n") {
		t.Errorf("agreement:\n%s", r.stdout)
	}
	if err := b3.SetOverride(context.Background(), "www.example.com.", "us-east", health.Override{State: "down"}); err != nil {
		t.Fatal(err)
	}
	r = cli(t, env, "explain", "www.example.com", "--all-nodes")
	r.want(t, 1, "n3    NOERROR  failover: priority 2  203.0.113.10\nagree: NO: n1 answers", "gtmd explain: the nodes disagree: n1 answers")
	cli(t, env, "explain", "--all-nodes", "-o", "json", "www.example.com").want(t, 1, `"agree": false`, "the nodes disagree")
}

// TestCLIExplainUnanswered: nodes that refuse the token or cannot be
// reached are listed as such and do not make the nodes disagree; the
// exit code is 1 only when the nodes that answered differ.
func TestCLIExplainUnanswered(t *testing.T) {
	dir := t.TempDir()
	tokens := writeFile(t, dir, "tokens", "viewer read "+admin.HashToken("read-token")+"\n")
	otherTokens := writeFile(t, dir, "other", "viewer read "+admin.HashToken("another-token")+"\n")
	env := map[string]string{EnvTokenFile: writeFile(t, dir, "token", "read-token\n")}

	b2 := admintest.New("n2", nil)
	s2 := admintest.NewServer(t, b2, admin.Options{TokensFile: tokens})
	s3 := admintest.NewServer(t, admintest.New("n3", nil), admin.Options{TokensFile: otherTokens})
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	peers, err := admin.NewPeers([]string{s2.URL, s3.URL, gone.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := admintest.New("n1", nil)
	env[EnvAdmin] = admintest.NewServer(t, b, admin.Options{TokensFile: tokens, Peers: peers}).URL
	b.AddMember(member.Member{ID: "n2", Admin: s2.URL})
	b.AddMember(member.Member{ID: "n3", Admin: s3.URL})
	b.AddMember(member.Member{ID: "n4", Admin: gone.URL})

	r := cli(t, env, "explain", "www.example.com", "--all-nodes")
	r.want(t, 0, "n3    -        -                     unauthorized: 401 Unauthorized: ", "")
	for _, want := range []string{"\nn4    -        -                     unreachable: ", "\nagree: yes, among the 2 of 4 nodes that answered\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	var all admin.ExplainAll
	r = cli(t, env, "explain", "www.example.com", "--all-nodes", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || r.code != 0 || !all.Agree || all.Answered != 2 ||
		all.Nodes[2].Status != admin.PeerUnauthorized || all.Nodes[3].Status != admin.PeerUnreachable {
		t.Errorf("-o json: exit %d, %v\n%s", r.code, err, r.stdout)
	}

	// The two that answer now differ: that is a disagreement, whatever
	// the others.
	if err := b2.SetOverride(t.Context(), "www.example.com.", "us-east", health.Override{State: "down"}); err != nil {
		t.Fatal(err)
	}
	cli(t, env, "explain", "www.example.com", "--all-nodes").want(t, 1, "agree: NO: n1 answers", "gtmd explain: the nodes disagree: n1 answers")

	// A node with no peers answers alone: nothing is compared, and the
	// line does not say yes.
	lone := admintest.New("n1", nil)
	lone.AddMember(member.Member{ID: "n2", Admin: s2.URL})
	loneEnv := map[string]string{EnvTokenFile: env[EnvTokenFile], EnvAdmin: admintest.NewServer(t, lone, admin.Options{TokensFile: tokens}).URL}
	cli(t, loneEnv, "explain", "www.example.com", "--all-nodes").want(t, 0, "\nagree: - (only 1 of 2 nodes answered, nothing to compare; list the others in admin.peers to ask them)\n", "")
}

func TestCLITokens(t *testing.T) {
	dir := t.TempDir()
	tokens := writeFile(t, dir, "tokens", "viewer read "+admin.HashToken("read-token")+"\nops write "+admin.HashToken("write-token")+"\n")
	b, env := testNode(t, admin.Options{TokensFile: tokens})
	readFile := writeFile(t, dir, "read", "read-token\n")
	writeTok := writeFile(t, dir, "write", "  write-token\n\n")

	// Told what to give, in the CLI's terms, not the API's.
	cli(t, env, "members").want(t, 1, "", "gtmd members: this node wants a token: give the file that holds one with --token-file FILE or GTMD_TOKEN_FILE=FILE\n")
	cli(t, env, "members", "--token-file", readFile).want(t, 0, "ID", "")
	cli(t, env, "drain", "--token-file", readFile, "www.example.com", "us-east").
		want(t, 1, "", "gtmd drain: PUT /v1/overrides/{service}/{endpoint} changes the cluster and needs a token with the write role; token viewer has the read role\n")
	if _, ok := b.Override("www.example.com.", "us-east"); ok {
		t.Error("a read token drained an endpoint")
	}
	// The token file from the environment; the flag wins over it.
	env[EnvTokenFile] = writeTok
	cli(t, env, "drain", "www.example.com", "us-east").want(t, 0, "drained", "")
	cli(t, env, "undrain", "www.example.com", "us-east", "--token-file", readFile).want(t, 1, "", "needs a token with the write role")

	bad := writeFile(t, dir, "bad", "wrong-token")
	cli(t, env, "members", "--token-file", bad).want(t, 1, "", "gtmd members: the token is not one of this node's tokens (the token read from "+bad+", named by --token-file or GTMD_TOKEN_FILE)\n")
	empty := writeFile(t, dir, "empty", "\n")
	cli(t, env, "members", "--token-file", empty).want(t, 1, "", "gtmd members: the token file "+empty+" is empty\n")
	cli(t, env, "members", "--token-file", filepath.Join(dir, "none")).want(t, 1, "", "gtmd members: reading the token file: open ")
}

func TestCLIAdminURL(t *testing.T) {
	_, env := testNode(t, admin.Options{})
	// --admin wins over the environment.
	cli(t, map[string]string{EnvAdmin: "http://127.0.0.1:1"}, "members", "--admin", env[EnvAdmin]).want(t, 0, "ID", "")
	// Without a scheme, http is meant.
	cli(t, nil, "members", "--admin", strings.TrimPrefix(env[EnvAdmin], "http://")).want(t, 0, "ID", "")

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	cli(t, map[string]string{EnvAdmin: closed.URL}, "health").want(t, 1, "", "gtmd health: cannot reach the admin API at "+closed.URL+": ")
	cli(t, nil, "health", "--admin", "ftp://x").want(t, 2, "", `gtmd health: --admin "ftp://x": want a URL such as http://127.0.0.1:8300`)

	// Something that is not gtmd answers; it is told who asks.
	agent := make(chan string, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent <- r.Header.Get("User-Agent")
		http.Error(w, "teapot", http.StatusTeapot)
	}))
	t.Cleanup(other.Close)
	cli(t, nil, "health", "--admin", other.URL).want(t, 1, "", "gtmd health: 418 I'm a teapot from "+other.URL+"\n")
	if ua := <-agent; ua != "gtmd/test" {
		t.Errorf("User-Agent %q, want gtmd/test", ua)
	}
}

func TestCLIEnvironment(t *testing.T) {
	_, env := testNode(t, admin.Options{})
	t.Setenv(EnvAdmin, env[EnvAdmin])
	t.Setenv(EnvTokenFile, "")
	var out, errOut bytes.Buffer
	handled, code := Run(t.Context(), Env{Stdout: &out, Stderr: &errOut, Getenv: os.Getenv}, "members", nil)
	if !handled || code != 0 || !strings.HasPrefix(out.String(), "ID") {
		t.Errorf("Run with GTMD_ADMIN: %v %d %s %s", handled, code, out.String(), errOut.String())
	}
}

func TestCLIValidate(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", admintest.TrafficYAML)
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(admintest.TrafficYAML, "check: us-web", "check: nope", 1))
	// validate calls no node: it takes no --admin, whatever the
	// environment says.
	env := map[string]string{EnvAdmin: "http://127.0.0.1:1"}
	cli(t, env, "validate", "-f", good).want(t, 0, good+": ok (1 zones, 1 services, 2 checks; ", "")
	cli(t, env, "validate", "-f", bad).want(t, 1, "", "gtmd validate: "+bad+" is invalid:\n"+bad+":13:")

	// -o json: the counts and sizes of a valid document; the faults of an
	// invalid one on stdout, as apply -o json prints them.
	r := cli(t, env, "validate", "-f", good, "-o", "json")
	r.want(t, 0, `"valid": true`, "")
	var ok validation
	if err := json.Unmarshal([]byte(r.stdout), &ok); err != nil || ok.File != good || ok.Services != 1 || ok.Checks != 2 || ok.StoredBytes == 0 || ok.MaxBytes != config.MaxDocumentBytes {
		t.Errorf("validate -o json of a valid document: %v %s", err, r.stdout)
	}
	// A node file: checked with --node, and named as one when given to -f.
	nodeFile := writeFile(t, dir, "gtmd.yaml", "node: {id: n1}\nstore: {embedded: {}}\n")
	cli(t, env, "validate", "--node", nodeFile).want(t, 0, nodeFile+": ok (node n1)\n", "")
	cli(t, env, "validate", "-f", nodeFile).want(t, 1, "", "gtmd validate: "+nodeFile+" is invalid (it looks like a node file: check it with gtmd validate --node "+nodeFile+"):\n")
	cli(t, env, "validate", "--node", good).want(t, 1, "", "gtmd validate: "+good+" is invalid (it looks like a traffic document: check it with gtmd validate -f "+good+"):\n")
	// Files serve must read at start, relative to the node file.
	writeFile(t, dir, "tokens", "")
	withFiles := writeFile(t, dir, "files.yaml", "node: {id: n1}\nadmin: {tokens_file: tokens}\ngeoip: {database: nope.mmdb}\n")
	cli(t, env, "validate", "--node", withFiles).want(t, 1, "", "gtmd validate: "+withFiles+" names files serve cannot read:\ngeoip.database: open "+filepath.Join(dir, "nope.mmdb")+": no such file or directory\n")
	cli(t, env, "validate", "-f", good, "--node", nodeFile).want(t, 2, "", "gtmd validate: -f and --node check different files: give one\n")

	r = cli(t, env, "validate", "-f", bad, "-o", "json")
	// The faults once, on stdout; stderr says where they are.
	r.want(t, 1, "", "gtmd validate: "+bad+" is invalid (the faults are in the JSON on stdout)\n")
	if strings.Contains(r.stderr, ":13:") {
		t.Errorf("validate -o json repeats the faults on stderr:\n%s", r.stderr)
	}
	var refused admin.ErrorBody
	if err := json.Unmarshal([]byte(r.stdout), &refused); err != nil || len(refused.Faults) != 1 || refused.Faults[0].Line != 13 || refused.Faults[0].Field == "" {
		t.Errorf("validate -o json of an invalid document: %v %s", err, r.stdout)
	}
	r = cli(t, env, "validate", "-f", filepath.Join(dir, "none.yaml"), "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &refused); err != nil || r.code != 1 || len(refused.Faults) != 1 || !strings.Contains(refused.Faults[0].Message, "none.yaml") {
		t.Errorf("validate -o json of a missing file: exit %d, %v %s", r.code, err, r.stdout)
	}
	cli(t, env, "validate", "-f", good, "-o", "yaml").want(t, 2, "", "-o yaml: want table or json")
	cli(t, env, "validate").want(t, 2, "", "gtmd validate: -f FILE (a traffic document) or --node FILE (a node file) is required\nUsage: gtmd validate -f FILE | --node FILE")
	cli(t, env, "validate", "-f", good, "stray").want(t, 2, "", "gtmd validate: want no arguments, got 1 argument(s): stray")
	cli(t, env, "validate", "-f", good, "--admin", "x").want(t, 2, "", "flag provided but not defined: -admin")
	cli(t, env, "validate", "-h").want(t, 0, "", "Usage: gtmd validate -f FILE | --node FILE [flags]")
}

// TestCLIJSONIsTheAPIs checks that -o json prints what the API answers,
// byte for byte, so that scripts read the API's own format.
func TestCLIJSONIsTheAPIs(t *testing.T) {
	b, env := testNode(t, admin.Options{})
	b.AddMember(member.Member{ID: "n2", Region: "eu", DNS: []string{"192.0.2.2:53"}})
	if err := b.SetOverride(t.Context(), "www.example.com.", "us-east", health.Override{State: "down", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		path string
	}{
		{[]string{"health"}, "/v1/health"},
		{[]string{"members"}, "/v1/members"},
		{[]string{"explain", "www.example.com", "AAAA", "--client", "192.0.2.9"}, "/v1/explain?name=www.example.com&type=AAAA&client=192.0.2.9"},
		{[]string{"explain", "www.example.com", "--client", "192.0.2.9", "--all-nodes"}, "/v1/explain?name=www.example.com&client=192.0.2.9&all_nodes=1"},
		{[]string{"get", "config"}, "/v1/config"},
	} {
		resp, err := http.Get(env[EnvAdmin] + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v", tc.path, resp.Status, err)
		}
		// explain --all-nodes lists n2, which has no admin API to ask,
		// as not asked.
		r := cli(t, env, append(tc.args, "-o", "json")...)
		if r.code == ExitUsage || r.stdout != string(want) {
			t.Errorf("%s -o json: exit %d, printed\n%s\nthe API answers\n%s", tc.args, r.code, r.stdout, want)
		}
	}
}
