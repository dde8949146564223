package admin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestExplainAllNodesUnanswered: a node that is unreachable, too slow or
// refuses the caller's token is listed with why, and the nodes that did
// answer are compared among themselves: it makes no disagreement, and
// hides none.
func TestExplainAllNodesUnanswered(t *testing.T) {
	tok, err := admin.ParseTokens("tokens", strings.NewReader("ops read "+admin.HashToken(readToken)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Another cluster's tokens: the caller's token is not among them.
	otherTok, err := admin.ParseTokens("tokens", strings.NewReader("ops read "+admin.HashToken("another-token")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	closedURL := func(t *testing.T) string {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		return srv.URL
	}
	realNode := func(opts admin.Options) func(*testing.T) string {
		return func(t *testing.T) string { return admintest.NewServer(t, admintest.New("n3", nil), opts).URL }
	}
	// forbidding stands for a proxy in front of n3 that refuses the
	// caller.
	forbidding := func(t *testing.T) string {
		return serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"not from this network"}`))
		}), nil).URL
	}
	// silent accepts the question and never answers.
	silent := func(t *testing.T) string {
		return serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}), nil).URL
	}
	failing := func(t *testing.T) string {
		return serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"the store is unavailable"}`, http.StatusServiceUnavailable)
		}), nil).URL
	}
	for _, tc := range []struct {
		name       string
		n3         func(*testing.T) string
		n2Drains   bool // n2 answers otherwise than n1
		wantStatus admin.PeerStatus
		wantError  string // the start of n3's error
	}{
		{name: "connection refused", n3: closedURL, wantStatus: admin.PeerUnreachable, wantError: "unreachable: "},
		{name: "no answer in time", n3: silent, wantStatus: admin.PeerUnreachable, wantError: "unreachable: "},
		{name: "token refused (401)", n3: realNode(admin.Options{Tokens: otherTok}), wantStatus: admin.PeerUnauthorized,
			wantError: "unauthorized: 401 Unauthorized: "},
		{name: "forbidden (403)", n3: forbidding, wantStatus: admin.PeerUnauthorized, wantError: "unauthorized: 403 Forbidden: not from this network"},
		{name: "an error status", n3: failing, wantStatus: admin.PeerFailed, wantError: "503 Service Unavailable"},
		{name: "unreachable, and the others disagree", n3: closedURL, n2Drains: true, wantStatus: admin.PeerUnreachable, wantError: "unreachable: "},
		{name: "unauthorized, and the others disagree", n3: realNode(admin.Options{Tokens: otherTok}), n2Drains: true,
			wantStatus: admin.PeerUnauthorized, wantError: "unauthorized: 401 Unauthorized: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b1, b2 := admintest.New("n1", nil), admintest.New("n2", nil)
			if tc.n2Drains {
				if err := b2.SetOverride(t.Context(), "www.example.com.", "us-east", health.Override{State: "down"}); err != nil {
					t.Fatal(err)
				}
			}
			s2 := admintest.NewServer(t, b2, admin.Options{Tokens: tok})
			n3 := tc.n3(t)
			b1.AddMember(member.Member{ID: "n2", Admin: s2.URL})
			b1.AddMember(member.Member{ID: "n3", Admin: n3})
			a := newAPI(t, b1, admin.Options{Tokens: tok, Peers: peerClient(t, nil, s2.URL, n3), PeerTimeout: 300 * time.Millisecond})
			a.token = readToken

			var all admin.ExplainAll
			a.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)
			if len(all.Nodes) != 3 {
				t.Fatalf("nodes: %+v", all.Nodes)
			}
			for i, want := range []admin.PeerStatus{admin.PeerAnswered, admin.PeerAnswered, tc.wantStatus} {
				if n := all.Nodes[i]; n.Status != want || (want == admin.PeerAnswered) != (n.Explanation != nil) {
					t.Errorf("%s: status %q, explanation %v; want %q", n.Node, n.Status, n.Explanation != nil, want)
				}
			}
			if n3 := all.Nodes[2]; !strings.HasPrefix(n3.Error, tc.wantError) {
				t.Errorf("n3's error %q, want it to start with %q", n3.Error, tc.wantError)
			}
			if all.Answered != 2 {
				t.Errorf("answered %d, want 2", all.Answered)
			}
			if tc.n2Drains {
				if all.Agree || !strings.HasPrefix(all.Disagreement, "n1 answers [www.example.com. 30 IN A 198.51.100.10], n2 answers") {
					t.Errorf("agree %v, disagreement %q; want n1 and n2 to differ", all.Agree, all.Disagreement)
				}
				return
			}
			if !all.Agree || all.Disagreement != "" {
				t.Errorf("agree %v, disagreement %q; want agreement of the two that answered", all.Agree, all.Disagreement)
			}
		})
	}
}
