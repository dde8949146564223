// Package client is a Go client of a gtmd node's admin HTTP API (see
// api/openapi.yaml): read and apply the traffic document, read health and
// members, drain and undrain endpoints, push external check results,
// explain answers, state failover bounds, read a signed zone's DS records
// and key status and drive its key rollovers, and ask whether the node is
// ready. It returns the pkg/admin types the server encodes, and every
// refusal of the API as an *APIError. It is what the gtmd operator
// subcommands are built on, and holds no state but its options: a Client
// is safe for concurrent use.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds a call when Options.Timeout is not set. An apply
// that waits for the nodes gets its wait on top.
const DefaultTimeout = 30 * time.Second

// Options configure a Client.
type Options struct {
	// URL is the node's admin API base URL, such as
	// http://127.0.0.1:8300; without a scheme, http is meant. A path is
	// kept as a prefix, for an API behind a proxy.
	URL string
	// Token is sent as "Authorization: Bearer" when not empty; see
	// ReadTokenFile.
	Token string
	// HTTPClient sends the requests; nil is a new http.Client. Set one
	// for TLS settings, such as a private CA.
	HTTPClient *http.Client
	// UserAgent names the caller in the node's logs; default gtmd-client.
	UserAgent string
	// Timeout bounds each call; 0 is DefaultTimeout.
	Timeout time.Duration
}

// Client calls one node's admin API.
type Client struct {
	base      string // scheme://host:port and a path prefix, without a trailing slash
	token     string
	http      *http.Client
	userAgent string
	timeout   time.Duration
}

// URLError is an Options.URL that New cannot use.
type URLError struct {
	// URL is the URL as New read it, with the http:// it assumes.
	URL string
}

// Error says what is wrong with the URL and what would do.
func (e *URLError) Error() string {
	return fmt.Sprintf("admin API URL %q: want an http or https URL such as http://127.0.0.1:8300", e.URL)
}

// New checks the options and returns a Client. It sends nothing.
func New(o Options) (*Client, error) {
	raw := o.URL
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, &URLError{URL: raw}
	}
	c := &Client{
		base:      strings.TrimSuffix(u.String(), "/"),
		token:     o.Token,
		http:      o.HTTPClient,
		userAgent: o.UserAgent,
		timeout:   o.Timeout,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.userAgent == "" {
		c.userAgent = "gtmd-client"
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// URL returns the base URL the client calls.
func (c *Client) URL() string { return c.base }

// request is one call of the API.
type request struct {
	method string
	path   string
	query  url.Values
	// body, when not nil, is sent with contentType.
	body []byte
	// stream, when not nil, is sent as the body (with contentType) as
	// it is read, never held whole.
	stream      io.Reader
	contentType string
	// out, when not nil, receives a 2xx answer's body as it arrives.
	out     io.Writer
	accept  string // default JSON
	ifMatch string
	timeout time.Duration // added to the client's timeout
}

// do sends a request and returns the response and body of a 2xx answer,
// or an *APIError with the response.
func (c *Client) do(ctx context.Context, r request) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout+r.timeout)
	defer cancel()
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	if r.stream != nil {
		rd = r.stream
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("making the request %s %s: %w", r.method, r.path, err)
	}
	if r.body != nil || r.stream != nil {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.accept == "" {
		r.accept = JSON
	}
	req.Header.Set("Accept", r.accept)
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The url.Error repeats the method and URL; the base says where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("cannot reach the admin API at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if r.out != nil && resp.StatusCode/100 == 2 {
		if _, err := io.Copy(r.out, resp.Body); err != nil {
			return nil, nil, fmt.Errorf("reading the answer of %s: %w", c.base, err)
		}
		return resp, nil, nil
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer of %s: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp, data, newAPIError(resp, data, c.base)
	}
	return resp, data, nil
}

// call sends req and decodes the answer into out.
func (c *Client) call(ctx context.Context, req request, out any) error {
	_, data, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	return decodeAnswer(data, out)
}

// getJSON calls GET path and decodes the answer into out.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, request{method: http.MethodGet, path: path, query: query}, out)
}

// sendJSON calls method path with in as a JSON body (none when nil) and
// decodes the answer into out.
func (c *Client) sendJSON(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encoding the body of %s %s: %w", method, path, err)
		}
	}
	return c.call(ctx, request{method: method, path: path, body: body, contentType: JSON}, out)
}

func decodeAnswer(data []byte, out any) error {
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the answer is not what this gtmd expects (another version?): %w", err)
	}
	return nil
}
