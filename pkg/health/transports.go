package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"sync"
	"time"
)

// Transports shares HTTP transports, and so kept-alive connections,
// between the http and https checks of a Scheduler that dial alike: the
// same TLS server name and verification, keep-alive and timeout. Checks
// of one target (many services behind one load balancer, or one check
// per endpoint on one host) then hold about as many connections between
// them as their probes overlap, rather than one each.
//
// A connection is closed after the probe that finds it ConnMaxAge old,
// so a target that stops accepting connections is found out even while
// an old one still answers. Checks at intervals of ConnMaxAge or more
// dial for every probe.
type Transports struct {
	rootCAs *x509.CertPool
	now     func() time.Time
	scan    scanBuffers

	mu sync.Mutex
	m  map[transportKey]*sharedTransport
}

// transportKey is what makes two checks' connections interchangeable.
// The target's address is not in it: a transport pools by address.
type transportKey struct {
	keepAlive  bool
	serverName string
	insecure   bool
	// timeout bounds a dial and a TLS handshake. The transport goes on
	// with a dial after the probe that started it has given up (for the
	// next probe's sake), so without it each probe of a target that
	// never answers a SYN would leave a dial behind for minutes.
	timeout time.Duration
}

// sharedTransport is what checks that dial alike share: the net/http
// transport of those that follow redirects and the connection pool of
// those that do not (see leanProbe).
type sharedTransport struct {
	t     *http.Transport
	tls   *tls.Config
	pool  connPool
	users int
}

// NewTransports returns an empty set of transports; rootCAs, when not
// nil, replaces the system roots of https checks, and now (nil:
// time.Now) tells connections' age.
func NewTransports(rootCAs *x509.CertPool, now func() time.Time) *Transports {
	if now == nil {
		now = time.Now
	}
	return &Transports{rootCAs: rootCAs, now: now, m: map[transportKey]*sharedTransport{}}
}

// get returns the transport for checks that dial as k, and the function
// that gives it back when the check stops; the last one to give it back
// closes its idle connections.
func (ts *Transports) get(k transportKey) (*sharedTransport, func()) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	st := ts.m[k]
	if st == nil {
		conf := ts.tlsConfig(k)
		st = &sharedTransport{t: ts.newTransport(k, conf), tls: conf}
		ts.m[k] = st
	}
	st.users++
	var once sync.Once
	return st, func() {
		once.Do(func() {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			st.users--
			if st.users == 0 {
				st.t.CloseIdleConnections()
				st.pool.close()
				delete(ts.m, k)
			}
		})
	}
}

// tlsConfig is how checks that dial as k speak TLS, on either path.
func (ts *Transports) tlsConfig(k transportKey) *tls.Config {
	return &tls.Config{
		RootCAs:            ts.rootCAs,
		ServerName:         k.serverName,
		InsecureSkipVerify: k.insecure, //nolint:gosec // opt-in per check
		MinVersion:         tls.VersionTLS12,
	}
}

func (ts *Transports) newTransport(k transportKey, tlsConf *tls.Config) *http.Transport {
	dialer := &net.Dialer{Timeout: k.timeout}
	return &http.Transport{
		Proxy: nil, // never one from the environment
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &agedConn{Conn: c, born: ts.now()}, nil
		},
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: k.timeout,
		DisableKeepAlives:   !k.keepAlive,
		DisableCompression:  true,
		// As many idle connections as the checks' probes overlap; they
		// close once unused for ConnMaxAge.
		MaxIdleConns:           0,
		MaxIdleConnsPerHost:    1 << 16,
		IdleConnTimeout:        ConnMaxAge,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
}

// agedConn is a connection that knows when it was dialled.
type agedConn struct {
	net.Conn
	born time.Time
}

// retireIfOld closes c, the connection a probe used, once it is
// ConnMaxAge old; the transport drops it from its idle pool.
func (ts *Transports) retireIfOld(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if ac, ok := c.(*agedConn); ok && ts.now().Sub(ac.born) >= ConnMaxAge {
		_ = ac.Close()
	}
}
