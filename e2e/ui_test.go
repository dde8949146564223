package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"
)

// uiWait bounds every wait for the page: generous, since the machine is
// shared; the test asserts what the page shows, never how fast.
const uiWait = 60 * time.Second

// TestStatusPage opens the status page of a running two-node cluster in
// headless Chromium and uses it as an operator would: it loads with no
// console error and no request outside its origin, a failing target turns
// its markers and rows unhealthy without a reload, the explain form shows
// what the API explains, a drain from the page moves the DNS answers, and
// a read token gets no drain button. GTMD_E2E_SCREENSHOTS=DIR writes the
// screenshots of docs/ there.
func TestStatusPage(t *testing.T) {
	u := newUIEnv(t)
	n1 := u.nodes[0]
	b := newBrowser(t, u.chromium, n1.admin)

	b.open(t, "/ui/?token="+uiWriteTok)
	if got := b.eval(t, `location.pathname + location.search`); got != "/ui/" {
		t.Errorf("after ?token= the page is at %q, want /ui/ (the token out of the address bar)", got)
	}
	if got := b.eval(t, `document.body.dataset.role`); got != "write" {
		t.Errorf("data-role %q with the write token", got)
	}
	// Every endpoint of both services, healthy, in rows and on the map.
	const endpoints = 6 // www in four regions, api in two
	b.waitFor(t, "every row and marker healthy", fmt.Sprintf(`document.querySelectorAll('#matrix-body tr[data-status="healthy"]').length === %d && document.querySelectorAll('#markers [data-status="healthy"]').length === %d`, endpoints, endpoints))
	b.waitFor(t, "both nodes' columns and members", `document.querySelectorAll('#matrix-head th[data-node]').length === 2 && document.querySelectorAll('#members-body tr[data-node]').length === 2`)
	b.waitFor(t, "an observation of every node in every row", `[...document.querySelectorAll('#matrix-body tr')].every(r => r.querySelectorAll('td[data-node][data-obs="up"]').length === 2)`)

	t.Run("explain", func(t *testing.T) {
		for _, c := range []struct{ name, client, param string }{
			{uiWWW, "198.18.128.0/24", "ecs"}, // Frankfurt: eu-west
			{uiWWW, "198.18.32.7", "client"},  // Ashburn: us-east
			{uiAPI, "", ""},
		} {
			b.eval(t, fmt.Sprintf(`(() => {
				document.getElementById('ex-name').value = %q;
				document.getElementById('ex-type').value = 'A';
				document.getElementById('ex-client').value = %q;
				document.getElementById('explain-output').replaceChildren();
				document.querySelector('#explain-form button[type=submit]').click();
				return '';
			})()`, c.name, c.client))
			b.waitFor(t, "the explanation of "+c.name, `document.querySelectorAll('#explain-output article[data-node]').length === 2`)
			var shown map[string][]string
			b.evalInto(t, `Object.fromEntries([...document.querySelectorAll('#explain-output article[data-node]')].map(a => [a.dataset.node, [...a.querySelectorAll('.answer code')].map(c => c.textContent)]))`, &shown)
			q := url.Values{"name": {c.name}, "type": {"A"}, "all_nodes": {"1"}}
			if c.param != "" {
				q.Set(c.param, c.client)
			} else {
				// The page asks for the browser's address, 127.0.0.1.
				q.Set("client", "127.0.0.1")
			}
			var all struct {
				Nodes []struct {
					Node        string `json:"node"`
					Explanation *struct {
						Answer []string `json:"answer"`
					} `json:"explanation"`
				} `json:"nodes"`
			}
			if err := u.getJSON(n1.admin+"/v1/explain?"+q.Encode(), &all); err != nil {
				t.Fatal(err)
			}
			if len(all.Nodes) != 2 {
				t.Fatalf("the API explained on %d nodes", len(all.Nodes))
			}
			for _, n := range all.Nodes {
				if n.Explanation == nil || len(n.Explanation.Answer) == 0 {
					t.Fatalf("%s: the API gave no answer: %+v", n.Node, n)
				}
				if !slices.Equal(shown[n.Node], n.Explanation.Answer) {
					t.Errorf("%s %s from %q: the page shows %q, the API answers %q", c.name, n.Node, c.client, shown[n.Node], n.Explanation.Answer)
				}
			}
		}
	})

	// The healthy state, with an explanation on the page: the top as a
	// laptop shows it, and the whole page.
	b.eval(t, `document.getElementById('ex-name').value = 'www.ui.test'; document.getElementById('ex-client').value = '198.18.128.0/24'; document.querySelector('#explain-form button[type=submit]').click(); ''`)
	b.waitFor(t, "the explanation", `document.querySelectorAll('#explain-output article[data-node]').length === 2`)
	b.shoot(t, "ui-healthy.png")
	b.shootPage(t, "ui-healthy-full.png")

	t.Run("a failing target", func(t *testing.T) {
		us := u.region("us-east")
		us.target.Down()
		start := time.Now()
		b.waitFor(t, "us-east's rows and markers unhealthy", `['www.ui.test.', 'api.ui.test.'].every(s =>
			document.querySelector('#matrix-body tr[data-service="' + s + '"][data-endpoint="us-east"]')?.dataset.status === 'unhealthy' &&
			document.querySelector('#markers [data-service="' + s + '"][data-endpoint="us-east"]')?.dataset.status === 'unhealthy')`)
		t.Logf("us-east turned unhealthy on the page %s after its target went down (fall %d × interval %s)", time.Since(start).Round(100*time.Millisecond), fall, interval)
		if got := b.eval(t, `String(document.querySelectorAll('#matrix-body tr[data-status="healthy"]').length)`); got != "4" {
			t.Errorf("%s rows still healthy, want the 4 of other regions", got)
		}
		b.waitFor(t, "a health event in the list", `document.querySelector('#events li[data-type="health"]') !== null`)
		b.shoot(t, "ui-failed.png")
		b.phone(t, func() { b.shoot(t, "ui-failed-phone.png") })
		if err := us.target.Up(); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, "us-east healthy again", fmt.Sprintf(`document.querySelectorAll('#matrix-body tr[data-status="healthy"]').length === %d`, endpoints))
	})

	t.Run("drain from the page", func(t *testing.T) {
		q := ask{name: uiAPI, qtype: dns.TypeA}
		u.answersEverywhere(t, "before the drain", q, usAPI)
		b.click(t, `button[aria-label="Drain us-east of api.ui.test."]`)
		b.waitFor(t, "the confirmation", dialogOpen)
		b.eval(t, `document.getElementById('drain-reason').value = 'e2e: maintenance from the status page'; ''`)
		b.click(t, `#drain-confirm`)
		b.waitFor(t, "the dialog closed and the row drained", `!`+dialogOpen+` &&
			document.querySelector('#matrix-body tr[data-service="api.ui.test."][data-endpoint="us-east"]')?.dataset.status === 'drained'`)
		u.answersEverywhere(t, "after the drain", q, euAPI)
		b.click(t, `button[aria-label="Undrain us-east of api.ui.test."]`)
		b.waitFor(t, "the confirmation", dialogOpen)
		b.click(t, `#drain-confirm`)
		u.answersEverywhere(t, "after the undrain", q, usAPI)

		// A whole region: every service's endpoint there.
		b.click(t, `button[aria-label="Drain region us-east"]`)
		b.waitFor(t, "the confirmation", dialogOpen)
		// No reason, no drain: the dialog stays open.
		b.click(t, `#drain-confirm`)
		if open := b.eval(t, `String(`+dialogOpen+`)`); open != "true" {
			t.Errorf("a drain without a reason closed the dialog")
		}
		b.eval(t, `document.getElementById('drain-reason').value = 'e2e: region maintenance'; ''`)
		b.click(t, `#drain-confirm`)
		b.waitFor(t, "us-east drained in both services", `document.querySelectorAll('#matrix-body tr[data-endpoint="us-east"][data-status="drained"]').length === 2 &&
			document.querySelectorAll('#markers [data-endpoint="us-east"][data-status="drained"]').length === 2`)
		u.answersEverywhere(t, "after the region drain", q, euAPI)
		b.shoot(t, "ui-drained.png")
		b.click(t, `button[aria-label="Undrain region us-east"]`)
		b.waitFor(t, "the confirmation", dialogOpen)
		b.click(t, `#drain-confirm`)
		u.answersEverywhere(t, "after the region undrain", q, usAPI)
	})

	t.Run("phone width", func(t *testing.T) {
		b.phone(t, func() {
			if got := b.eval(t, `String(document.documentElement.scrollWidth)`); got != "390" {
				t.Errorf("the page is %s px wide at 390: it scrolls sideways", got)
			}
		})
	})

	t.Run("the node restarts", func(t *testing.T) {
		// The page's event stream breaks and comes back by itself. Its
		// failed requests while the node is away are expected.
		defer b.forgive(t, b.mark())
		n1.proc.stop(5 * time.Second)
		b.waitFor(t, "the page saying it lost the stream", `document.getElementById('conn-text').textContent !== 'live'`)
		if err := n1.proc.start(); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, "the stream live again and every row healthy", fmt.Sprintf(`document.getElementById('conn-text').textContent === 'live' &&
			document.querySelectorAll('#matrix-body tr[data-status="healthy"]').length === %d`, endpoints))
	})

	t.Run("read token", func(t *testing.T) {
		b.open(t, "/ui/?token="+uiReadTok)
		b.waitFor(t, "the rows", fmt.Sprintf(`document.querySelectorAll('#matrix-body tr[data-status]').length === %d`, endpoints))
		if got := b.eval(t, `document.body.dataset.role + ' ' + document.querySelectorAll('button[aria-label*="Drain"], button[aria-label*="drain"]').length`); got != "read 0" {
			t.Errorf("with a read token: role and drain buttons %q, want \"read 0\"", got)
		}
	})

	b.checkClean(t)
}

