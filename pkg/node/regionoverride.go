package node

import (
	"maps"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// Region-wide overrides reach the health rule as endpoint overrides: an
// endpoint whose region has one takes it, unless the endpoint has an
// override of its own, since the most specific decision wins.

// regionOverride is the override a region's decision gives one of its
// endpoints; its reason names the region, so health and events say why.
func regionOverride(region string, o health.Override) health.Override {
	reason := "region " + region
	if o.Reason != "" {
		reason += ": " + o.Reason
	}
	return health.Override{State: o.State, Reason: reason, At: o.At}
}

// effectiveOverrides are the store's endpoint overrides with the
// region-wide ones filled in; without region overrides it is the
// store's own map, not a copy.
func effectiveOverrides(t *config.Traffic, st *cluster.State) map[health.EndpointKey]health.Override {
	if st == nil {
		return nil
	}
	if len(st.RegionOverrides) == 0 || t == nil {
		return st.Overrides
	}
	out := maps.Clone(st.Overrides)
	if out == nil {
		out = map[health.EndpointKey]health.Override{}
	}
	for _, svc := range t.Services {
		for i := range svc.Endpoints {
			e := &svc.Endpoints[i]
			k := health.EndpointKey{Service: svc.Name, Endpoint: e.ID}
			if _, own := out[k]; own {
				continue
			}
			if o, ok := st.RegionOverrides[e.RegionName()]; ok {
				out[k] = regionOverride(e.RegionName(), o)
			}
		}
	}
	return out
}

// effectiveOverride is effectiveOverrides for one endpoint; the zero
// Override when neither it nor its region has one.
func effectiveOverride(t *config.Traffic, st *cluster.State, k health.EndpointKey) health.Override {
	region := ""
	if e, err := admin.FindEndpoint(t, k.Service, k.Endpoint); err == nil {
		region = e.RegionName()
	}
	return effectiveOverrideIn(st, k, region)
}

// effectiveOverrideIn is effectiveOverride for an endpoint whose region
// is known ("" for none), as a region-wide change knows it for each of
// the region's endpoints without looking it up.
func effectiveOverrideIn(st *cluster.State, k health.EndpointKey, region string) health.Override {
	if st == nil {
		return health.Override{}
	}
	if o, ok := st.Overrides[k]; ok {
		return o
	}
	if o, ok := st.RegionOverrides[region]; ok && region != "" {
		return regionOverride(region, o)
	}
	return health.Override{}
}

// regionEndpoints lists every endpoint of region, in every service.
func regionEndpoints(t *config.Traffic, region string) []health.EndpointKey {
	if t == nil {
		return nil
	}
	var out []health.EndpointKey
	for _, svc := range t.Services {
		for i := range svc.Endpoints {
			if e := &svc.Endpoints[i]; e.RegionName() == region {
				out = append(out, health.EndpointKey{Service: svc.Name, Endpoint: e.ID})
			}
		}
	}
	return out
}
