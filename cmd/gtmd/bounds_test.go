package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestValidateBoundsAndCeiling checks that `gtmd validate -f` refuses
// bombs with the place and a document the store could not hold with its
// size, and says how much of the ceiling a good one takes.
func TestValidateBoundsAndCeiling(t *testing.T) {
	under, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, doc, stdout, err string
	}{
		{"just under the ceiling", string(under.Source),
			fmt.Sprintf(": ok (1 zones, 0 services, 0 checks; %d of 1500000 bytes stored)\n", len(under.Stored)), ""},
		{"just over the ceiling", string(over.Source), "",
			fmt.Sprintf(" cannot be applied: the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of 1500000 bytes: the cluster store (etcd) refuses a write over 1.5 MiB", len(over.Stored))},
		{"merge bomb", sizeddoc.MergeBomb(), "",
			":8:34: services[0].endpoints[4].<<: aliases expand the document past 10920 values, the most a document of 920 bytes may stand for; write out fewer values through anchors"},
		{"merge cycle", "services:\n  - &x {<<: *x}\n", "",
			":2:13: services[0].<<: alias *x is inside the value it names, which would repeat without end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml", tc.doc)
			var out bytes.Buffer
			err := validate([]string{"-f", file}, &out)
			if tc.err == "" {
				if err != nil || out.String() != file+tc.stdout {
					t.Errorf("validate: %v, printed %q; want %q", err, out.String(), file+tc.stdout)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), file+tc.err) {
				t.Errorf("validate: %v\nwant an error with %q", err, file+tc.err)
			}
		})
	}
}

// TestCLIApplyBoundsAndCeiling checks `gtmd apply -f`: a bomb is refused
// here with its place, and a document over the ceiling with its stored
// size, the limit and why, as gtmd validate says it; neither is sent, in a
// dry run or an apply. The document just under the ceiling is sent and
// stored.
func TestCLIApplyBoundsAndCeiling(t *testing.T) {
	b := admintest.New("n1", nil)
	h, err := admin.New(admin.Options{Backend: b, NodeID: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	env := map[string]string{envAdmin: srv.URL}

	dir := t.TempDir()
	under, over, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	bomb := writeFile(t, dir, "bomb.yaml", sizeddoc.MergeBomb())
	cli(t, env, "apply", "-f", bomb).want(t, 1, "", "gtmd apply: "+bomb+" is invalid, nothing was sent:\n"+bomb+":8:34: services[0].endpoints[4].<<: aliases expand the document past")
	big := writeFile(t, dir, "big.json", string(over.Source))
	why := fmt.Sprintf("the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of 1500000 bytes: the cluster store (etcd) refuses a write over 1.5 MiB", len(over.Stored))
	if err := validate([]string{"-f", big}, io.Discard); fmt.Sprint(err) != big+" cannot be applied: "+why {
		t.Errorf("gtmd validate: %v; want it to say why as apply does: %s", err, why)
	}
	tooLarge := "gtmd apply: " + big + " cannot be applied, nothing was sent: " + why + "\n"
	for _, args := range [][]string{{"--dry-run"}, nil} {
		r := cli(t, env, append([]string{"apply", "-f", big}, args...)...)
		r.want(t, 1, "", tooLarge)
		if r.stderr != tooLarge {
			t.Errorf("apply %v printed %q, want %q", args, r.stderr, tooLarge)
		}
	}
	if n := requests.Load(); n != 0 || b.Revision() != 1 {
		t.Errorf("after the refusals: %d requests reached the node, revision %d; want none, 1", n, b.Revision())
	}
	fits := writeFile(t, dir, "fits.json", string(under.Source))
	cli(t, env, "apply", "-f", fits).want(t, 0, fits+": applied at revision 2; nodes catching up", "")
	if n := requests.Load(); n != 1 || b.Revision() != 2 {
		t.Errorf("after applying the document under the ceiling: %d requests, revision %d; want 1, 2", n, b.Revision())
	}
}
