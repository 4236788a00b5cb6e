package mockserver_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/benjiconnect/benji/mockserver"
)

var (
	screenshot      = flag.String("inspector.screenshot", "", "write a PNG of the inspector as TestInspectorInBrowser leaves it (1200 px wide) to this `path`")
	proxyScreenshot = flag.String("inspector.proxy-screenshot", "", "write a PNG of the inspector in proxy mode, as TestInspectorInBrowserInProxyMode leaves it, to this `path`")
)

// browser finds a Chromium or Chrome to drive. Without one the browser test
// is skipped, except in CI (CI set), which installs one: there it fails.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no chromium, chromium-browser or google-chrome in PATH (Debian: apt-get install chromium)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI must install one")
	}
	t.Skip(msg + ": the inspector's browser test is skipped")
	return ""
}

// watchPage runs in every document the tab loads, before the page's own
// script: it records every Content-Security-Policy violation, so that the
// test can tell that the page breaks none of its own rules (no inline
// style or script of its own) and that nothing a request sent got to run.
const watchPage = `window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));`

// TestInspectorInBrowser drives the inspector in a real headless Chromium:
// it signs in with the admin token, watches a valid and an invalid request
// appear without a reload, queues a fault through the form and sees the
// next request get it, and checks that markup in a display_name shows as
// text and runs nothing.
func TestInspectorInBrowser(t *testing.T) {
	const adminToken = "browser-admin-token"
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.AdminToken = adminToken })
	ctx, run, eval, waitUntil := openBrowser(t)
	send := func(body string) int {
		t.Helper()
		return create(t, ts, body).status
	}

	run("sign in",
		chromedp.Navigate(ts.URL+"/__mock/"),
		chromedp.WaitVisible(chromedp.CSS(`#login input[name=token]`)),
		chromedp.SetValue(chromedp.CSS(`#login input[name=token]`), adminToken),
		chromedp.Click(chromedp.CSS(`#login button`)),
		chromedp.WaitVisible(chromedp.CSS(`#live`)),
	)
	// A reload would lose this.
	eval(`window.__marker = 'no reload'`)

	const valid = `{"mode":3,"display_name":"Browser Valid","partnership_id":49,"user_external_id":"1234",` +
		`"custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true},{"mode":4,"amount":250}]}}`
	if status := send(valid); status != 200 {
		t.Fatalf("valid request: %d", status)
	}
	waitUntil("the valid request on the page", `document.querySelector('#live').textContent.includes('Browser Valid')`)
	if status := send(`{"mode":2,"partnership_id":"49","custom_attributes":{"actions":[{"mode":1,"amount":0}]}}`); status != 400 {
		t.Fatalf("invalid request: %d", status)
	}
	waitUntil("the invalid request's violations beside their lines", `(() => {
		const beside = (text, pointer) => [...document.querySelectorAll('#live code.line.bad')].some(
			(l) => l.textContent.trim() === text && l.nextElementSibling.textContent.includes(pointer));
		return beside('"mode": 2,', '/mode') && beside('"mode": 1,', '/custom_attributes/actions/0/mode') &&
			beside('"amount": 0', '/custom_attributes/actions/0/amount') && beside('{', '/display_name');
	})()`)
	if eval(`window.__marker`) != "no reload" {
		t.Error("the page reloaded to show the requests")
	}

	// A fault through the form; the page comes back with it queued.
	run("queue a fault through the form",
		chromedp.SetValue(chromedp.CSS(`#fault-form select[name=status]`), "429"),
		chromedp.SetValue(chromedp.CSS(`#fault-form input[name="match.user_external_id"]`), "1234"),
		chromedp.Click(chromedp.CSS(`#fault-form button`)),
	)
	waitUntil("the queued fault on the page", `document.querySelector('#faults') !== null && document.querySelector('#faults').textContent.includes('status=429')`)
	eval(`window.__marker = 'no reload'`)
	if status := send(valid); status != 429 {
		t.Errorf("the request after the fault: %d, want the fault's 429", status)
	}
	waitUntil("the faulted request on the page, and the queue empty", `document.querySelector('#live .entry .injected')?.textContent === 'fault status=429' &&
		document.querySelector('#faults').textContent.includes('None')`)

	// Markup in a display_name is text, and nothing of it runs.
	const hostile = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`
	body, _ := json.Marshal(map[string]any{"mode": 1, "display_name": hostile, "user_external_id": "hostile-1"})
	if status := send(string(body)); status != 200 {
		t.Fatalf("the hostile display_name: %d", status)
	}
	waitUntil("the hostile request on the page", `document.querySelector('#live').textContent.includes('hostile-1')`)
	if eval(`[...document.querySelectorAll('#live .display-name')].some((d) => d.textContent === `+jsString(hostile)+`)`) != true {
		t.Errorf("the display_name %q is not shown as text", hostile)
	}
	if got := eval(`typeof window.__xss`); got != "undefined" {
		t.Errorf("window.__xss is %v: a script in the journal ran", eval(`window.__xss`))
	}
	if got := eval(`document.querySelectorAll('#live img, #live script').length`); got != float64(0) {
		t.Errorf("%v img or script elements in the journal's part of the page, want none", got)
	}
	if eval(`window.__marker`) != "no reload" {
		t.Error("the page reloaded to show the requests")
	}
	// The page's own files loaded, under its policy.
	if got := eval(`getComputedStyle(document.querySelector('header')).display`); got != "flex" {
		t.Errorf("header display %v: the stylesheet did not apply", got)
	}
	if got := eval(`window.__csp`); got == nil || len(got.([]any)) != 0 {
		t.Errorf("Content-Security-Policy violations: %v", got)
	}

	if *screenshot != "" {
		takeScreenshot(t, ctx, *screenshot, run, waitUntil)
	}
}

// TestInspectorInBrowserInProxyMode: in front of an upstream whose tokens
// are not UUIDs (and carry markup), the drift summary appears on an open
// page without a reload, what the upstream sent shows as text, and nothing
// of it runs.
func TestInspectorInBrowserInProxyMode(t *testing.T) {
	const token = `tok_<img src=x onerror="window.__xss = 3">`
	var n atomic.Int64
	up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", fmt.Sprintf("req_8f3a2c%04d", n.Add(1))) // its own, as a real API's
		body, _ := json.Marshal(map[string]any{"code": "ok", "data": map[string]string{"token": token}})
		w.Write(body)
	})
	ts, _, _ := startProxy(t, up.URL)
	ctx, run, eval, waitUntil := openBrowser(t)
	run("open the page", chromedp.Navigate(ts.URL+"/__mock/"), chromedp.WaitVisible(chromedp.CSS(`#drift`)))
	if eval(`document.querySelector('#drift').textContent.includes('None so far')`) != true {
		t.Errorf("the drift section of a proxy with no answers yet: %v", eval(`document.querySelector('#drift').textContent`))
	}
	eval(`window.__marker = 'no reload'`)
	for range 2 {
		if got := create(t, ts, seedTransfer); got.status != 200 {
			t.Fatalf("through the proxy: %d %s", got.status, got.body)
		}
	}
	waitUntil("the departure in the drift summary", `(() => {
		const row = document.querySelector('#drift tbody tr');
		return row !== null && row.textContent.includes('/data/token') && row.textContent.includes('must be a uuid') &&
			row.querySelectorAll('td')[4].textContent === '2';
	})()`)
	if eval(`document.querySelector('#drift tbody tr').textContent.includes('"tok_<img src=x onerror=\\"window.__xss')`) != true {
		t.Errorf("the upstream's token is not shown as text: %v", eval(`document.querySelector('#drift tbody tr').textContent`))
	}
	if got := eval(`typeof window.__xss`); got != "undefined" || eval(`document.querySelectorAll('#live img').length`) != float64(0) {
		t.Errorf("markup the upstream sent ran or became an element (window.__xss: %v)", got)
	}
	if eval(`window.__marker`) != "no reload" {
		t.Error("the page reloaded to show the drift")
	}
	if got := eval(`window.__csp`); got == nil || len(got.([]any)) != 0 {
		t.Errorf("Content-Security-Policy violations: %v", got)
	}
	if *proxyScreenshot != "" {
		run("unfold the newest request", chromedp.Click(chromedp.CSS(`#live .entry details summary`)))
		waitUntil("its upstream answer shown", `document.querySelector('#live .entry details').open`)
		// Tall enough for the drift summary and the entry's upstream answer.
		run("make room for the upstream answer", chromedp.EmulateViewport(1200, 1500))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(*proxyScreenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// openBrowser starts a headless Chromium for the test (skipping or failing
// as browser says when there is none) and returns its tab with three
// helpers: run does steps, eval evaluates JavaScript in the page, and
// waitUntil polls a condition in the page until it holds (10 s at most).
// Every document the tab loads records the CSP violations in window.__csp.
func openBrowser(t *testing.T) (ctx context.Context, run func(string, ...chromedp.Action[chromedp.Void]), eval func(string) any, waitUntil func(string, string)) {
	t.Helper()
	exe := browser(t)
	// One deadline for the whole test, browser included.
	deadline, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, // root in a container
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 1000),
	)
	start := []chromedp.Action[chromedp.Void]{
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchPage})
			return err
		}),
		chromedp.EmulateViewport(1200, 1000),
	}
	// Chromium started on a busy machine, beside other browsers, now and
	// then exits before it listens ("chrome failed to start"): that is the
	// environment, not the page, so the start is tried a second time.
	for attempt := 1; ; attempt++ {
		alloc, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
		t.Cleanup(cancelAlloc)
		tab, cancelTab := chromedp.NewContext(alloc)
		t.Cleanup(cancelTab)
		err := chromedp.Do(tab, start...)
		if err == nil {
			ctx = tab
			break
		}
		if attempt == 2 {
			t.Fatalf("start the browser: %v", err)
		}
		t.Logf("start the browser, attempt %d, tried again: %.300s", attempt, err)
		cancelTab()
		cancelAlloc()
	}

	run = func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval = func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	waitUntil = func(what, js string) {
		t.Helper()
		limit := time.Now().Add(10 * time.Second)
		for eval(js) != true {
			if time.Now().After(limit) {
				t.Fatalf("timed out waiting for %s; the page shows:\n%s", what, eval(`document.body.innerText`))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return ctx, run, eval, waitUntil
}

// takeScreenshot queues a fault for the picture and writes the page, as
// 1200 px wide PNG, to path.
func takeScreenshot(t *testing.T, ctx context.Context, path string, run func(string, ...chromedp.Action[chromedp.Void]), waitUntil func(string, string)) {
	run("queue a fault for the screenshot",
		chromedp.SetValue(chromedp.CSS(`#fault-form select[name=status]`), "503"),
		chromedp.SetValue(chromedp.CSS(`#fault-form input[name=retry_after]`), "2s"),
		chromedp.SetValue(chromedp.CSS(`#fault-form input[name=times]`), "3"),
		chromedp.SetValue(chromedp.CSS(`#fault-form select[name="match.mode"]`), "3"),
		chromedp.Click(chromedp.CSS(`#fault-form button`)),
	)
	waitUntil("the second fault on the page", `document.querySelector('#faults')?.textContent.includes('status=503') === true`)
	// Unfold the valid request, to show its fields; the invalid one is
	// unfolded already.
	run("unfold the valid request", chromedp.Click(chromedp.CSS(`#live details[data-seq="1"] summary`)))
	waitUntil("the fields shown, and a poll since", `document.querySelector('#live details[data-seq="1"]').open &&
		document.querySelector('#status').title.startsWith('Last checked')`)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}

// jsString writes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(string(b))
}
