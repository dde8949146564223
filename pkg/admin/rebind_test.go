package admin_test

import (
	"net/http"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

// TestNoTokensLoopbackHostOnly: without a tokens file a request must be
// addressed to a loopback host, so a web page that rebinds its own name to
// 127.0.0.1 cannot drive the API from the operator's browser.
func TestNoTokensLoopbackHostOnly(t *testing.T) {
	srv := admintest.NewServer(t, admintest.New("n1", nil), admin.Options{})
	cases := []struct {
		host string
		want int
	}{
		{"", http.StatusOK}, // the server's own 127.0.0.1:port
		{"localhost:8300", http.StatusOK},
		{"[::1]:8300", http.StatusOK},
		{"127.0.0.2", http.StatusOK},
		{"attacker.example:8300", http.StatusForbidden},
		{"192.0.2.7:8300", http.StatusForbidden},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/members", nil)
		if c.host != "" {
			req.Host = c.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("Host %q: %d, want %d", c.host, resp.StatusCode, c.want)
		}
	}
	// The probes stay open to anyone who reaches the port.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	req.Host = "attacker.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz with a foreign Host: %d", resp.StatusCode)
	}
}
