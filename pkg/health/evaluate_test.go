package health_test

import (
	"maps"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

const (
	up      = health.Up
	down    = health.Down
	unknown = health.Unknown
)

// evalNow is the Now of the evaluation tests.
var evalNow = time.Unix(2e9, 0)

// evalDoc is a document with one check of every kind Evaluate treats
// differently: observed, calculated (over observed, and over calculated
// and external) and external.
func evalDoc(quorum float64) *config.Traffic {
	return &config.Traffic{
		Services: []config.Service{{
			Name: "www.example.com.",
			Endpoints: []config.Endpoint{
				{ID: "us-east", Check: "us-web"},
				{ID: "eu-west", Check: "eu-web"},
			},
		}},
		Checks: []config.Check{
			{Name: "us-web", Type: config.CheckHTTP},
			{Name: "eu-web", Type: config.CheckTCP},
			{Name: "either", Type: config.CheckCalculated, Children: []string{"us-web", "eu-web"}, MinHealthy: 1},
			{Name: "pushed", Type: config.CheckExternal},
			{Name: "all", Type: config.CheckCalculated, Children: []string{"either", "pushed"}, MinHealthy: 2},
		},
		Settings: config.Settings{HealthQuorum: quorum},
	}
}

// observations builds node → check → observation from statuses.
func observations(m map[string]map[string]health.Status) map[string]map[string]health.Observation {
	out := map[string]map[string]health.Observation{}
	for n, checks := range m {
		out[n] = map[string]health.Observation{}
		for c, st := range checks {
			out[n][c] = health.Observation{Status: st, At: time.Unix(1e9, 0)}
		}
	}
	return out
}

type byNode = map[string]map[string]health.Status

func TestEvaluateQuorum(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		quorum float64
		obs    byNode
		want   health.Verdict // of us-web
	}{
		{"1 up 1 down at 0.5 is a tie, healthy", 0.5,
			byNode{"a": {"us-web": up}, "b": {"us-web": down}},
			health.Verdict{Status: up, Up: 1, Down: 1, Reason: "1 of 2 nodes see it healthy (quorum 0.5)"}},
		{"1 up 1 down at 0.75 is down", 0.75,
			byNode{"a": {"us-web": up}, "b": {"us-web": down}},
			health.Verdict{Status: down, Up: 1, Down: 1, Reason: "1 of 2 nodes see it healthy (quorum 0.75)"}},
		{"2 up 1 down at 0.75 is down", 0.75,
			byNode{"a": {"us-web": up}, "b": {"us-web": up}, "c": {"us-web": down}},
			health.Verdict{Status: down, Up: 2, Down: 1, Reason: "2 of 3 nodes see it healthy (quorum 0.75)"}},
		{"3 up 1 down at 0.75 is exactly the quorum, up", 0.75,
			byNode{"a": {"us-web": up}, "b": {"us-web": up}, "c": {"us-web": up}, "d": {"us-web": down}},
			health.Verdict{Status: up, Up: 3, Down: 1, Reason: "3 of 4 nodes see it healthy (quorum 0.75)"}},
		{"1 up 2 down at 0.5 is down", 0.5,
			byNode{"a": {"us-web": up}, "b": {"us-web": down}, "c": {"us-web": down}},
			health.Verdict{Status: down, Up: 1, Down: 2, Reason: "1 of 3 nodes see it healthy (quorum 0.5)"}},
		{"all down is down", 0.5,
			byNode{"a": {"us-web": down}, "b": {"us-web": down}},
			health.Verdict{Status: down, Down: 2, Reason: "0 of 2 nodes see it healthy (quorum 0.5)"}},
		{"unknowns are ignored: up and unknown is up", 0.75,
			byNode{"a": {"us-web": up}, "b": {"us-web": unknown}},
			health.Verdict{Status: up, Up: 1, Reason: "1 of 1 nodes see it healthy (quorum 0.75)"}},
		{"unknowns are ignored: down and unknown is down", 0.5,
			byNode{"a": {"us-web": down}, "b": {"us-web": unknown}},
			health.Verdict{Status: down, Down: 1, Reason: "0 of 1 nodes see it healthy (quorum 0.5)"}},
		{"a node without this check is ignored", 0.5,
			byNode{"a": {"us-web": down}, "b": {"eu-web": up}},
			health.Verdict{Status: down, Down: 1, Reason: "0 of 1 nodes see it healthy (quorum 0.5)"}},
		{"only unknowns is unknown", 0.5,
			byNode{"a": {"us-web": unknown}, "b": {"us-web": unknown}},
			health.Verdict{Status: unknown, Reason: "no node has a result yet"}},
		{"no observations is unknown", 0.5, nil,
			health.Verdict{Status: unknown, Reason: "no node has a result yet"}},
		{"a single node decides alone", 0.5, byNode{"self": {"us-web": down}},
			health.Verdict{Status: down, Down: 1, Reason: "0 of 1 nodes see it healthy (quorum 0.5)"}},
		{"a document not validated takes the default quorum", 0,
			byNode{"a": {"us-web": up}, "b": {"us-web": down}},
			health.Verdict{Status: up, Up: 1, Down: 1, Reason: "1 of 2 nodes see it healthy (quorum 0.5)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := health.Evaluate(health.Inputs{Traffic: evalDoc(c.quorum), Observations: observations(c.obs), Now: evalNow})
			if v := ev.Checks["us-web"]; v != c.want {
				t.Errorf("us-web: got %+v, want %+v", v, c.want)
			}
		})
	}
}