// dialogOpen is true while the drain dialog asks for a confirmation.
const dialogOpen = `document.getElementById('drain-dialog').open`

// answersEverywhere waits until every node answers q with want over DNS,
// and fails the test when one does not.
func (u *uiEnv) answersEverywhere(t *testing.T, when string, q ask, want string) {
	t.Helper()
	for _, n := range u.nodes {
		if _, err := poll(uiWait, step, answerIs(n.dns, q, want)); err != nil {
			t.Errorf("%s %s: %v", n.id, when, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// getJSON GETs url with the read token and decodes the JSON answer.
func (u *uiEnv) getJSON(url string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+uiReadTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// browser is one headless Chromium tab on a node's admin origin; it
// records every console error and every request the page makes.
type browser struct {
	ctx    context.Context
	origin string

	mu       sync.Mutex
	errors   []string
	requests []string
}

func newBrowser(t *testing.T, chromium, origin string) *browser {
	t.Helper()
	b := &browser{origin: origin}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	t.Cleanup(cancel)
	b.ctx = ctx
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{})
		return err
	}), chromedp.EmulateViewport(1280, 800))
	if err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return b
}

// listen runs in the tab's event loop: it only records.
func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledType("error") || ev.Type == runtime.ConsoleAPICalledType("assert") {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value))
			}
			b.errors = append(b.errors, "console."+string(ev.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.errors = append(b.errors, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			b.errors = append(b.errors, fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	}
}

// checkClean fails the test for every console error the page logged and
// every request it sent outside its origin.
func (b *browser) checkClean(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("the page logged an error: %s", e)
	}
	if len(b.requests) == 0 {
		t.Error("no request of the page was seen: the network events were not recorded")
	}
	outside := 0
	for _, r := range b.requests {
		if r != b.origin && !strings.HasPrefix(r, b.origin+"/") && !strings.HasPrefix(r, "data:") {
			t.Errorf("the page asked outside its origin %s: %s", b.origin, r)
			outside++
		}
	}
	t.Logf("the page made %d requests, %d outside its origin, and logged %d errors", len(b.requests), outside, len(b.errors))
}

// mark is how many errors the page has logged so far.
func (b *browser) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.errors)
}

