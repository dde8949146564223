package admin_test

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestUIShowsTargets opens the status page in headless Chromium over a
// node whose endpoints are named by hostname: a failed target's row says
// that no address is answered and shows the old ones as the last good
// ones, a stale target's row the addresses still answered, marked so.
// Skipped without Chromium, except under CI=true.
func TestUIShowsTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is missing (apt-get install -y chromium)")
		}
		t.Skip("chromium is missing (apt-get install -y chromium)")
	}
	now := time.Now().UTC().Truncate(time.Second)
	b := admintest.New("n1", nil)
	b.SetTarget("www.example.com.", "us-east", health.TargetState{Name: "lb-us.example.net.", State: health.TargetFailed,
		Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Failure: "NXDOMAIN", FailingSince: now.Add(-time.Minute),
		Resolved: now.Add(-2 * time.Minute), LookedUp: now, TTL: time.Minute})
	b.SetTarget("www.example.com.", "eu-west", health.TargetState{Name: "lb-eu.example.net.", State: health.TargetStale,
		Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.20")}, Failure: "SERVFAIL", FailingSince: now,
		Resolved: now.Add(-time.Minute), LookedUp: now, StaleUntil: now.Add(time.Minute), TTL: time.Minute})
	srv := admintest.NewServer(t, b, admin.Options{})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelRun := context.WithTimeout(ctx, 60*time.Second)
	defer cancelRun()

	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/ui/"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#matrix-body tr .target').length === 2`))
	if err != nil {
		t.Fatalf("the status page never showed both targets: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]map[string]string](`Object.fromEntries([...document.querySelectorAll('#matrix-body tr')].map(r => {
		const t = r.querySelector('.target');
		return [r.dataset.endpoint, {status: r.dataset.status, state: t ? t.dataset.targetState : '', text: t ? t.textContent : ''}];
	}))`))
	if err != nil {
		t.Fatalf("reading the status page: %v", err)
	}
	for _, tc := range []struct {
		endpoint, status, state string
		has, hasNot             []string
	}{
		{"us-east", "unhealthy", "failed", []string{"lb-us.example.net.: no address answered", "NXDOMAIN for 1m", "last good 192.0.2.10, resolved 2m"}, []string{"→"}},
		{"eu-west", "healthy", "stale", []string{"lb-eu.example.net. → 192.0.2.20 (last good, resolved 1m", "SERVFAIL for ", "answered until"}, nil},
	} {
		got := shown[tc.endpoint]
		if got["status"] != tc.status || got["state"] != tc.state {
			t.Errorf("%s: row %q, target %q; want %q, %q", tc.endpoint, got["status"], got["state"], tc.status, tc.state)
		}
		for _, want := range tc.has {
			if !strings.Contains(got["text"], want) {
				t.Errorf("%s: the page says %q, without %q", tc.endpoint, got["text"], want)
			}
		}
		for _, not := range tc.hasNot {
			if strings.Contains(got["text"], not) {
				t.Errorf("%s: the page says %q, with %q", tc.endpoint, got["text"], not)
			}
		}
	}
}
