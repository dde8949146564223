package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
)

// TestCLIFailover: the table adds the bound up per endpoint, says when
// propagation is assumed, and -o json prints the API's answer.
func TestCLIFailover(t *testing.T) {
	b, env := testNode(t, admin.Options{})
	r := cli(t, env, "failover", "www.example.com")
	r.want(t, 0, "service:      www.example.com. (ttl 30s)\npropagation:  1s assumed: no failover measured on this node yet", "")
	for _, want := range []string{
		"ENDPOINT  CHECK   DETECTION  + PROPAGATION  + TTL  = WORST CASE  DETECTED BY\n",
		"us-east   us-web  22s        1s (assumed)   30s    53s           check us-web: fall 2 × interval 10s + timeout 2s\n",
		"eu-west   pushed  -          1s (assumed)   30s    -             external check pushed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}

	b.SetPropagation(admin.Propagation{P99: 1234 * time.Millisecond, Samples: 9})
	r = cli(t, env, "failover", "www.example.com.")
	r.want(t, 0, "propagation:  p99 1.234s over the last 9 failovers this node measured\n", "")
	if !strings.Contains(r.stdout, "us-east   us-web  22s        1.234s         30s    53.234s") {
		t.Errorf("measured table:\n%s", r.stdout)
	}

	r = cli(t, env, "failover", "-o", "json", "www.example.com")
	var fb admin.FailoverBound
	if err := json.Unmarshal([]byte(r.stdout), &fb); err != nil || fb.Samples != 9 || len(fb.Endpoints) != 2 {
		t.Errorf("failover JSON: %v\n%s", err, r.stdout)
	}

	r = cli(t, env, "failover", "--all-nodes", "www.example.com")
	r.want(t, 0, "propagation:  p99 1.234s over the last 9 failovers the nodes measured\n  n1: p99 1.234s over 9\n", "")

	cli(t, env, "failover", "nope.example.com").want(t, 1, "", "gtmd failover: no service nope.example.com. in the served document: not found")
	cli(t, env, "failover").want(t, 2, "", "gtmd failover: want SERVICE, got 0 argument(s)")
	cli(t, env, "failover", "a", "b").want(t, 2, "", "want SERVICE")
}

func TestSecondsKeepsSubMillisecond(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		want string
	}{
		{0, "0s"},
		{0.000352, "352µs"},
		{0.0014, "1ms"},
		{12.5044, "12.504s"},
	} {
		if got := seconds(tc.s); got != tc.want {
			t.Errorf("seconds(%v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