func TestEvaluateExternalAndCalculated(t *testing.T) {
	t.Parallel()
	pushed := func(healthy bool, expiresIn time.Duration) map[string]health.External {
		return map[string]health.External{"pushed": {Healthy: healthy, At: evalNow.Add(-time.Second), Expires: evalNow.Add(expiresIn)}}
	}
	cases := []struct {
		name     string
		obs      byNode
		external map[string]health.External
		want     map[string]health.Status
		reasons  map[string]string
	}{
		{"pushed healthy", nil, pushed(true, time.Minute),
			map[string]health.Status{"pushed": up}, map[string]string{"pushed": "pushed healthy"}},
		{"pushed unhealthy", nil, pushed(false, time.Minute),
			map[string]health.Status{"pushed": down}, map[string]string{"pushed": "pushed unhealthy"}},
		{"pushed healthy but expired is down", nil, pushed(true, -time.Millisecond),
			map[string]health.Status{"pushed": down}, nil},
		{"pushed healthy expiring exactly now is down", nil, pushed(true, 0),
			map[string]health.Status{"pushed": down}, map[string]string{"pushed": "pushed status expired at 2033-05-18T03:33:20Z"}},
		{"nothing pushed is unknown", nil, nil,
			map[string]health.Status{"pushed": unknown, "us-web": unknown, "either": unknown, "all": unknown},
			map[string]string{"pushed": "no status pushed yet"}},
		{"a pushed status of another check does not count", nil,
			map[string]health.External{"other": {Healthy: true, At: evalNow, Expires: evalNow.Add(time.Minute)}},
			map[string]health.Status{"pushed": unknown}, nil},
		{"calculated: one child up of min 1 is up",
			byNode{"a": {"us-web": up, "eu-web": down}, "b": {"us-web": up, "eu-web": down}}, nil,
			map[string]health.Status{"us-web": up, "eu-web": down, "either": up},
			map[string]string{"either": "1 of 2 children healthy, need 1; down: eu-web"}},
		{"calculated: both children down is down",
			byNode{"a": {"us-web": down, "eu-web": down}}, nil,
			map[string]health.Status{"us-web": down, "eu-web": down, "either": down}, nil},
		{"calculated: a down and an unknown child is unknown",
			byNode{"a": {"us-web": down}}, nil,
			map[string]health.Status{"us-web": down, "eu-web": unknown, "either": unknown}, nil},
		{"calculated follows the children's quorum verdicts, not raw observations",
			byNode{"a": {"us-web": up, "eu-web": down}, "b": {"us-web": down, "eu-web": down}}, nil,
			map[string]health.Status{"us-web": up, "eu-web": down, "either": up}, nil},
		{"nested calculated over a calculated and an external child: both up",
			byNode{"a": {"us-web": up}}, pushed(true, time.Minute),
			map[string]health.Status{"either": up, "pushed": up, "all": up}, nil},
		{"nested calculated: the external child expired",
			byNode{"a": {"us-web": up}}, pushed(true, -time.Second),
			map[string]health.Status{"either": up, "pushed": down, "all": down},
			map[string]string{"all": "1 of 2 children healthy, need 2; down: pushed"}},
		{"nested calculated: the calculated child down",
			byNode{"a": {"us-web": down, "eu-web": down}}, pushed(true, time.Minute),
			map[string]health.Status{"either": down, "pushed": up, "all": down}, nil},
		{"an observation of an external or calculated check counts for nothing",
			byNode{"a": {"pushed": up, "either": down, "us-web": down, "eu-web": down}}, nil,
			map[string]health.Status{"pushed": unknown, "either": down}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := evalDoc(0.5)
			got := health.Evaluate(health.Inputs{Traffic: doc, Observations: observations(c.obs), External: c.external, Now: evalNow}).Checks
			if len(got) != len(doc.Checks) {
				t.Errorf("%d verdicts for %d checks: %v", len(got), len(doc.Checks), got)
			}
			for check, want := range c.want {
				if v := got[check]; v.Status != want {
					t.Errorf("%s: got %s (%s), want %s", check, v.Status, v.Reason, want)
				}
			}
			for check, want := range c.reasons {
				if v := got[check]; v.Reason != want {
					t.Errorf("%s: reason %q, want %q", check, v.Reason, want)
				}
			}
		})
	}
}

