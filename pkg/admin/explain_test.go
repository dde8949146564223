package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/health"
)

func TestExplain(t *testing.T) {
	a := newAPI(t, admintest.New("n1", nil), admin.Options{})

	var ex admin.Explanation
	a.get("/v1/explain?name=WWW.example.com").decode(t, 200, &ex)
	if ex.Node != "n1" || ex.Name != "www.example.com." || ex.Type != "A" || ex.Rcode != "NOERROR" || len(ex.Answer) != 1 || !strings.HasSuffix(ex.Answer[0], "198.51.100.10") {
		t.Errorf("explain: %+v", ex)
	}
	// The client defaults to the requester's address.
	if ex.Client.Address != "127.0.0.1" || ex.Client.Subnet != "" {
		t.Errorf("client: %+v", ex.Client)
	}
	a.get("/v1/explain?name=www.example.com.&type=aaaa&client=::ffff:198.51.100.7&ecs=198.51.100.0/24").decode(t, 200, &ex)
	if ex.Type != "AAAA" || ex.Client.Address != "198.51.100.7" || ex.Client.Subnet != "198.51.100.0/24" || len(ex.Answer) != 0 {
		t.Errorf("explain AAAA: %+v", ex)
	}
	a.get("/v1/explain?name=www.example.com&type=TYPE65&ecs=2001:db8::1").decode(t, 200, &ex)
	if ex.Type != "HTTPS" || ex.Client.Subnet != "2001:db8::1/128" {
		t.Errorf("explain TYPE65: %+v", ex)
	}
	a.get("/v1/explain?name=www.example.org").decode(t, 200, &ex)
	if ex.Rcode != "REFUSED" {
		t.Errorf("outside the zones: %+v", ex)
	}

	for q, msg := range map[string]string{
		"":                                     "name is required: the name to explain, such as www.example.com",
		"?name=a..b":                           `name "a..b" is not a domain name`,
		"?name=www.example.com&type=BOGUS":     `type "BOGUS" is not a DNS type such as A, AAAA or TXT`,
		"?name=www.example.com&type=TYPE0":     `type "TYPE0" is not a DNS type such as A, AAAA or TXT`,
		"?name=www.example.com&client=1.2.3":   `client "1.2.3" is not an IP address`,
		"?name=www.example.com&ecs=1.2.3.0/33": `ecs "1.2.3.0/33" is not a client subnet such as 198.51.100.0/24`,
		"?name=www.example.com&all_nodes=yes!": `all_nodes="yes!": want 1 or 0`,
	} {
		a.get("/v1/explain"+q).refused(t, 400, msg)
	}
}

