package health

import "github.com/gtmd/gtmd/pkg/config"

// EndpointKey names one endpoint of one service, spelt as in the traffic
// document.
type EndpointKey struct {
	Service  string
	Endpoint string
}

// Override states.
const (
	// OverrideDown forces an endpoint down (drain).
	OverrideDown = "down"
	// OverrideUp forces an endpoint up.
	OverrideUp = "up"
)

// Override is an operator's decision about one endpoint, which beats any
// check.
type Override struct {
	// State is OverrideDown or OverrideUp; anything else is ignored.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// EndpointHealth says, for every endpoint of every service in t, whether it
// is healthy: an override decides first (down: false, up: true); else an
// endpoint with no check is healthy; else it is healthy unless its check's
// status is Down (Unknown counts as healthy). status may be nil, which
// leaves every check Unknown. EndpointHealth is a pure function.
func EndpointHealth(t *config.Traffic, status func(check string) Status, overrides map[EndpointKey]Override) map[EndpointKey]bool {
	out := map[EndpointKey]bool{}
	if t == nil {
		return out
	}
	for _, svc := range t.Services {
		for _, ep := range svc.Endpoints {
			k := EndpointKey{Service: svc.Name, Endpoint: ep.ID}
			if o, ok := overrides[k]; ok && (o.State == OverrideDown || o.State == OverrideUp) {
				out[k] = o.State == OverrideUp
				continue
			}
			if ep.Check == "" || status == nil {
				out[k] = true
				continue
			}
			out[k] = status(ep.Check).Healthy()
		}
	}
	return out
}
