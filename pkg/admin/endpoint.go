package admin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gtmd/gtmd/pkg/config"
)

// FindEndpoint returns the endpoint of service (a canonical name) in
// doc. When there is none the ErrNotFound it returns names the service's
// endpoints, so that an operator who mistyped one sees the right ids
// without another call.
func FindEndpoint(doc *config.Traffic, service, endpoint string) (config.Endpoint, error) {
	if doc == nil {
		return config.Endpoint{}, fmt.Errorf("no service %s: no traffic document is served: %w", service, ErrNotFound)
	}
	for _, s := range doc.Services {
		if s.Name != service {
			continue
		}
		ids := make([]string, 0, len(s.Endpoints))
		for _, e := range s.Endpoints {
			if e.ID == endpoint {
				return e, nil
			}
			ids = append(ids, e.ID)
		}
		return config.Endpoint{}, fmt.Errorf("service %s has no endpoint %s; its endpoints are %s: %w", service, endpoint, strings.Join(ids, ", "), ErrNotFound)
	}
	return config.Endpoint{}, fmt.Errorf("no service %s: %w", service, ErrNotFound)
}

// FindRegion checks that some endpoint of doc has region (its region
// field, or its id). When none has, the ErrNotFound it returns names the
// regions the document defines, so that an operator who mistyped one
// sees the right names without another call.
func FindRegion(doc *config.Traffic, region string) error {
	if doc == nil {
		return fmt.Errorf("no endpoint has region %s: no traffic document is served: %w", region, ErrNotFound)
	}
	var regions []string
	for _, s := range doc.Services {
		for i := range s.Endpoints {
			r := s.Endpoints[i].RegionName()
			if r == region {
				return nil
			}
			regions = append(regions, r)
		}
	}
	slices.Sort(regions)
	return fmt.Errorf("no endpoint has region %s; the document's regions are %s: %w", region, strings.Join(slices.Compact(regions), ", "), ErrNotFound)
}
