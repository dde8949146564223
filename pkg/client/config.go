package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// Media types of traffic documents.
const (
	JSON = "application/json"
	YAML = "application/yaml"
)

// Document is the traffic document as a node serves it.
type Document struct {
	// Body is the document, encoded as asked.
	Body []byte
	// ContentType is JSON or YAML.
	ContentType string
	// Revision is the store revision it was written at, for
	// ApplyOptions.IfMatch.
	Revision int64
}

// Document returns the stored traffic document as mediaType (JSON or
// YAML), as the node encodes it: zone files merged, defaults filled in.
func (c *Client) Document(ctx context.Context, mediaType string) (*Document, error) {
	resp, data, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/config", accept: mediaType})
	if err != nil {
		return nil, err
	}
	d := &Document{Body: data, ContentType: resp.Header.Get("Content-Type")}
	if v := resp.Header.Get("X-Gtmd-Revision"); v != "" {
		if d.Revision, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("the answer's X-Gtmd-Revision %q is not a revision: %w", v, err)
		}
	}
	return d, nil
}

// Config returns the stored traffic document, parsed, and its revision.
func (c *Client) Config(ctx context.Context) (*config.Traffic, int64, error) {
	d, err := c.Document(ctx, JSON)
	if err != nil {
		return nil, 0, err
	}
	t, err := config.ParseTraffic(c.base+"/v1/config", d.Body, "")
	if err != nil {
		return nil, 0, fmt.Errorf("the stored document does not parse here (another version?): %w", err)
	}
	return t, d.Revision, nil
}

// ApplyOptions qualify Apply and DryRun.
type ApplyOptions struct {
	// ContentType is the document's media type, JSON (the default) or
	// YAML.
	ContentType string
	// IfMatch, when above 0, applies the document only if the stored
	// revision is this one; otherwise the call fails with an *APIError
	// of status 412 whose Revision is the stored one.
	IfMatch int64
	// Wait makes Apply return once every live node serves the new
	// document, or WaitTimeout has passed; ApplyResult.InSync says which.
	Wait bool
	// WaitTimeout is how long Wait waits, at most admin.MaxWaitTimeout;
	// 0 is the node's default (admin.DefaultWaitTimeout unless
	// configured otherwise).
	WaitTimeout time.Duration
	// Reason says why, for the audit trail (GET /v1/audit).
	Reason string
}

// Apply replaces the traffic document with doc. The node validates it
// whole and refuses it with every fault (an *APIError with Faults);
// zone_file is refused, so merge zone files first, as
// config.LoadTraffic and config.EncodeStored do.
func (c *Client) Apply(ctx context.Context, doc []byte, o ApplyOptions) (*admin.ApplyResult, error) {
	req := putConfig(doc, o)
	if o.Wait {
		req.query.Set("wait", "insync")
		wait := admin.DefaultWaitTimeout
		if o.WaitTimeout > 0 {
			wait = o.WaitTimeout
			req.query.Set("wait_timeout", o.WaitTimeout.String())
		}
		// The call lasts as long as the node waits.
		req.timeout = wait
	}
	var res admin.ApplyResult
	if err := c.call(ctx, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// DryRun has the node validate doc as Apply would, and change nothing.
// Wait and WaitTimeout do not apply: a dry run stores nothing.
func (c *Client) DryRun(ctx context.Context, doc []byte, o ApplyOptions) (*admin.DryRunResult, error) {
	req := putConfig(doc, o)
	req.query.Set("dry_run", "1")
	var res admin.DryRunResult
	if err := c.call(ctx, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func putConfig(doc []byte, o ApplyOptions) request {
	req := request{method: http.MethodPut, path: "/v1/config", query: url.Values{}, body: doc, contentType: o.ContentType}
	if req.contentType == "" {
		req.contentType = JSON
	}
	if req.body == nil {
		req.body = []byte{}
	}
	if o.Reason != "" {
		req.query.Set("reason", o.Reason)
	}
	if o.IfMatch > 0 {
		req.ifMatch = `"` + strconv.FormatInt(o.IfMatch, 10) + `"`
	}
	return req
}
