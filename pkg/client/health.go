package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/health"
)

// Health returns every service endpoint's health as the cluster sees it,
// with each node's latest observation.
func (c *Client) Health(ctx context.Context) ([]admin.EndpointStatus, error) {
	var hl admin.HealthList
	if err := c.getJSON(ctx, "/v1/health", nil, &hl); err != nil {
		return nil, err
	}
	return hl.Endpoints, nil
}

// Members returns the live nodes.
func (c *Client) Members(ctx context.Context) ([]member.Member, error) {
	var ml admin.MemberList
	if err := c.getJSON(ctx, "/v1/members", nil, &ml); err != nil {
		return nil, err
	}
	return ml.Members, nil
}

// SetOverride forces an endpoint down or up on every node, whatever its
// checks say, until ClearOverride. Service is taken with or without its
// trailing dot.
func (c *Client) SetOverride(ctx context.Context, service, endpoint string, o admin.OverrideRequest) (*admin.OverrideResult, error) {
	var res admin.OverrideResult
	if err := c.sendJSON(ctx, http.MethodPut, overridePath(service, endpoint), o, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Drain forces an endpoint down on every node: SetOverride with state
// down.
func (c *Client) Drain(ctx context.Context, service, endpoint, reason string) (*admin.OverrideResult, error) {
	return c.SetOverride(ctx, service, endpoint, admin.OverrideRequest{State: health.OverrideDown, Reason: reason})
}

// ClearOverride undoes SetOverride or Drain: the endpoint's checks decide
// again. An endpoint without an override is no error: the result says
// NoOverride. An unknown service or endpoint is an *APIError of status
// 404 whose message lists the service's endpoints.
func (c *Client) ClearOverride(ctx context.Context, service, endpoint string) (*admin.OverrideResult, error) {
	return c.ClearOverrideWhy(ctx, service, endpoint, "")
}

// ClearOverrideWhy is ClearOverride with a reason, recorded in the audit
// trail.
func (c *Client) ClearOverrideWhy(ctx context.Context, service, endpoint, reason string) (*admin.OverrideResult, error) {
	var res admin.OverrideResult
	if err := c.call(ctx, request{method: http.MethodDelete, path: overridePath(service, endpoint), query: reasonQuery(reason)}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func overridePath(service, endpoint string) string {
	return "/v1/overrides/" + url.PathEscape(service) + "/" + url.PathEscape(endpoint)
}

// SetCheckStatus reports the result of an external check, which holds
// for ttl (at most admin.MaxExternalTTL).
func (c *Client) SetCheckStatus(ctx context.Context, check string, healthy bool, ttl time.Duration) (*admin.CheckStatusResult, error) {
	var res admin.CheckStatusResult
	req := admin.CheckStatusRequest{Healthy: &healthy, TTL: ttl.String()}
	if err := c.sendJSON(ctx, http.MethodPut, "/v1/checks/"+url.PathEscape(check)+"/status", req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// reasonQuery is the query of a call that takes an operator's reason,
// none when it is empty.
func reasonQuery(reason string) url.Values {
	q := url.Values{}
	if reason != "" {
		q.Set("reason", reason)
	}
	return q
}
