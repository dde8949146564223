package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	clustermember "github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestStatusPageDisagreement: when the nodes answer differently, the
// explain form says so and outlines the node that differs. Two in-memory
// admin APIs stand in for the nodes: one of them has us-east drained, as
// a node that lags behind an operator's drain would.
func TestStatusPageDisagreement(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	chromium, err := lookChromium()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("e2e: missing tools: " + err.Error())
		}
		t.Skip("e2e: missing tools: " + err.Error())
	}
	tokens, err := admin.ParseTokens("tokens", strings.NewReader("viewer read "+admin.HashToken(uiReadTok)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	b1, b2 := admintest.New("n1", nil), admintest.New("n2", nil)
	s2 := admintest.NewServer(t, b2, admin.Options{Tokens: tokens})
	peers, err := admin.NewPeers([]string{s2.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b1.AddMember(clustermember.Member{ID: "n2", Admin: s2.URL})
	s1 := admintest.NewServer(t, b1, admin.Options{Tokens: tokens, Peers: peers})
	if err := b2.SetOverride(t.Context(), "www.example.com.", "us-east", health.Override{State: health.OverrideDown, Reason: "lagging"}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, chromium, s1.URL)
	b.open(t, "/ui/?token="+uiReadTok)
	b.waitFor(t, "the rows", `document.querySelectorAll('#matrix-body tr[data-status]').length === 2`)
	b.eval(t, `document.getElementById('ex-name').value = 'www.example.com'; document.querySelector('#explain-form button[type=submit]').click(); ''`)
	b.waitFor(t, "both nodes' answers", `document.querySelectorAll('#explain-output article[data-node]').length === 2`)
	var got struct {
		Agree    string            `json:"agree"`
		Verdict  string            `json:"verdict"`
		Disagree map[string]string `json:"disagree"`
	}
	b.evalInto(t, `(() => {
		const out = document.getElementById('explain-output');
		return {
			agree: out.dataset.agree,
			verdict: out.querySelector('.verdict').textContent,
			disagree: Object.fromEntries([...out.querySelectorAll('article[data-node]')].map(a => [a.dataset.node, a.dataset.disagree])),
		};
	})()`, &got)
	if got.Agree != "false" || !strings.HasPrefix(got.Verdict, "The nodes disagree: n1 answers") {
		t.Errorf("the page says agree=%q: %q", got.Agree, got.Verdict)
	}
	// With two nodes neither is the majority: both are outlined.
	if got.Disagree["n1"] != "true" || got.Disagree["n2"] != "true" {
		t.Errorf("outlined: %v, want both nodes", got.Disagree)
	}
	b.checkClean(t)
}
