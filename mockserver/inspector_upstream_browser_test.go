package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestInspectorInBrowserShowsTheUpstreamsAnswer: in proxy mode, an entry
// unfolded in a real browser shows the upstream's request id and its body
// laid out, the departure beside the token's line; the drift table names
// the request by the upstream's id. Markup the upstream sent in its body
// and its request id shows as text and runs nothing.
func TestInspectorInBrowserShowsTheUpstreamsAnswer(t *testing.T) {
	const token = `tok_<img src=x onerror="window.__xss = 4">`
	const upstreamID = `req_<img src=x onerror="window.__xss = 5">`
	up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", upstreamID)
		body, _ := json.Marshal(map[string]any{"code": "ok", "data": map[string]string{"token": token}})
		w.Write(body)
	})
	ts, _, _ := startProxy(t, up.URL)
	tokenJSON := strconv.Quote(token) // as the body's line shows it (JSON, for this token)
	_, run, eval, waitUntil := openBrowser(t)
	run("open the page", chromedp.Navigate(ts.URL+"/__mock/"), chromedp.WaitVisible(chromedp.CSS(`#drift`)))
	if got := create(t, ts, seedTransfer); got.status != 200 {
		t.Fatalf("through the proxy: %d %s", got.status, got.body)
	}
	waitUntil("the proxied request on the page", `document.querySelector('#live .entry .upstream') !== null`)
	run("unfold it", chromedp.Click(chromedp.CSS(`#live .entry details summary`)))
	waitUntil("the upstream's answer shown", `(() => {
		const u = document.querySelector('#live .entry details[open] .upstream');
		return u !== null && u.getBoundingClientRect().height > 0;
	})()`)
	if got := eval(`document.querySelector('#live .entry .upstream .upstream-id code').textContent`); got != upstreamID {
		t.Errorf("the entry shows the upstream's request id as %q, want %q", got, upstreamID)
	}
	if eval(`(() => {
		const line = [...document.querySelectorAll('#live .entry .upstream code.line.bad')].find((l) => l.textContent.includes('"token"'));
		return line !== undefined && line.textContent.includes(`+jsString(tokenJSON)+`) &&
			line.nextElementSibling.textContent.includes('/data/token') && line.nextElementSibling.textContent.includes('must be a uuid') &&
			line.getBoundingClientRect().top === line.nextElementSibling.getBoundingClientRect().top;
	})()`) != true {
		t.Errorf("the upstream's body lacks the token's line with its departure beside it: %v", eval(`document.querySelector('#live .entry .upstream').innerText`))
	}
	if eval(`document.querySelector('#live .entry .upstream').innerText.includes('"code": "ok",')`) != true {
		t.Errorf("the upstream's body is not laid out: %v", eval(`document.querySelector('#live .entry .upstream').innerText`))
	}
	if got := eval(`document.querySelector('#drift tbody tr td:last-child code').textContent`); got != upstreamID {
		t.Errorf("the drift table names the request %q, want the upstream's id %q", got, upstreamID)
	}
	if got := eval(`typeof window.__xss`); got != "undefined" || eval(`document.querySelectorAll('#live img').length`) != float64(0) {
		t.Errorf("markup the upstream sent ran or became an element (window.__xss: %v)", got)
	}
	if got := eval(`window.__csp`); got == nil || len(got.([]any)) != 0 {
		t.Errorf("Content-Security-Policy violations: %v", got)
	}
}
