package health

import (
	"net/http"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// TestTransportsBoundDials: the transport goes on dialling after a probe
// gives up, so its dials and TLS handshakes carry the check's timeout;
// checks that differ in it, in keep-alive or in TLS identity do not
// share, and the last check to go closes the transport.
func TestTransportsBoundDials(t *testing.T) {
	ts := NewTransports(nil, nil)
	check := func(url string, iv, timeout time.Duration, host string) config.Check {
		return config.Check{Name: "c", Type: config.CheckHTTPS, URL: url, Host: host,
			Interval: config.Duration(iv), Timeout: config.Duration(timeout)}
	}
	tests := []struct {
		name          string
		c             config.Check
		wantTimeout   time.Duration
		wantKeepAlive bool
	}{
		{"keep-alive, 2s", check("https://a.test/", 10*time.Second, 2*time.Second, ""), 2 * time.Second, true},
		{"another address, same transport", check("https://b.test/", 10*time.Second, 2*time.Second, ""), 2 * time.Second, true},
		{"another host name", check("https://a.test/", 10*time.Second, 2*time.Second, "www.a.test"), 2 * time.Second, true},
		{"another timeout", check("https://a.test/", 10*time.Second, 500*time.Millisecond, ""), 500 * time.Millisecond, true},
		{"an interval of ConnMaxAge dials each probe", check("https://a.test/", ConnMaxAge, 2*time.Second, ""), 2 * time.Second, false},
	}
	var releases []func()
	for _, tt := range tests {
		hc, err := ts.NewHTTPChecker(tt.c)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		releases = append(releases, hc.Release)
		tr := hc.client.Transport.(*http.Transport)
		if tr.TLSHandshakeTimeout != tt.wantTimeout || tr.DisableKeepAlives == tt.wantKeepAlive {
			t.Errorf("%s: handshake timeout %v, keep-alives off %v; want %v, %v", tt.name, tr.TLSHandshakeTimeout, tr.DisableKeepAlives, tt.wantTimeout, !tt.wantKeepAlive)
		}
	}
	if got := len(ts.m); got != 4 {
		t.Errorf("%d transports, want 4", got)
	}
	for k, st := range ts.m {
		if st.t.TLSHandshakeTimeout != k.timeout || st.t.DisableKeepAlives == k.keepAlive {
			t.Errorf("transport %+v: handshake timeout %v, keep-alives off %v", k, st.t.TLSHandshakeTimeout, st.t.DisableKeepAlives)
		}
	}
	if st := ts.m[transportKey{keepAlive: true, timeout: 2 * time.Second}]; st == nil || st.users != 2 {
		t.Errorf("a.test and b.test do not share one transport: %+v", st)
	}
	for _, r := range releases {
		r()
		r() // twice is once
	}
	if got := len(ts.m); got != 0 {
		t.Errorf("%d transports left after every checker released", got)
	}
}
