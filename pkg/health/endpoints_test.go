package health_test

import (
	"maps"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

func TestEndpointHealth(t *testing.T) {
	doc := &config.Traffic{Services: []config.Service{{
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
		},
	}, {
		Name:      "api.example.com.",
		Endpoints: []config.Endpoint{{ID: "up", Check: "c-down"}},
	}}}
	statuses := map[string]health.Status{"c-up": health.Up, "c-down": health.Down, "c-unknown": health.Unknown}
	status := func(c string) health.Status { return statuses[c] }
	key := func(svc, ep string) health.EndpointKey { return health.EndpointKey{Service: svc, Endpoint: ep} }
	www := func(ep string) health.EndpointKey { return key("www.example.com.", ep) }
	overrides := map[health.EndpointKey]health.Override{
		www("drained"):      {State: health.OverrideDown, Reason: "maintenance"},
		www("forced"):       {State: health.OverrideUp},
		www("odd-override"): {State: "sideways"},
		www("gone"):         {State: health.OverrideDown},
	}
	want := map[health.EndpointKey]bool{
		www("nocheck"):                true,
		www("up"):                     true,
		www("down"):                   false,
		www("unknown"):                true,
		www("missing"):                true,
		www("drained"):                false,
		www("forced"):                 true,
		www("odd-override"):           false,
		key("api.example.com.", "up"): false,
	}
	if got := health.EndpointHealth(doc, status, overrides); !maps.Equal(got, want) {
		t.Errorf("EndpointHealth:\n got %v\nwant %v", got, want)
	}
	// No statuses: every check unknown, so healthy; overrides still rule.
	got := health.EndpointHealth(doc, nil, overrides)
	if !got[www("down")] || got[www("drained")] {
		t.Errorf("with no status function: %v", got)
	}
	if got := health.EndpointHealth(nil, status, nil); len(got) != 0 {
		t.Errorf("nil document: %v", got)
	}
}
