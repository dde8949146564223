package cluster

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/gtmd/gtmd/pkg/health"
)

// TestStoredFormat pins the JSON kept under observations/, overrides/ and
// external/: values written by earlier versions (whose cluster package had
// types of its own) still decode, and what this version writes for them
// is byte for byte what they wrote, so nodes of both versions can share a
// cluster during a rolling upgrade.
func TestStoredFormat(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	key := health.EndpointKey{Service: "www.example.com.", Endpoint: "us-east"}
	cases := []struct {
		name string
		key  string
		old  string // as the earlier version stored it
		// same reports whether this version writes old exactly.
		same bool
		want func(*State) any
		val  any
	}{
		{"observation down", testPrefix + "observations/a/us-web",
			`{"status":"down","latency_ns":3000000,"error":"connection refused","at":"2025-01-01T00:00:00Z"}`, true,
			func(s *State) any { return s.Observations["a"]["us-web"] },
			health.Observation{Status: health.Down, Latency: 3 * time.Millisecond, Error: "connection refused", At: at}},
		{"observation up", testPrefix + "observations/a/eu-web",
			`{"status":"up","at":"2025-01-01T00:00:00Z"}`, true,
			func(s *State) any { return s.Observations["a"]["eu-web"] },
			health.Observation{Status: health.Up, At: at}},
		{"override", testPrefix + "overrides/www.example.com./us-east",
			`{"state":"down","reason":"maintenance","at":"2025-01-01T00:00:00Z"}`, true,
			func(s *State) any { return s.Overrides[key] },
			health.Override{State: health.OverrideDown, Reason: "maintenance", At: at}},
		// The earlier version wrote a zero time; this one leaves it out,
		// which the earlier one read as zero too.
		{"override without a time", testPrefix + "overrides/www.example.com./us-east",
			`{"state":"up","at":"0001-01-01T00:00:00Z"}`, false,
			func(s *State) any { return s.Overrides[key] },
			health.Override{State: health.OverrideUp}},
		{"external", testPrefix + "external/pushed",
			`{"healthy":true,"expires":"2025-01-01T00:01:00Z","at":"2025-01-01T00:00:00Z"}`, true,
			func(s *State) any { return s.External["pushed"] },
			health.External{Healthy: true, Expires: at.Add(time.Minute), At: at}},
	}
	s := &Store{keys: keys{prefix: testPrefix}, log: slog.New(slog.DiscardHandler)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newState()
			s.applyPut(st, &mvccpb.KeyValue{Key: []byte(c.key), Value: []byte(c.old), ModRevision: 7})
			if got := c.want(st); !reflect.DeepEqual(got, c.val) {
				t.Errorf("decoded %+v, want %+v", got, c.val)
			}
			b, err := json.Marshal(c.val)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b) == c.old; got != c.same {
				t.Errorf("written as %s; the earlier version wrote %s", b, c.old)
			}
			var back any = reflect.New(reflect.TypeOf(c.val)).Interface()
			if err := json.Unmarshal(b, back); err != nil || !reflect.DeepEqual(reflect.ValueOf(back).Elem().Interface(), c.val) {
				t.Errorf("%s does not read back: %v", b, err)
			}
		})
	}
}
