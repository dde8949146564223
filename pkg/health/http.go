package health

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

const (
	// MaxBodyScan is how much of a response body an http check reads
	// looking for expect_body. It never reads more.
	MaxBodyScan = 64 << 10
	// MaxRedirects is how many redirects an http check follows when
	// follow_redirects is set.
	MaxRedirects = 5
	// UserAgent is the User-Agent of http checks.
	UserAgent = "gtmd-health/1"
	// ConnMaxAge is how long an http check keeps probing over one
	// connection before it dials a new one.
	ConnMaxAge = 30 * time.Second
)

// HTTPChecker is the Checker of http and https checks: a GET whose status
// must be one of the expected ones and whose body, when expect_body is set,
// must contain it within its first MaxBodyScan bytes.
//
// Each HTTPChecker has its own client and transport, which keeps one
// connection alive between probes: at a short interval a probe costs a
// request, not a TCP and TLS handshake. A connection serves the probes of
// at most ConnMaxAge, and then the next probe dials afresh, so a target
// that stops accepting connections is found out even while an old one
// still answers; at intervals of ConnMaxAge or more every probe dials. A
// response is left on its connection only when it was read to its end
// (its Content-Length at most MaxBodyScan, or expect_body scanned to the
// end); otherwise the connection is closed. It uses no proxy.
type HTTPChecker struct {
	url          string
	host         string
	expectStatus []int
	expectBody   []byte
	client       *http.Client
	transport    *http.Transport

	// reuse is how many probes one connection serves; probes counts
	// those since the idle connections were last closed.
	mu     sync.Mutex
	reuse  int
	probes int
}

var _ Checker = (*HTTPChecker)(nil)

// NewHTTPChecker builds the checker of an http or https check. The check's
// host, when set, is sent as the Host header and as the TLS server name
// (SNI), against which the certificate is verified unless
// insecure_skip_verify is set. rootCAs, when not nil, replaces the system
// roots. Redirects are not followed (the redirect's own status is judged)
// unless follow_redirects is set, and then at most MaxRedirects of them
// (the TLS server name stays the check's host across them).
func NewHTTPChecker(c config.Check, rootCAs *x509.CertPool) (*HTTPChecker, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("check %q: %w", c.Name, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("check %q: %q is not an absolute http or https URL", c.Name, c.URL)
	}
	tlsConf := &tls.Config{
		RootCAs:            rootCAs,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // opt-in per check
		MinVersion:         tls.VersionTLS12,
	}
	if c.Host != "" {
		tlsConf.ServerName = hostOnly(c.Host)
	}
	iv := interval(c)
	reuse := max(int(ConnMaxAge/iv), 1)
	transport := &http.Transport{
		Proxy:              nil, // never one from the environment
		DialContext:        (&net.Dialer{}).DialContext,
		TLSClientConfig:    tlsConf,
		DisableKeepAlives:  reuse == 1,
		DisableCompression: true,
		// One connection for the check's target, one for where it
		// redirects; kept across a probe's interval, not much longer.
		MaxIdleConns:           2,
		MaxIdleConnsPerHost:    1,
		IdleConnTimeout:        2 * iv,
		MaxResponseHeaderBytes: MaxBodyScan,
	}
	follow := c.FollowRedirects
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if !follow {
				return http.ErrUseLastResponse
			}
			if len(via) > MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", MaxRedirects)
			}
			return nil
		},
	}
	expect := slices.Clone(c.ExpectStatus)
	if len(expect) == 0 {
		expect = []int{http.StatusOK}
	}
	h := &HTTPChecker{
		url:          c.URL,
		host:         c.Host,
		expectStatus: expect,
		client:       client,
		transport:    transport,
		reuse:        reuse,
	}
	if c.ExpectBody != "" {
		h.expectBody = []byte(c.ExpectBody)
	}
	return h, nil
}

// Check sends the GET and judges the response.
func (h *HTTPChecker) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return err
	}
	if h.host != "" {
		req.Host = h.host
	}
	req.Header.Set("User-Agent", UserAgent)
	h.renew()
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	if !slices.Contains(h.expectStatus, resp.StatusCode) {
		drain(resp)
		return fmt.Errorf("status %d, want %s", resp.StatusCode, statusList(h.expectStatus))
	}
	if h.expectBody == nil {
		drain(resp)
		return nil
	}
	return scanBody(resp.Body, h.expectBody)
}

// CloseIdleConnections closes the connection kept for the next probe;
// the Scheduler calls it when the check stops.
func (h *HTTPChecker) CloseIdleConnections() { h.transport.CloseIdleConnections() }

// renew closes the idle connection once it has served reuse probes, so
// this probe dials afresh.
func (h *HTTPChecker) renew() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.probes >= h.reuse {
		h.transport.CloseIdleConnections()
		h.probes = 0
	}
	h.probes++
}

// drain reads a body that said its length, at most MaxBodyScan, so its
// connection can serve the next probe. A body of unknown length is left
// unread (its connection then closes with it): it could trickle until
// the timeout, delaying a verdict already made.
func drain(resp *http.Response) {
	if n := resp.ContentLength; n > 0 && n <= MaxBodyScan {
		_, _ = io.CopyN(io.Discard, resp.Body, n)
	}
}

// scanBody reads at most MaxBodyScan bytes of body and returns nil as soon
// as want shows up in them, so a body that trickles or never ends costs at
// most that much.
func scanBody(body io.Reader, want []byte) error {
	buf := make([]byte, MaxBodyScan)
	n := 0
	for n < len(buf) {
		m, err := body.Read(buf[n:])
		// Search only where a new match can be: the new bytes and the
		// len(want)-1 before them.
		from := max(0, n-len(want)+1)
		n += m
		if bytes.Contains(buf[from:n], want) {
			return nil
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading body: %w", err)
		}
	}
	if n == len(buf) {
		return fmt.Errorf("body does not contain %q in its first %d bytes", want, MaxBodyScan)
	}
	return fmt.Errorf("body does not contain %q", want)
}

func statusList(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, " or ")
}

// hostOnly strips a port from a Host value.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}
