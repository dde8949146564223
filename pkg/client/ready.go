package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Ready asks the node's /readyz whether it serves a traffic document:
// ready is false before it has one. Status is the node's one-line word on
// it: "ready", "degraded: REASON" while it serves a kept document with
// the store unreachable, or why it is not ready. Only a node that cannot
// be asked is an error.
func (c *Client) Ready(ctx context.Context) (ready bool, status string, err error) {
	_, data, err := c.do(ctx, request{method: http.MethodGet, path: "/readyz", accept: "text/plain"})
	var ae *APIError
	switch {
	case err == nil:
		return true, strings.TrimSpace(string(data)), nil
	case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable:
		return false, strings.TrimSpace(string(data)), nil
	default:
		return false, "", err
	}
}
