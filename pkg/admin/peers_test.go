package admin_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gtmd/gtmd/internal/testcert"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
)

// peerClient is the client of a node whose admin.peers are urls.
func peerClient(t *testing.T, ca *x509.CertPool, urls ...string) *admin.Peers {
	t.Helper()
	p, err := admin.NewPeers(urls, ca)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// recorder is a stranger's listener: it answers like a member and keeps
// every Authorization header it is sent.
type recorder struct {
	mu    sync.Mutex
	auths []string
	calls int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.calls++
	if a := req.Header.Get("Authorization"); a != "" {
		r.auths = append(r.auths, a)
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"node":"n2","rcode":"NOERROR","answer":[]}`))
}

func (r *recorder) seen() (calls int, auths []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, append([]string(nil), r.auths...)
}

// serveOn serves h on a listener at addr (127.0.0.x:0), over TLS when
// cert is set.
func serveOn(t *testing.T, addr string, h http.Handler, cert *tls.Certificate) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	// Handshakes the node refuses are the point of some tests.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Listener.Close()
	srv.Listener = l
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestExplainTokenGoesOnlyToPeers: a member entry is anyone's to write, so
// the caller's token goes to listed peers and to https members whose
// certificate admin.peer_ca verifies, and nowhere else; strangers are
// listed with why they were not asked, and are sent nothing at all.
func TestExplainTokenGoesOnlyToPeers(t *testing.T) {
	const token = "write-token-of-the-operator"
	tok, err := admin.ParseTokens("tokens", strings.NewReader("ops write "+admin.HashToken(token)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ca, otherCA := testcert.NewCA(t, "peers"), testcert.NewCA(t, "someone else")

	type peerCase struct {
		name string
		// serve starts the member's listener and returns its admin URL.
		serve func(t *testing.T, h http.Handler) string
		// advertise rewrites the URL as the member entry spells it.
		advertise func(u string) string
		listed    bool // in admin.peers, as served
		useCA     bool // the node has admin.peer_ca
		wantToken bool
		wantError string // a substring of the member's error
	}
	plain := func(addr string) func(*testing.T, http.Handler) string {
		return func(t *testing.T, h http.Handler) string { return serveOn(t, addr, h, nil).URL }
	}
	tlsBy := func(ca **testcert.CA, certIP string) func(*testing.T, http.Handler) string {
		return func(t *testing.T, h http.Handler) string {
			cert := (*ca).Leaf(t, certIP)
			return serveOn(t, "127.0.0.1:0", h, &cert).URL
		}
	}
	same := func(u string) string { return u }
	notPeer := "is not in admin.peers; the token is not sent to unlisted addresses"
	for _, tc := range []peerCase{
		{name: "stranger on another loopback address", serve: plain("127.0.0.3:0"), advertise: same, wantError: notPeer},
		{name: "stranger on this node's loopback address", serve: plain("127.0.0.1:0"), advertise: same, wantError: notPeer},
		{name: "listed peer", serve: plain("127.0.0.2:0"), advertise: same, listed: true, wantToken: true},
		{name: "listed peer spelled otherwise", serve: plain("127.0.0.2:0"), advertise: func(u string) string {
			return strings.Replace(strings.Replace(u, "http://", "HTTP://", 1), "127.0.0.2", "[::ffff:127.0.0.2]", 1) + "/"
		}, listed: true, wantToken: true},
		{name: "a path below a listed peer", serve: plain("127.0.0.2:0"), advertise: func(u string) string { return u + "/evil" },
			listed: true, wantError: "is not the base URL of an admin API"},
		{name: "credentials before a listed peer's host", serve: plain("127.0.0.2:0"), advertise: func(u string) string {
			return strings.Replace(u, "http://", "http://127.0.0.2:1@", 1)
		}, listed: true, wantError: "is not the base URL of an admin API"},
		{name: "plain http with a peer CA", serve: plain("127.0.0.4:0"), advertise: same, useCA: true, wantError: notPeer},
		{name: "https verified by the peer CA", serve: tlsBy(&ca, "127.0.0.1"), advertise: same, useCA: true, wantToken: true},
		{name: "https from another CA", serve: tlsBy(&otherCA, "127.0.0.1"), advertise: same, useCA: true, wantError: "does not verify against admin.peer_ca"},
		{name: "https from the peer CA for another address", serve: tlsBy(&ca, "127.0.0.9"), advertise: same, useCA: true, wantError: "does not verify against admin.peer_ca"},
		{name: "https without a peer CA", serve: tlsBy(&ca, "127.0.0.1"), advertise: same, wantError: notPeer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			u := tc.serve(t, rec)
			var peers []string
			if tc.listed {
				peers = append(peers, u)
			}
			var pool *x509.CertPool
			if tc.useCA {
				pool = ca.Pool
			}
			b := admintest.New("n1", nil)
			b.AddMember(member.Member{ID: "n2", Admin: tc.advertise(u)})
			a := newAPI(t, b, admin.Options{Tokens: tok, Peers: peerClient(t, pool, peers...)})
			a.token = token

			var all admin.ExplainAll
			a.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)
			if len(all.Nodes) != 2 || all.Nodes[1].Node != "n2" || all.Nodes[0].Explanation == nil {
				t.Fatalf("nodes: %+v", all.Nodes)
			}
			calls, auths := rec.seen()
			got := all.Nodes[1]
			if tc.wantToken {
				if len(auths) != 1 || auths[0] != "Bearer "+token {
					t.Errorf("the peer was sent %q, want the caller's token", auths)
				}
				// The peer answered, as the member it is.
				if got.Explanation == nil || got.Error != "" {
					t.Errorf("peer's entry: %+v", got)
				}
				return
			}
			if calls != 0 || len(auths) != 0 {
				t.Errorf("a member that is no peer was called %d times, sent %q", calls, auths)
			}
			if !strings.Contains(got.Error, tc.wantError) || !strings.HasPrefix(got.Error, "not asked: ") || got.Explanation != nil {
				t.Errorf("entry: %+v; want an error with %q", got, tc.wantError)
			}
			if got.Status != admin.PeerNotAsked || all.Answered != 1 {
				t.Errorf("status %q, answered %d; want n2 not asked and one answer", got.Status, all.Answered)
			}
		})
	}
}

// TestExplainPeerRedirect: a listed peer that redirects elsewhere is not
// followed, so the token does not go on to the redirect's target.
func TestExplainPeerRedirect(t *testing.T) {
	const token = "read-token"
	tok, err := admin.ParseTokens("tokens", strings.NewReader("ops read "+admin.HashToken(token)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	target := &recorder{}
	targetSrv := serveOn(t, "127.0.0.3:0", target, nil)
	redirector := &recorder{}
	peer := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirector.ServeHTTP(httptest.NewRecorder(), r)
		http.Redirect(w, r, targetSrv.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}), nil)

	b := admintest.New("n1", nil)
	b.AddMember(member.Member{ID: "n2", Admin: peer.URL})
	// Both are listed: even so, a redirect is not a peer's answer.
	a := newAPI(t, b, admin.Options{Tokens: tok, Peers: peerClient(t, nil, peer.URL, targetSrv.URL)})
	a.token = token
	var all admin.ExplainAll
	a.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)

	if calls, auths := redirector.seen(); calls != 1 || len(auths) != 1 {
		t.Errorf("the listed peer was called %d times with %d tokens, want once with the token", calls, len(auths))
	}
	if calls, _ := target.seen(); calls != 0 {
		t.Errorf("the redirect was followed: its target was called %d times", calls)
	}
	if e := all.Nodes[1].Error; !strings.HasPrefix(e, "307 Temporary Redirect") || !strings.Contains(e, targetSrv.URL) {
		t.Errorf("n2: %+v", all.Nodes[1])
	}
}

// TestPeersRefuseBadURLs: admin.peers must each be the base URL of an
// admin API; the error names which.
func TestPeersRefuseBadURLs(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"ftp://127.0.0.1:8300", `admin.peers[1]: "ftp://127.0.0.1:8300": not an http:// or https:// URL`},
		{"http://127.0.0.1:8300/v1", `admin.peers[1]: "http://127.0.0.1:8300/v1" is not the base URL of an admin API (scheme://host:port)`},
		{"http://u:p@127.0.0.1:8300", `admin.peers[1]: "http://u:p@127.0.0.1:8300" is not the base URL of an admin API (scheme://host:port)`},
		{"http://127.0.0.1:0", `admin.peers[1]: "http://127.0.0.1:0": port "0" is not a port number`},
		{"http://:8300", `admin.peers[1]: "http://:8300": no host`},
		{"http://127.0.0.1:8300?x", `admin.peers[1]: "http://127.0.0.1:8300?x" is not the base URL of an admin API (scheme://host:port)`},
	} {
		_, err := admin.NewPeers([]string{"https://peer.example.net:8300", tc.url}, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.url, err, tc.want)
		}
	}
}