// TestExplainAllNodes asks three members: n1 (this node, answered
// locally), n2 and n3 over HTTP, both listed peers; n2 requires the
// caller's token.
func TestExplainAllNodes(t *testing.T) {
	tokens := "ops read " + admin.HashToken(readToken) + "\n"
	tok, err := admin.ParseTokens("tokens", strings.NewReader(tokens))
	if err != nil {
		t.Fatal(err)
	}
	b1 := admintest.New("n1", nil)
	b2 := admintest.New("n2", nil)
	b3 := admintest.New("n3", nil)
	s2 := admintest.NewServer(t, b2, admin.Options{Tokens: tok})
	s3 := admintest.NewServer(t, b3, admin.Options{Tokens: tok})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	peers := peerClient(t, nil, s2.URL, s3.URL, closed.URL)
	b1.AddMember(member.Member{ID: "n3", Admin: s3.URL + "/"})
	b1.AddMember(member.Member{ID: "n2", Admin: s2.URL})
	a := newAPI(t, b1, admin.Options{Tokens: tok, Peers: peers})
	a.token = readToken

	var all admin.ExplainAll
	a.get("/v1/explain?name=www.example.com&client=192.0.2.9&all_nodes=1").decode(t, 200, &all)
	if !all.Agree || all.Disagreement != "" || len(all.Nodes) != 3 {
		t.Fatalf("all nodes: %+v", all)
	}
	for i, id := range []string{"n1", "n2", "n3"} {
		n := all.Nodes[i]
		if n.Node != id || n.Error != "" || n.Explanation == nil || n.Explanation.Node != id {
			t.Errorf("node %d: %+v", i, n)
			continue
		}
		// Every node answers for the caller's client, not for n1.
		if n.Explanation.Client.Address != "192.0.2.9" {
			t.Errorf("%s answered for %s", id, n.Explanation.Client.Address)
		}
	}

	// n2 drained us-east: the nodes disagree, and say how.
	ctx := t.Context()
	if err := b2.SetOverride(ctx, "www.example.com.", "us-east", health.Override{State: "down"}); err != nil {
		t.Fatal(err)
	}
	a.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)
	if all.Agree || !strings.HasPrefix(all.Disagreement, "n1 answers [www.example.com. 30 IN A 198.51.100.10], n2 answers [www.example.com. 30 IN A 203.0.113.10]") {
		t.Errorf("disagreement: %+v", all)
	}

	// A member that publishes no address, and a listed one that is not
	// there: listed as such, and n1, the only one to answer, agrees with
	// itself.
	b1.SetMemberAdmin("n2", "")
	b1.SetMemberAdmin("n3", closed.URL)
	all = admin.ExplainAll{}
	a.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)
	if all.Nodes[1].Error != "not asked: the member publishes no admin address" || all.Nodes[1].Status != admin.PeerNotAsked ||
		!strings.HasPrefix(all.Nodes[2].Error, "unreachable: ") || !strings.Contains(all.Nodes[2].Error, "connection refused") || all.Nodes[2].Status != admin.PeerUnreachable ||
		all.Nodes[0].Explanation == nil || all.Nodes[0].Status != admin.PeerAnswered {
		t.Errorf("failing members: %+v", all)
	}
	if !all.Agree || all.Disagreement != "" || all.Answered != 1 {
		t.Errorf("agree %v, disagreement %q, answered %d; want agreement of the one that answered", all.Agree, all.Disagreement, all.Answered)
	}
	// Without the caller's token, the members refuse.
	b1.SetMemberAdmin("n2", s2.URL)
	a2 := newAPI(t, b1, admin.Options{Peers: peers})
	all = admin.ExplainAll{}
	a2.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)
	if all.Nodes[1].Error != "unauthorized: 401 Unauthorized: this call needs a token: send Authorization: Bearer TOKEN" || all.Nodes[1].Status != admin.PeerUnauthorized {
		t.Errorf("n2 without a token: %+v", all.Nodes[1])
	}
	// A node built without peers asks no member at all.
	a3 := newAPI(t, b1, admin.Options{Tokens: tok})
	a3.token = readToken
	all = admin.ExplainAll{}
	a3.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)
	if want := "not asked: " + s2.URL + " is not in admin.peers; the token is not sent to unlisted addresses"; all.Nodes[1].Error != want {
		t.Errorf("n2 without peers: %q, want %q", all.Nodes[1].Error, want)
	}
}

func TestExplainAllNodesSelfMissing(t *testing.T) {
	// A node the store does not list still answers first.
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{NodeID: "n9"})
	var all admin.ExplainAll
	a.get("/v1/explain?name=www.example.com&all_nodes=1").decode(t, 200, &all)
	if len(all.Nodes) != 2 || all.Nodes[0].Node != "n9" || all.Nodes[1].Node != "n1" || all.Nodes[1].Error != "not asked: the member publishes no admin address" {
		t.Errorf("%+v", all)
	}
}

// TestExplainAgreement compares answers as sets, and for answers drawn at
// random (Trace.Random) the rule and the healthy endpoints instead.
func TestExplainAgreement(t *testing.T) {
	// random marks the answer as drawn at random, as policy.Select does
	// for weighted and multivalue.
	answer := func(rcode, rule string, random bool, healthy []bool, rrs ...string) func(admin.ExplainQuery) (*admin.Explanation, error) {
		return func(admin.ExplainQuery) (*admin.Explanation, error) {
			ex := &admin.Explanation{Rcode: rcode, Answer: rrs}
			ex.Trace.Rule, ex.Trace.Random = rule, random
			for i, h := range healthy {
				ex.Endpoints = append(ex.Endpoints, admin.ExplainEndpoint{ID: string(rune('a' + i)), Healthy: h})
			}
			return ex, nil
		}
	}
	const rr1, rr2 = "x.example.com.\t30\tIN\tA\t192.0.2.1", "x.example.com.\t30\tIN\tA\t192.0.2.2"
	for _, tc := range []struct {
		name   string
		n1, n2 func(admin.ExplainQuery) (*admin.Explanation, error)
		why    string
	}{
		{"same records in another order",
			answer("NOERROR", "failover: priority 1", false, nil, rr1, rr2), answer("NOERROR", "failover: priority 1", false, nil, rr2, rr1), ""},
		{"random rule, other records, same health",
			answer("NOERROR", "weighted: random by weight", true, []bool{true, true}, rr1), answer("NOERROR", "weighted: random by weight", true, []bool{true, true}, rr2), ""},
		{"weighted drawn equally, other records, same health",
			answer("NOERROR", "weighted: equal (no healthy positive weight)", true, []bool{true, true}, rr1), answer("NOERROR", "weighted: equal (no healthy positive weight)", true, []bool{true, true}, rr2), ""},
		{"random rule, other health",
			answer("NOERROR", "weighted: random by weight", true, []bool{true, true}, rr1), answer("NOERROR", "weighted: random by weight", true, []bool{true, false}, rr1),
			"n1 sees [a b] healthy, n2 sees [a]"},
		{"random rule against another rule",
			answer("NOERROR", "weighted: random by weight", true, nil, rr1), answer("NOERROR", "when_all_down: all (weighted: random by weight)", true, nil, rr1),
			`n1 decides by "weighted: random by weight", n2 by "when_all_down: all (weighted: random by weight)"`},
		{"other rcode",
			answer("NOERROR", "", false, nil), answer("NXDOMAIN", "", false, nil), "n1 answers NOERROR, n2 answers NXDOMAIN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b1, b2 := admintest.New("n1", nil), admintest.New("n2", nil)
			b1.SetExplain(tc.n1)
			b2.SetExplain(tc.n2)
			s2 := admintest.NewServer(t, b2, admin.Options{})
			b1.AddMember(member.Member{ID: "n2", Admin: s2.URL})
			a := newAPI(t, b1, admin.Options{Peers: peerClient(t, nil, s2.URL)})
			var all admin.ExplainAll
			a.get("/v1/explain?name=x.example.com&all_nodes=1").decode(t, 200, &all)
			if all.Agree != (tc.why == "") || all.Disagreement != tc.why {
				t.Errorf("agree %v, disagreement %q; want %q", all.Agree, all.Disagreement, tc.why)
			}
		})
	}
}

