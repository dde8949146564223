package client_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/client"
)

// dnssecNode serves the API over a backend that signs every zone.
func dnssecNode(t *testing.T, opts admin.Options, token string) (*admintest.DNSSEC, *client.Client) {
	t.Helper()
	d := admintest.NewDNSSEC("n1", nil)
	srv := admintest.NewDNSSECServer(t, d, opts)
	return d, newClient(t, client.Options{URL: srv.URL, Token: token})
}

// TestDNSSEC: DS lines as served, the status, a rollover through to
// submitted, and the refusals as APIErrors with their status.
func TestDNSSEC(t *testing.T) {
	d, c := dnssecNode(t, admin.Options{}, "")
	ctx := t.Context()

	ds, err := c.DNSSECDS(ctx, "Example.COM")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^example\.com\.\t3600\tIN\tDS\t12345 13 2 [0-9A-F]{64}\n$`).MatchString(ds) {
		t.Errorf("DS %q", ds)
	}
	st, err := c.DNSSECStatus(ctx, "example.com.")
	if err != nil || st.Zone != "example.com." || len(st.Keys) != 1 || st.Keys[0].Role != admin.DNSSECRoleCSK || st.Rollover != nil {
		t.Fatalf("status %+v, %v", st, err)
	}
	st, err = c.DNSSECRollover(ctx, "example.com")
	if err != nil || st.Rollover == nil || st.Rollover.WaitingFor != admin.DNSSECWaitingForDS {
		t.Fatalf("rollover %+v, %v", st, err)
	}
	if ds, _ := c.DNSSECDS(ctx, "example.com"); strings.Count(ds, "\n") != 2 {
		t.Errorf("DS during the rollover: %q", ds)
	}
	_, err = c.DNSSECRollover(ctx, "example.com")
	if ae := apiError(t, err); ae.Status != http.StatusConflict || !strings.Contains(ae.Message, "a key rollover is in progress") {
		t.Errorf("a second rollover: %v", err)
	}
	if st, err = c.DNSSECSubmitted(ctx, "example.com"); err != nil || st.Rollover == nil || st.Rollover.WaitingFor != "" {
		t.Errorf("submitted %+v, %v", st, err)
	}
	_, err = c.DNSSECSubmitted(ctx, "example.com")
	if ae := apiError(t, err); ae.Status != http.StatusConflict {
		t.Errorf("submitted again: %v", err)
	}
	for _, z := range d.Calls() {
		if z != "example.com." {
			t.Errorf("the backend got zone %q", z)
		}
	}

	_, err = c.DNSSECDS(ctx, "example.net")
	if ae := apiError(t, err); ae.Status != http.StatusNotFound || ae.Message != "zone example.net. is not served: not found" {
		t.Errorf("a zone not served: %v", err)
	}
	_, err = c.DNSSECStatus(ctx, "example.net")
	if ae := apiError(t, err); ae.Status != http.StatusNotFound {
		t.Errorf("status of a zone not served: %v", err)
	}
}

// TestDNSSECRefused: a read token cannot roll keys; a node without
// DNSSEC answers 501.
func TestDNSSECRefused(t *testing.T) {
	tokens, err := admin.ParseTokens("tokens", strings.NewReader("viewer read "+admin.HashToken("r")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, c := dnssecNode(t, admin.Options{Tokens: tokens}, "r")
	if _, err := c.DNSSECStatus(t.Context(), "example.com"); err != nil {
		t.Errorf("a read token reading: %v", err)
	}
	_, err = c.DNSSECRollover(t.Context(), "example.com")
	if ae := apiError(t, err); ae.Status != http.StatusForbidden {
		t.Errorf("a read token rolling: %v", err)
	}

	_, plain := node(t, admin.Options{}, "")
	_, err = plain.DNSSECDS(t.Context(), "example.com")
	if ae := apiError(t, err); ae.Status != http.StatusNotImplemented || !strings.Contains(ae.Message, "DNSSEC is not available on this node") {
		t.Errorf("a node without DNSSEC: %v", err)
	}
}
