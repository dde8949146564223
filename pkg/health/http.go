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
)

// HTTPChecker is the Checker of http and https checks: a GET whose status
// must be one of the expected ones and whose body, when expect_body is set,
// must contain it within its first MaxBodyScan bytes.
//
// Each HTTPChecker has its own client and transport with keep-alives off,
// so every probe opens a fresh connection (and measures it) and none is
// left behind. It uses no proxy.
type HTTPChecker struct {
	url          string
	host         string
	expectStatus []int
	expectBody   []byte
	client       *http.Client
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
	transport := &http.Transport{
		Proxy:                  nil, // never one from the environment
		DialContext:            (&net.Dialer{}).DialContext,
		TLSClientConfig:        tlsConf,
		DisableKeepAlives:      true,
		DisableCompression:     true,
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
		return fmt.Errorf("status %d, want %s", resp.StatusCode, statusList(h.expectStatus))
	}
	if h.expectBody == nil {
		return nil
	}
	return scanBody(resp.Body, h.expectBody)
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
