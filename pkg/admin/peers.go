package admin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Peers are the only places GET /v1/explain?all_nodes=1 sends a caller's
// token to: the node file's admin.peers, compared as whole URLs, and, when
// admin.peer_ca is set, a member's https:// admin URL whose certificate
// that CA verifies. Member entries are written by whoever can write the
// store, so the address a member advertises is never reason enough.
type Peers struct {
	listed map[string]bool // peerOrigin of every admin.peers URL
	ca     *x509.CertPool  // nil: no member is trusted by certificate
}

// NewPeers reads the listed peers' URLs (admin.peers) and the pool of
// admin.peer_ca, nil when it is not set.
func NewPeers(urls []string, ca *x509.CertPool) (*Peers, error) {
	p := &Peers{listed: map[string]bool{}, ca: ca}
	for i, raw := range urls {
		o, err := peerOrigin(raw)
		if err != nil {
			return nil, fmt.Errorf("admin.peers[%d]: %w", i, err)
		}
		p.listed[o] = true
	}
	return p, nil
}

// Client returns the client that asks the peers. It refuses, before
// dialling, any address the peers do not admit; it speaks TLS to https
// peers verified by admin.peer_ca alone when that is set (the system's
// roots otherwise, for listed peers only); it uses no proxy from the
// environment, which would see the token; and it follows no redirect,
// whose target nobody listed.
func (p *Peers) Client(timeout time.Duration) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: p.ca}
	base.TLSClientConfig = tc
	return &http.Client{
		Timeout:   timeout,
		Transport: &peerTransport{peers: p, next: base},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// errNotPeer is why a member is not asked.
var errNotPeer = errors.New("not in admin.peers; the token is not sent to unlisted addresses")

// admit says whether u may be asked, with its origin normalised, or why
// not. A TLS peer admitted by the CA is verified when the connection is
// made, before anything is sent.
func (p *Peers) admit(u *url.URL) error {
	o, err := origin(u)
	if err != nil {
		return err
	}
	if p.listed[o] {
		return nil
	}
	if p.ca != nil && strings.HasPrefix(o, "https://") {
		return nil
	}
	return errNotPeer
}

// peerTransport checks every request, redirects and retries included,
// against the peers before it leaves.
type peerTransport struct {
	peers *Peers
	next  http.RoundTripper
}

func (t *peerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.peers.admit(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%s: %w", req.URL.Redacted(), err)
	}
	return t.next.RoundTrip(req)
}

// peerOrigin reads an admin API's base URL (admin.peers, a member's
// advertised admin URL) as the origin it is compared by. A URL with
// anything more than an optional trailing "/" names something other than
// a node's API.
func peerOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%q is not the base URL of an admin API (scheme://host:port)", raw)
	}
	o, err := origin(u)
	if err != nil {
		return "", fmt.Errorf("%q: %w", raw, err)
	}
	return o, nil
}

// origin is the form in which addresses are compared: scheme://host:port,
// lower case, with the scheme's port spelled out and an IP address in its
// canonical form, so that one address has one spelling and a prefix of it
// matches nothing.
func origin(u *url.URL) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", errors.New("not an http:// or https:// URL")
	}
	if u.User != nil {
		return "", errors.New("a URL with credentials in it")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", fmt.Errorf("port %q is not a port number", port)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	} else {
		host = strings.TrimSuffix(strings.ToLower(host), ".")
	}
	if host == "" {
		return "", errors.New("no host")
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.FormatUint(n, 10)), nil
}
