package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gtmd/gtmd/pkg/admin"
)

// Zones are taken with or without their trailing dot, in any case. A
// zone the node does not serve (or, for DNSSECDS, does not sign) is an
// *APIError of status 404; on a node that does not sign zones every call
// is one of status 501.

// DNSSECDS returns the DS records the parent zone should hold for zone,
// in zone-file presentation format, one a line, each ended by a newline:
// ready to paste into the parent's zone.
func (c *Client) DNSSECDS(ctx context.Context, zone string) (string, error) {
	_, data, err := c.do(ctx, request{method: http.MethodGet, path: dnssecPath(zone, "/ds"), accept: "text/plain"})
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// DNSSECStatus returns a signed zone's keys, signing readiness and key
// rollover.
func (c *Client) DNSSECStatus(ctx context.Context, zone string) (*admin.DNSSECStatus, error) {
	var st admin.DNSSECStatus
	if err := c.getJSON(ctx, dnssecPath(zone, ""), nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// DNSSECRollover starts a key rollover of zone and returns its status;
// while one is in progress it is an *APIError of status 409.
func (c *Client) DNSSECRollover(ctx context.Context, zone string) (*admin.DNSSECStatus, error) {
	return c.postDNSSEC(ctx, zone, "/rollover")
}

// DNSSECSubmitted says the new DS records of zone are published at the
// parent, so that its rollover goes on, and returns its status; when no
// rollover waits for that it is an *APIError of status 409.
func (c *Client) DNSSECSubmitted(ctx context.Context, zone string) (*admin.DNSSECStatus, error) {
	return c.postDNSSEC(ctx, zone, "/submitted")
}

func (c *Client) postDNSSEC(ctx context.Context, zone, action string) (*admin.DNSSECStatus, error) {
	var st admin.DNSSECStatus
	if err := c.sendJSON(ctx, http.MethodPost, dnssecPath(zone, action), nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func dnssecPath(zone, rest string) string {
	return "/v1/dnssec/" + url.PathEscape(zone) + rest
}