func TestEvaluateEndpoints(t *testing.T) {
	t.Parallel()
	doc := &config.Traffic{
		Services: []config.Service{{
			Name: "www.example.com.",
			Endpoints: []config.Endpoint{
				{ID: "nocheck"},
				{ID: "up", Check: "c-up"},
				{ID: "down", Check: "c-down"},
				{ID: "unknown", Check: "c-unknown"},
				{ID: "missing", Check: "c-missing"},
				{ID: "drained", Check: "c-up"},
				{ID: "forced", Check: "c-down"},
				{ID: "odd-override", Check: "c-down"},
				{ID: "lb-gone", Target: "gone.example.net.", Check: "c-up"},
				{ID: "lb-forced", Target: "gone.example.net."},
				{ID: "lb-ok", Target: "ok.example.net."},
			},
		}, {
			Name:      "api.example.com.",
			Endpoints: []config.Endpoint{{ID: "up", Check: "c-down"}},
		}},
		Checks: []config.Check{
			{Name: "c-up", Type: config.CheckTCP},
			{Name: "c-down", Type: config.CheckTCP},
			{Name: "c-unknown", Type: config.CheckTCP},
		},
	}
	key := func(svc, ep string) health.EndpointKey { return health.EndpointKey{Service: svc, Endpoint: ep} }
	www := func(ep string) health.EndpointKey { return key("www.example.com.", ep) }
	obs := observations(byNode{"self": {"c-up": up, "c-down": down, "c-unknown": unknown}})
	overrides := map[health.EndpointKey]health.Override{
		www("drained"):      {State: health.OverrideDown, Reason: "maintenance"},
		www("forced"):       {State: health.OverrideUp},
		www("odd-override"): {State: "sideways"},
		www("gone"):         {State: health.OverrideDown},
		www("lb-forced"):    {State: health.OverrideUp},
	}
	const gone = "target gone.example.net. did not resolve: NXDOMAIN"
	unresolved := map[string]string{"gone.example.net.": gone}
	const upReason, downReason = "1 of 1 nodes see it healthy (quorum 0.5)", "0 of 1 nodes see it healthy (quorum 0.5)"
	cases := []struct {
		name      string
		obs       map[string]map[string]health.Observation
		overrides map[health.EndpointKey]health.Override
		want      map[health.EndpointKey]health.EndpointVerdict
	}{
		{"overrides first, then an unresolved target, then the check, unknown healthy", obs, overrides, map[health.EndpointKey]health.EndpointVerdict{
			www("nocheck"):                {true, "no check: always healthy"},
			www("up"):                     {true, "check c-up: " + upReason},
			www("down"):                   {false, "check c-down: " + downReason},
			www("unknown"):                {true, "check c-unknown: no node has a result yet"},
			www("missing"):                {true, "check c-missing: no such check"},
			www("drained"):                {false, "override down: maintenance"},
			www("forced"):                 {true, "override up"},
			www("odd-override"):           {false, "check c-down: " + downReason},
			www("lb-gone"):                {false, gone},
			www("lb-forced"):              {true, "override up"},
			www("lb-ok"):                  {true, "no check: always healthy"},
			key("api.example.com.", "up"): {false, "check c-down: " + downReason},
		}},
		{"no results: every check unknown, overrides still rule", nil, overrides, map[health.EndpointKey]health.EndpointVerdict{
			www("nocheck"):                {true, "no check: always healthy"},
			www("up"):                     {true, "check c-up: no node has a result yet"},
			www("down"):                   {true, "check c-down: no node has a result yet"},
			www("unknown"):                {true, "check c-unknown: no node has a result yet"},
			www("missing"):                {true, "check c-missing: no such check"},
			www("drained"):                {false, "override down: maintenance"},
			www("forced"):                 {true, "override up"},
			www("odd-override"):           {true, "check c-down: no node has a result yet"},
			www("lb-gone"):                {false, gone},
			www("lb-forced"):              {true, "override up"},
			www("lb-ok"):                  {true, "no check: always healthy"},
			key("api.example.com.", "up"): {true, "check c-down: no node has a result yet"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := health.Evaluate(health.Inputs{Traffic: doc, Observations: c.obs, Overrides: c.overrides, Unresolved: unresolved, Now: evalNow})
			if !maps.Equal(ev.Endpoints, c.want) {
				t.Errorf("endpoints:\n got %v\nwant %v", ev.Endpoints, c.want)
			}
			healthy := ev.Healthy()
			for k, v := range c.want {
				if healthy[k] != v.Healthy {
					t.Errorf("Healthy()[%v] = %v, want %v", k, healthy[k], v.Healthy)
				}
			}
			if len(healthy) != len(c.want) {
				t.Errorf("Healthy() has %d endpoints, want %d", len(healthy), len(c.want))
			}
		})
	}
}

func TestEvaluateOddDocuments(t *testing.T) {
	t.Parallel()
	cycle := &config.Traffic{
		Services: []config.Service{{Name: "www.example.com.", Endpoints: []config.Endpoint{{ID: "a", Check: "x"}}}},
		Checks: []config.Check{
			{Name: "x", Type: config.CheckCalculated, Children: []string{"y"}, MinHealthy: 1},
			{Name: "y", Type: config.CheckCalculated, Children: []string{"x", "gone"}, MinHealthy: 2},
		},
	}
	cases := []struct {
		name string
		doc  *config.Traffic
		want map[string]health.Verdict
	}{
		{"no document decides nothing", nil, map[string]health.Verdict{}},
		{"a cycle and a missing child are unknown, not a loop", cycle, map[string]health.Verdict{
			"x":    {Status: unknown, Reason: "1 of 1 children healthy, need 1 (1 unknown)"},
			"y":    {Status: unknown, Reason: "2 of 2 children healthy, need 2 (2 unknown)"},
			"gone": {Status: unknown, Reason: "no such check"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := health.Evaluate(health.Inputs{Traffic: c.doc, Now: evalNow})
			if ev.Checks == nil || ev.Endpoints == nil {
				t.Fatal("nil maps")
			}
			for name, want := range c.want {
				if got := ev.Checks[name]; got != want {
					t.Errorf("%s: %+v, want %+v", name, got, want)
				}
			}
			if len(ev.Checks) < len(c.want) {
				t.Errorf("checks %v", ev.Checks)
			}
		})
	}
}