// forgive drops the errors logged since mark, during an outage the test
// caused, and logs them.
func (b *browser) forgive(t *testing.T, mark int) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors[mark:] {
		t.Logf("during the outage the page logged: %s", e)
	}
	b.errors = b.errors[:mark]
}

func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.origin+path)); err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
}

// eval runs a script that returns a string.
func (b *browser) eval(t *testing.T, js string) string {
	t.Helper()
	var s string
	b.evalInto(t, js, &s)
	return s
}

func (b *browser) evalInto(t *testing.T, js string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, uiWait)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("evaluating %s: %s: %v", js, raw, err)
	}
}

// waitFor polls the page until the script is true: the page changes by
// itself, with no reload.
func (b *browser) waitFor(t *testing.T, what, js string) {
	t.Helper()
	_, err := poll(uiWait, 100*time.Millisecond, func() error {
		var ok bool
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage]("!!("+js+")"))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &ok); err != nil || !ok {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the page never showed %s: %v\nthe page's text:\n%s", what, err, b.eval(t, `document.body.innerText.slice(0, 3000)`))
	}
}

func (b *browser) click(t *testing.T, sel string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, uiWait)
	defer cancel()
	for {
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		if err == nil {
			return
		}
		// The page redraws its rows as health arrives: the button found
		// can be replaced before the click reaches it. Find it again.
		if ctx.Err() == nil && strings.Contains(err.Error(), "Could not find node with given id") {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		t.Fatalf("clicking %s: %v", sel, err)
	}
}

// phone runs fn with the page 390 CSS px wide, as on a phone, once the
// page has drawn its map for that width.
func (b *browser) phone(t *testing.T, fn func()) {
	t.Helper()
	b.resize(t, 390, 844)
	defer b.resize(t, 1280, 800)
	fn()
}

// resize sets the viewport and waits until the map's markers are drawn
// for the map's new width.
func (b *browser) resize(t *testing.T, width, height int64) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the map drawn for its width", `document.getElementById('markers').dataset.width === String(Math.round(document.getElementById('map').getBoundingClientRect().width))`)
}

// shootPage writes a screenshot of the whole page, 1280 px wide, to
// GTMD_E2E_SCREENSHOTS, when it is set.
func (b *browser) shootPage(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("GTMD_E2E_SCREENSHOTS") == "" {
		return
	}
	var height int64
	b.evalInto(t, `document.documentElement.scrollHeight`, &height)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, height)); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
			t.Error(err)
		}
	}()
	b.shoot(t, name)
}

// shoot writes a screenshot of the viewport to GTMD_E2E_SCREENSHOTS, when
// it is set.
func (b *browser) shoot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("GTMD_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
