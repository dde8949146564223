package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// maxHeaderBytes bounds a response's headers, interim ones each on
// their own; it is the limit the net/http transport is given too.
const maxHeaderBytes = MaxBodyScan

// maxInterim is how many 1xx interim responses a probe skips.
const maxInterim = 5

// headersTooLargeError fails a probe whose response headers go on past
// maxHeaderBytes.
type headersTooLargeError struct{}

func (headersTooLargeError) Error() string {
	return fmt.Sprintf("server response headers exceeded %d bytes", maxHeaderBytes)
}

// leanProbe is the probe path of http and https checks that do not
// follow redirects: HTTP/1.1 on the calling goroutine over connections
// of its own pool, with the request's bytes made once. net/http's client
// hands each request to a writer goroutine and back from a reader one and
// allocates a context, timer and headers per request; at thousands of
// probes a second those were most of a node's CPU.
type leanProbe struct {
	addr    string
	request []byte
	// tls is nil for http.
	tls       *tls.Config
	keepAlive bool
	dialer    net.Dialer
	pool      *connPool
	now       func() time.Time
}

// newLeanProbe precomputes the probe of u; serverName is the TLS server
// name the check's transport key carries ("" for the URL's host).
func newLeanProbe(u *url.URL, host string, k transportKey, pool *connPool, base *tls.Config, now func() time.Time) *leanProbe {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	if host == "" {
		host = u.Host
	}
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + UserAgent + "\r\n"
	if !k.keepAlive {
		req += "Connection: close\r\n"
	}
	lp := &leanProbe{
		addr:      net.JoinHostPort(u.Hostname(), port),
		request:   []byte(req + "\r\n"),
		keepAlive: k.keepAlive,
		dialer:    net.Dialer{Timeout: k.timeout},
		pool:      pool,
		now:       now,
	}
	if u.Scheme == "https" {
		lp.tls = base.Clone()
		if lp.tls.ServerName == "" {
			lp.tls.ServerName = u.Hostname()
		}
	}
	return lp
}

// check runs one probe and judges its response as HTTPChecker.Check does.
func (lp *leanProbe) check(ctx context.Context, h *HTTPChecker) error {
	deadline, hasDeadline := ctx.Deadline()
	if !hasDeadline {
		// Deadlines are in real time, whatever clock tells ages.
		deadline = time.Now().Add(lp.dialer.Timeout)
	}
	err := lp.checkBy(ctx, h, deadline)
	if err != nil && hasDeadline && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(deadline) {
		// The connection's deadline, the context's, has passed (in real
		// time, as deadlines are): let the context see it too, so the
		// probe is reported as timed out.
		<-ctx.Done()
	}
	return err
}

func (lp *leanProbe) checkBy(ctx context.Context, h *HTTPChecker, deadline time.Time) error {
	var pc *pconn
	if lp.keepAlive {
		pc = lp.pool.get(lp.addr, lp.now())
	}
	reused := pc != nil
	if pc == nil {
		var err error
		if pc, err = lp.dial(ctx, deadline); err != nil {
			return err
		}
	}
	stop := abortOnDone(ctx, pc.conn)
	resp, err := lp.roundTrip(pc, deadline)
	if err != nil && reused && isStale(err) {
		// The server closed the idle connection: one fresh try, as
		// net/http does for an idempotent request.
		stop()
		_ = pc.conn.Close()
		if pc, err = lp.dial(ctx, deadline); err != nil {
			return err
		}
		stop = abortOnDone(ctx, pc.conn)
		resp, err = lp.roundTrip(pc, deadline)
	}
	defer stop()
	if err != nil {
		_ = pc.conn.Close()
		return err
	}
	body := &eofReader{r: resp.Body}
	err = h.judge(resp, body)
	if !body.eof && resp.ContentLength >= 0 && resp.ContentLength <= MaxBodyScan {
		// A verdict made before the end of a body of known, small
		// length (or none): read the rest so the connection serves
		// again.
		_, _ = io.Copy(io.Discard, body)
	}
	// After a 101 the connection speaks another protocol.
	if body.eof && !resp.Close && resp.StatusCode != http.StatusSwitchingProtocols && lp.keepAlive && lp.now().Sub(pc.born) < ConnMaxAge && stop() {
		lp.pool.put(lp.addr, pc, lp.now())
	} else {
		_ = pc.conn.Close()
	}
	return err
}

// abortOnDone makes the end of ctx before its deadline (the check
// stopping) end the probe on c at once; the returned function, as
// context.AfterFunc's, reports whether it did not.
func abortOnDone(ctx context.Context, c net.Conn) func() bool {
	return context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
}

// dial opens a connection to the target under the probe's deadline,
// with its TLS handshake when https.
func (lp *leanProbe) dial(ctx context.Context, deadline time.Time) (*pconn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c, err := lp.dialer.DialContext(ctx, "tcp", lp.addr)
	if err != nil {
		return nil, err
	}
	born := lp.now()
	if lp.tls != nil {
		tc := tls.Client(c, lp.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close()
			return nil, err
		}
		c = tc
	}
	return newPconn(c, born), nil
}

// roundTrip writes the request and reads the final response's headers,
// bounded by maxHeaderBytes each time; up to maxInterim 1xx interim
// responses (but 101) are skipped.
func (lp *leanProbe) roundTrip(pc *pconn, deadline time.Time) (*http.Response, error) {
	if err := pc.conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if _, err := pc.conn.Write(lp.request); err != nil {
		return nil, &staleError{err}
	}
	pc.lim.n = maxHeaderBytes
	if _, err := pc.br.Peek(1); err != nil {
		return nil, &staleError{err}
	}
	for interim := 0; ; interim++ {
		resp, err := http.ReadResponse(pc.br, nil)
		if err != nil {
			if pc.lim.n <= 0 {
				err = headersTooLargeError{}
			}
			return nil, err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			if interim == maxInterim {
				// As net/http: a target cannot keep a probe reading
				// interim headers until its timeout.
				return nil, fmt.Errorf("more than %d 1xx informational responses", maxInterim)
			}
			pc.lim.n = maxHeaderBytes
			continue
		}
		// The body is bounded by what the checker reads of it.
		pc.lim.n = math.MaxInt64
		return resp, nil
	}
}

// staleError is a failure before the response's first byte: on a
// reused connection, most likely one the server closed while idle.
type staleError struct{ err error }

func (e *staleError) Error() string { return e.err.Error() }
func (e *staleError) Unwrap() error { return e.err }

// isStale reports whether err is worth a retry on a fresh connection: it
// came before any byte of the response and not from the deadline.
func isStale(err error) bool {
	var se *staleError
	return errors.As(err, &se) && !errors.Is(err, os.ErrDeadlineExceeded)
}

// eofReader remembers whether its reader reached its end.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}
