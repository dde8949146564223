package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/health"
)

// SetRegionOverride forces every endpoint whose region is region down or
// up, in every service, on every node; an endpoint's own override still
// wins. A region no endpoint has is an *APIError of status 404 whose
// message lists the document's regions.
func (c *Client) SetRegionOverride(ctx context.Context, region string, o admin.OverrideRequest) (*admin.RegionOverrideResult, error) {
	var res admin.RegionOverrideResult
	if err := c.sendJSON(ctx, http.MethodPut, regionPath(region), o, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// DrainRegion is SetRegionOverride with state down.
func (c *Client) DrainRegion(ctx context.Context, region, reason string) (*admin.RegionOverrideResult, error) {
	return c.SetRegionOverride(ctx, region, admin.OverrideRequest{State: health.OverrideDown, Reason: reason})
}

// ClearRegionOverride undoes SetRegionOverride: the region's endpoints
// follow their checks (or their own overrides) again. reason, if any, is
// recorded in the audit trail. A region without an override is no error:
// the result says NoOverride. A region no endpoint has, and without an
// override, is an *APIError of status 404 whose message lists the
// document's regions.
func (c *Client) ClearRegionOverride(ctx context.Context, region, reason string) (*admin.RegionOverrideResult, error) {
	var res admin.RegionOverrideResult
	if err := c.call(ctx, request{method: http.MethodDelete, path: regionPath(region), query: reasonQuery(reason)}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func regionPath(region string) string {
	return "/v1/regions/" + url.PathEscape(region) + "/override"
}

// Audit returns the newest limit entries of the audit trail (every kept
// one when limit <= 0), oldest first.
func (c *Client) Audit(ctx context.Context, limit int) ([]audit.Entry, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []audit.Entry
	if err := c.getJSON(ctx, "/v1/audit", q, &out); err != nil {
		return nil, err
	}
	return out, nil
}
