package client

import (
	"context"
	"net/url"

	"github.com/gtmd/gtmd/pkg/admin"
)

// Failover returns the failover bound of service's endpoints: for each,
// the worst case from its region going dark to every resolver having
// stopped using it, with the detection, propagation and TTL it adds up
// from. Service is taken with or without its trailing dot; an unknown
// one is an *APIError of status 404.
func (c *Client) Failover(ctx context.Context, service string) (*admin.FailoverBound, error) {
	return c.failover(ctx, service, nil)
}

// FailoverAll is Failover with the propagation every node has measured,
// asked through this one: the bound takes the slowest node's, and Nodes
// lists each node's figure or why it gave none.
func (c *Client) FailoverAll(ctx context.Context, service string) (*admin.FailoverBound, error) {
	return c.failover(ctx, service, url.Values{"all_nodes": {"1"}})
}

func (c *Client) failover(ctx context.Context, service string, q url.Values) (*admin.FailoverBound, error) {
	var fb admin.FailoverBound
	if err := c.getJSON(ctx, "/v1/services/"+url.PathEscape(service)+"/failover", q, &fb); err != nil {
		return nil, err
	}
	return &fb, nil
}