// explainAllOf asks the node at base to explain www.example.com on
// every node, without a token.
func explainAllOf(t *testing.T, base string) admin.ExplainAll {
	t.Helper()
	resp, err := http.Get(base + "/v1/explain?name=www.example.com&all_nodes=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all admin.ExplainAll
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	return all
}

// TestExplainAllNodesWrongMember: a member whose admin address reaches
// another node (loopback addresses, say) is reported as failed, its
// answer counted neither as agreeing nor as differing.
func TestExplainAllNodesWrongMember(t *testing.T) {
	other := admintest.New("n1", nil)
	otherSrv := admintest.NewServer(t, other, admin.Options{NodeID: "n1"})
	b := admintest.New("n1", nil)
	b.AddMember(member.Member{ID: "n2", Admin: otherSrv.URL})
	srv := admintest.NewServer(t, b, admin.Options{NodeID: "n1", Peers: peerClient(t, nil, otherSrv.URL)})
	all := explainAllOf(t, srv.URL)
	n2 := all.Nodes[1]
	if n2.Status != admin.PeerFailed || n2.Explanation != nil || !strings.Contains(n2.Error, `answered as node "n1"`) || all.Answered != 1 {
		t.Errorf("n2: %+v, answered %d", n2, all.Answered)
	}
}

// TestExplainAllNodesSelfOnce: the node asked is among the members, its
// own admin address listed as a peer; it answers once, locally, and is
// counted once among those that answered, whether or not it was built
// with its node id (without one, its explanation names it).
func TestExplainAllNodesSelfOnce(t *testing.T) {
	for _, nodeID := range []string{"n1", ""} {
		t.Run("node id "+strconvQuote(nodeID), func(t *testing.T) {
			b1, b2 := admintest.New("n1", nil), admintest.New("n2", nil)
			s2 := admintest.NewServer(t, b2, admin.Options{})
			s1 := httptest.NewUnstartedServer(nil)
			url1 := "http://" + s1.Listener.Addr().String()
			h, err := admin.New(admin.Options{Backend: b1, NodeID: nodeID, Peers: peerClient(t, nil, url1, s2.URL)})
			if err != nil {
				t.Fatal(err)
			}
			s1.Config.Handler = h
			s1.Start()
			t.Cleanup(s1.Close)
			b1.SetMemberAdmin("n1", url1)
			b1.AddMember(member.Member{ID: "n2", Admin: s2.URL})

			all := explainAllOf(t, url1)
			var listed []string
			for _, n := range all.Nodes {
				listed = append(listed, n.Node+"="+string(n.Status))
			}
			if got := strings.Join(listed, " "); got != "n1=answered n2=answered" || all.Answered != 2 || !all.Agree {
				t.Errorf("nodes %s, answered %d, agree %v; want n1 and n2 once each, 2 answered", got, all.Answered, all.Agree)
			}
		})
	}
}

// strconvQuote names a test case by a value that may be empty.
func strconvQuote(s string) string { return `"` + s + `"` }
