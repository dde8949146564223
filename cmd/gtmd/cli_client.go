package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// requestTimeout bounds every call but apply --wait, which adds its wait.
const requestTimeout = 30 * time.Second

// apiClient calls a node's admin API.
type apiClient struct {
	base  string // scheme://host:port, and a path prefix if any
	token string
	http  *http.Client
}

// newAPIClient checks the admin URL and reads the token file, if any.
func newAPIClient(admin, tokenFile string) (*apiClient, error) {
	if !strings.Contains(admin, "://") {
		admin = "http://" + admin
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, usagef("--admin %q: want a URL such as %s", admin, defaultAdmin)
	}
	c := &apiClient{base: strings.TrimSuffix(u.String(), "/"), http: &http.Client{}}
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading the token file: %w", err)
		}
		c.token = strings.TrimSpace(string(b))
		if c.token == "" {
			return nil, fmt.Errorf("the token file %s is empty", tokenFile)
		}
		if strings.ContainsAny(c.token, " \t\r\n") {
			return nil, fmt.Errorf("the token file %s holds more than one word; it should hold the token alone", tokenFile)
		}
	}
	return c, nil
}

// apiError is a refusal from the API, with its status and message.
type apiError struct {
	Status  int
	Message string
	Faults  []config.Fault
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	// One fault is in the message already.
	if len(e.Faults) > 1 {
		for _, f := range e.Faults {
			b.WriteString("\n  ")
			b.WriteString(f.Error())
		}
	}
	return b.String()
}

// apiRequest is one call of the API.
type apiRequest struct {
	method string
	path   string
	query  url.Values
	// body, when not nil, is sent with contentType.
	body        []byte
	contentType string
	accept      string // default application/json
	ifMatch     string
	timeout     time.Duration // default requestTimeout
}

// do sends a request and returns the response and body of a 2xx answer,
// or an *apiError.
func (c *apiClient) do(ctx context.Context, r apiRequest) (*http.Response, []byte, error) {
	if r.timeout <= 0 {
		r.timeout = requestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	if r.body != nil {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.accept == "" {
		r.accept = "application/json"
	}
	req.Header.Set("Accept", r.accept)
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	req.Header.Set("User-Agent", "gtmd/"+version)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("cannot reach the admin API at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer of %s: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		var eb admin.ErrorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error != "" {
			e.Message, e.Faults = eb.Error, eb.Faults
		} else {
			e.Message = fmt.Sprintf("%s from %s", resp.Status, c.base)
		}
		return resp, data, e
	}
	return resp, data, nil
}

// getJSON calls GET path and decodes the answer into out.
func (c *apiClient) getJSON(ctx context.Context, path string, query url.Values, out any) ([]byte, error) {
	_, data, err := c.do(ctx, apiRequest{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return nil, err
	}
	return data, decodeAnswer(data, out)
}

// sendJSON calls method path with in as a JSON body (none when nil) and
// decodes the answer into out.
func (c *apiClient) sendJSON(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	_, data, err := c.do(ctx, apiRequest{method: method, path: path, body: body, contentType: "application/json"})
	if err != nil {
		return nil, err
	}
	return data, decodeAnswer(data, out)
}

func decodeAnswer(data []byte, out any) error {
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the answer is not what this gtmd expects (another version?): %w", err)
	}
	return nil
}
