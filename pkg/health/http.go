package health

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
	// ConnMaxAge is how long http checks keep probing over one
	// connection before they dial a new one.
	ConnMaxAge = 30 * time.Second
)

// HTTPChecker is the Checker of http and https checks: a GET whose status
// must be one of the expected ones and whose body, when expect_body is set,
// must contain it within its first MaxBodyScan bytes.
//
// Its connections come from a Transports, which keeps them alive between
// probes (see Transports for their age and sharing). A response is left
// on its connection only when it was read to its end (its Content-Length
// at most MaxBodyScan, or expect_body scanned to the end); otherwise the
// connection is closed. It uses no proxy. A check that follows redirects
// probes through net/http's client; the others, nearly all, through a
// leaner HTTP/1.1 path that spends about half the user-space CPU a probe
// (see leanProbe).
type HTTPChecker struct {
	url          string
	host         string
	expectStatus []int
	expectBody   []byte
	client       *http.Client
	transports   *Transports
	// lean, when set, probes instead of client: see leanProbe.
	lean    *leanProbe
	release func()
}

var _ Checker = (*HTTPChecker)(nil)

// NewHTTPChecker builds the checker of an http or https check, with
// transports of its own. The check's host, when set, is sent as the Host
// header and as the TLS server name (SNI), against which the certificate
// is verified unless insecure_skip_verify is set. rootCAs, when not nil,
// replaces the system roots. Redirects are not followed (the redirect's
// own status is judged) unless follow_redirects is set, and then at most
// MaxRedirects of them (the TLS server name stays the check's host across
// them).
func NewHTTPChecker(c config.Check, rootCAs *x509.CertPool) (*HTTPChecker, error) {
	return NewTransports(rootCAs, nil).NewHTTPChecker(c)
}

// NewHTTPChecker builds the checker of an http or https check, as the
// function of that name does, on a transport shared with the other checks
// of ts that dial alike.
func (ts *Transports) NewHTTPChecker(c config.Check) (*HTTPChecker, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("check %q: %w", c.Name, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("check %q: %q is not an absolute http or https URL", c.Name, c.URL)
	}
	k := transportKey{keepAlive: interval(c) < ConnMaxAge, timeout: probeTimeout(c)}
	if u.Scheme == "https" || c.FollowRedirects {
		// TLS settings matter only where TLS may be spoken.
		k.insecure = c.InsecureSkipVerify
		if c.Host != "" {
			k.serverName = hostOnly(c.Host)
		}
	}
	st, release := ts.get(k)
	follow := c.FollowRedirects
	client := &http.Client{
		Transport: st.t,
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
		transports:   ts,
		release:      release,
	}
	if c.ExpectBody != "" {
		h.expectBody = []byte(c.ExpectBody)
	}
	if !follow {
		h.lean = newLeanProbe(u, c.Host, k, &st.pool, st.tls, ts.now)
	}
	return h, nil
}

// Release gives back the checker's share of its transport; the last
// checker of a transport closes its idle connections. The Scheduler
// calls it when the check stops.
func (h *HTTPChecker) Release() { h.release() }

// Check sends the GET and judges the response.
func (h *HTTPChecker) Check(ctx context.Context) error {
	if h.lean != nil {
		return h.lean.check(ctx, h)
	}
	return h.checkByClient(ctx)
}

// checkByClient probes through net/http's client, which follows
// redirects.
func (h *HTTPChecker) checkByClient(ctx context.Context) error {
	// The trace names the connection the probe used, to retire it once
	// old; it rides on the request's context, redirects included.
	var conn net.Conn
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { conn = info.Conn },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return err
	}
	if h.host != "" {
		req.Host = h.host
	}
	req.Header.Set("User-Agent", UserAgent)
	defer func() {
		if conn != nil {
			h.transports.retireIfOld(conn)
		}
	}()
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	err = h.judge(resp, resp.Body)
	if err != nil || h.expectBody == nil {
		drain(resp)
	}
	return err
}

// judge holds the verdict on a response, whichever path fetched it:
// status first, then the body when expect_body is set.
func (h *HTTPChecker) judge(resp *http.Response, body io.Reader) error {
	if !slices.Contains(h.expectStatus, resp.StatusCode) {
		return fmt.Errorf("status %d, want %s", resp.StatusCode, statusList(h.expectStatus))
	}
	if h.expectBody == nil {
		return nil
	}
	buf := h.transports.scan.get(h.expectBody)
	defer h.transports.scan.put(buf)
	return scanBody(body, h.expectBody, *buf)
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
