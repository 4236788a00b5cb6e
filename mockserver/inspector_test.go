package mockserver_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

const inspectorCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// postForm posts a form as a browser does from the inspector's own page
// (Sec-Fetch-Site: same-origin), plus any extra header pairs, which win.
func postForm(t *testing.T, ts *mockserver.TestServer, path string, form url.Values, header ...string) answer {
	t.Helper()
	h := append([]string{"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin"}, header...)
	return request(t, http.MethodPost, ts.URL+path, form.Encode(), h...)
}

// entries counts the journal entries a page or fragment shows.
func entries(a answer) int { return strings.Count(string(a.body), `<li class="entry `) }

// signIn gives the admin token to the token form and returns the session
// cookie, as "name=value".
func signIn(t *testing.T, ts *mockserver.TestServer, token string) string {
	t.Helper()
	a := postForm(t, ts, "/__mock/ui/login", url.Values{"token": {token}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s, want 303", a.status, a.body)
	}
	c := (&http.Response{Header: a.header}).Cookies()
	if len(c) != 1 {
		t.Fatalf("sign in set %d cookies, want 1", len(c))
	}
	return c[0].Name + "=" + c[0].Value
}

func TestInspectorAccess(t *testing.T) {
	const adminToken = "admin-secret-42"
	open := mockserver.NewTestServer(t)
	protected := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.AdminToken = adminToken })
	disabled := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.DisableAdmin = true })
	cookie := signIn(t, protected, adminToken)
	for _, ts := range []*mockserver.TestServer{open, protected, disabled} {
		create(t, ts, `{"mode":1,"display_name":"Journaled Name"}`)
	}
	for _, tc := range []struct {
		name         string
		ts           *mockserver.TestServer
		method, path string
		header       []string
		want         int
		wantText     string // in the body
		journal      bool   // the body shows the journal
	}{
		{"open: the page", open, "GET", "/__mock/", nil, 200, "Queue a fault", true},
		{"open: HEAD", open, "HEAD", "/__mock/", nil, 200, "", false},
		{"open: without the slash", open, "GET", "/__mock", nil, 301, "", false},
		{"open: the fragment", open, "GET", "/__mock/ui/live", nil, 200, "Queued faults", true},
		{"open: the script", open, "GET", "/__mock/ui/inspector.js", nil, 200, "'use strict'", false},
		{"protected: the token form", protected, "GET", "/__mock/", nil, 401, `name="token"`, false},
		{"protected: a wrong bearer token", protected, "GET", "/__mock/", []string{"Authorization", "Bearer nope"}, 401, `name="token"`, false},
		{"protected: a forged cookie", protected, "GET", "/__mock/", []string{"Cookie", "benji_mock_admin=" + adminToken}, 401, `name="token"`, false},
		{"protected: the bearer token", protected, "GET", "/__mock/", []string{"Authorization", "Bearer " + adminToken}, 200, "Queue a fault", true},
		{"protected: the session cookie", protected, "GET", "/__mock/", []string{"Cookie", cookie}, 200, "Queue a fault", true},
		{"protected: the fragment without the cookie", protected, "GET", "/__mock/ui/live", nil, 401, "Signed out", false},
		{"protected: the fragment with it", protected, "GET", "/__mock/ui/live", []string{"Cookie", cookie}, 200, "Queued faults", true},
		{"protected: the stylesheet, for the token form", protected, "GET", "/__mock/ui/inspector.css", nil, 200, "", false},
		{"protected: the JSON journal with the cookie", protected, "GET", "/__mock/requests", []string{"Cookie", cookie}, 200, "Journaled Name", true},
		{"protected: the JSON journal without", protected, "GET", "/__mock/requests", nil, 401, "", false},
		{"protected: a cross-site DELETE with the cookie", protected, "DELETE", "/__mock/requests", []string{"Cookie", cookie, "Sec-Fetch-Site", "same-site"}, 403, "cross_origin", false},
		{"disabled: the page", disabled, "GET", "/__mock/", nil, 404, "", false},
		{"disabled: the fragment", disabled, "GET", "/__mock/ui/live", nil, 404, "", false},
		{"disabled: the script", disabled, "GET", "/__mock/ui/inspector.js", nil, 404, "", false},
		{"disabled: a form", disabled, "POST", "/__mock/ui/faults/clear", []string{"Content-Type", "application/x-www-form-urlencoded"}, 404, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := request(t, tc.method, tc.ts.URL+tc.path, "", tc.header...)
			if a.status != tc.want {
				t.Fatalf("%s %s: %d, want %d\n%.400s", tc.method, tc.path, a.status, tc.want, a.body)
			}
			if !strings.Contains(string(a.body), tc.wantText) {
				t.Errorf("body lacks %q:\n%.400s", tc.wantText, a.body)
			}
			if got := strings.Contains(string(a.body), "Journaled Name"); got != tc.journal {
				t.Errorf("body shows the journal: %v, want %v", got, tc.journal)
			}
			if strings.Contains(string(a.body)+fmt.Sprint(a.header), adminToken) {
				t.Error("the answer holds the admin token")
			}
			if a.status == 301 && a.header.Get("Location") != "/__mock/" {
				t.Errorf("Location %q, want /__mock/", a.header.Get("Location"))
			}
			if a.status == 401 && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Error("401 without a Bearer challenge")
			}
		})
	}
	if n := len(protected.Requests(mockserver.Filter{})); n != 1 {
		t.Errorf("the cross-site DELETE emptied the journal: %d entries left, want 1", n)
	}
}

func TestInspectorSignIn(t *testing.T) {
	const adminToken = "admin-secret-42"
	var logs syncBuffer
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.AdminToken = adminToken
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	if a := postForm(t, ts, "/__mock/ui/login", url.Values{"token": {"wrong"}}); a.status != 401 ||
		!strings.Contains(string(a.body), "That is not the admin token") || a.header.Get("Set-Cookie") != "" {
		t.Errorf("a wrong token: %d, Set-Cookie %q, want 401 without a cookie\n%.400s", a.status, a.header.Get("Set-Cookie"), a.body)
	}
	if a := postForm(t, ts, "/__mock/ui/login", url.Values{"token": {adminToken}}, "Sec-Fetch-Site", "cross-site"); a.status != 403 || a.header.Get("Set-Cookie") != "" {
		t.Errorf("a sign-in from another site: %d, Set-Cookie %q, want 403 without a cookie", a.status, a.header.Get("Set-Cookie"))
	}
	a := postForm(t, ts, "/__mock/ui/login", url.Values{"token": {adminToken}})
	if a.status != 303 || a.header.Get("Location") != "/__mock/" {
		t.Fatalf("the admin token: %d to %q, want 303 to /__mock/", a.status, a.header.Get("Location"))
	}
	c := (&http.Response{Header: a.header}).Cookies()
	if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Path != "/__mock" || c[0].Value == "" {
		t.Fatalf("cookie %q, want one HttpOnly, SameSite=Strict cookie for /__mock", a.header.Get("Set-Cookie"))
	}
	if strings.Contains(a.header.Get("Set-Cookie"), adminToken) {
		t.Error("the cookie holds the admin token itself")
	}
	cookie := c[0].Name + "=" + c[0].Value
	if c[0].MaxAge != 12*60*60 || c[0].Secure {
		t.Errorf("cookie Max-Age %d, Secure %v; want 12 hours, not Secure over plain http", c[0].MaxAge, c[0].Secure)
	}
	behindTLS := postForm(t, ts, "/__mock/ui/login", url.Values{"token": {adminToken}}, "X-Forwarded-Proto", "https")
	if c := (&http.Response{Header: behindTLS.header}).Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("behind a proxy that ends TLS: Set-Cookie %q, want Secure", behindTLS.header.Get("Set-Cookie"))
	}
	if a := request(t, "GET", ts.URL+"/__mock/", "", "Cookie", cookie); a.status != 200 {
		t.Errorf("the page with the cookie: %d, want 200", a.status)
	}
	// Signing out without being signed in ends nobody's session.
	if a := postForm(t, ts, "/__mock/ui/logout", nil); a.status != 303 {
		t.Errorf("sign out with no cookie: %d, want 303", a.status)
	}
	if a := request(t, "GET", ts.URL+"/__mock/", "", "Cookie", cookie); a.status != 200 {
		t.Errorf("the page after a stranger signed out: %d, want 200: the session stands", a.status)
	}
	if a := postForm(t, ts, "/__mock/ui/logout", nil, "Cookie", cookie); a.status != 303 || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("sign out: %d, Set-Cookie %q, want 303 deleting the cookie", a.status, a.header.Get("Set-Cookie"))
	}
	// The session itself ended, not only the browser's copy of the cookie.
	if a := request(t, "GET", ts.URL+"/__mock/", "", "Cookie", cookie); a.status != 401 {
		t.Errorf("the page with the cookie kept from before signing out: %d, want 401", a.status)
	}
	if a := request(t, "GET", ts.URL+"/__mock/requests", "", "Cookie", cookie); a.status != 401 {
		t.Errorf("the JSON journal with the cookie kept from before signing out: %d, want 401", a.status)
	}
	ts.Close() // every log line written: each follows its answer
	if strings.Contains(logs.String(), adminToken) {
		t.Errorf("the admin token is in the logs:\n%s", logs.String())
	}
}

func TestInspectorSecurityHeaders(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.AdminToken = "admin" })
	for _, tc := range []struct {
		name, method, path string
		header             []string
		wantStatus         int
		wantType           string
	}{
		{"the page", "GET", "/__mock/", []string{"Authorization", "Bearer admin"}, 200, "text/html; charset=utf-8"},
		{"the token form", "GET", "/__mock/", nil, 401, "text/html; charset=utf-8"},
		{"the fragment", "GET", "/__mock/ui/live", []string{"Authorization", "Bearer admin"}, 200, "text/html; charset=utf-8"},
		{"the stylesheet", "GET", "/__mock/ui/inspector.css", nil, 200, "text/css; charset=utf-8"},
		{"the script", "GET", "/__mock/ui/inspector.js", nil, 200, "text/javascript; charset=utf-8"},
		{"the icon", "GET", "/__mock/ui/favicon.svg", nil, 200, "image/svg+xml"},
		{"a form's redirect", "POST", "/__mock/ui/faults/clear", []string{"Authorization", "Bearer admin"}, 303, "text/html; charset=utf-8"},
		{"a cross-site refusal", "POST", "/__mock/ui/faults/clear", []string{"Sec-Fetch-Site", "cross-site"}, 403, "text/html; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := append([]string{"Content-Type", "application/x-www-form-urlencoded"}, tc.header...)
			a := request(t, tc.method, ts.URL+tc.path, "", h...)
			if a.status != tc.wantStatus {
				t.Fatalf("%d, want %d: %.300s", a.status, tc.wantStatus, a.body)
			}
			for name, want := range map[string]string{
				"Content-Security-Policy": inspectorCSP,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"Content-Type":            tc.wantType,
			} {
				if got := a.header.Get(name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			if tc.wantType == "text/html; charset=utf-8" && a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store: the journal is not for caches", a.header.Get("Cache-Control"))
			}
			if strings.Contains(string(a.body), "<script>") || strings.Contains(string(a.body), " style=") {
				t.Error("an inline script or style, which the policy would refuse")
			}
		})
	}
}

// Every text a request sends reaches the page escaped: the journal is
// attacker-controlled.
func TestInspectorEscapesWhatRequestsSent(t *testing.T) {
	const script, img = `<script>window.pwned=1</script>`, `<img src=x onerror=window.pwned=2>`
	ts := mockserver.NewTestServer(t)
	for _, tc := range []struct {
		name string
		send func()
	}{
		{"display_name", func() { create(t, ts, `{"mode":1,"display_name":"`+script+img+`"}`) }},
		{"user_external_id and partnership_id", func() {
			create(t, ts, `{"mode":1,"display_name":"x","user_external_id":"`+script+`","partnership_id":"`+img+`"}`)
		}},
		{"an invalid body", func() { create(t, ts, `{"mode":2,"display_name":"`+script+img+`"}`) }},
		{"a body that is not JSON", func() { create(t, ts, script+img) }},
		{"the request id", func() { create(t, ts, seedConnect, "X-Request-Id", "<script>window.pwned=1</script>") }},
		{"the path", func() { request(t, "POST", ts.URL+"/"+url.PathEscape(img), "") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.ResetRequests()
			tc.send()
			for _, path := range []string{"/__mock/", "/__mock/ui/live"} {
				a := request(t, "GET", ts.URL+path, "")
				if a.status != 200 || entries(a) != 1 {
					t.Fatalf("%s: %d with %d entries, want 200 with 1", path, a.status, entries(a))
				}
				page := string(a.body)
				for _, raw := range []string{"<script>window", "<img"} {
					if strings.Contains(page, raw) {
						t.Errorf("%s holds %q unescaped", path, raw)
					}
				}
				if !strings.Contains(page, "&lt;script&gt;window.pwned=1&lt;/script&gt;") && !strings.Contains(page, "&lt;img src=x onerror=window.pwned=2&gt;") {
					t.Errorf("%s does not show the text escaped:\n%s", path, page)
				}
			}
		})
	}
}

func TestInspectorFilters(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	create(t, ts, seedConnect)
	create(t, ts, seedConnectKnownUser)
	create(t, ts, `{"mode":2}`)
	create(t, ts, `{nope`)
	for _, tc := range []struct {
		query       string
		wantStatus  int
		wantEntries int
		wantText    string
	}{
		{"", 200, 4, ""},
		{"outcome=invalid_request", 200, 1, ""},
		{"outcome=malformed_json", 200, 1, ""},
		{"status=200", 200, 2, ""},
		{"status=400&outcome=ok", 200, 0, "No request matches the filters."},
		{"user_external_id=1234", 200, 1, ""},
		{"limit=1", 200, 1, "more match"},
		{"outcome=bogus", 400, 0, "must be one of"},
		{"outcome=%3Cscript%3E", 400, 0, `got &#34;&lt;script&gt;&#34;`},
		{"status=abc", 400, 0, "must be a whole number"},
		{"stauts=500", 400, 0, "is not a filter"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			for _, path := range []string{"/__mock/?", "/__mock/ui/live?"} {
				a := request(t, "GET", ts.URL+path+tc.query, "")
				if a.status != tc.wantStatus || entries(a) != tc.wantEntries || !strings.Contains(string(a.body), tc.wantText) {
					t.Errorf("%s%s: %d with %d entries, want %d with %d and %q\n%.3000s", path, tc.query, a.status, entries(a), tc.wantStatus, tc.wantEntries, tc.wantText, a.body)
				}
			}
		})
	}
	// The page's form shows the filters, and it polls the fragment with them.
	if a := request(t, "GET", ts.URL+"/__mock/?outcome=invalid_request", ""); !strings.Contains(string(a.body), `<option selected>invalid_request</option>`) {
		t.Errorf("the filter form does not show the outcome chosen")
	}
	if a := request(t, "GET", ts.URL+"/__mock/?status=200&user_external_id=1234", ""); !strings.Contains(string(a.body), `data-src="/__mock/ui/live?status=200&amp;user_external_id=1234"`) {
		t.Errorf("the page does not poll with its filters:\n%s", a.body)
	}
}

// The page shows at most 100 entries unless asked for more, and never more
// than 1000.
func TestInspectorBoundsWhatItShows(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.JournalSize = 1100 })
	for range 1050 {
		create(t, ts, `{"mode":2}`)
	}
	for _, tc := range []struct {
		query string
		want  int
	}{{"", 100}, {"limit=5", 5}, {"limit=0", 100}, {"limit=5000", 1000}} {
		a := request(t, "GET", ts.URL+"/__mock/?"+tc.query, "")
		if a.status != 200 || entries(a) != tc.want || !strings.Contains(string(a.body), "more match") {
			t.Errorf("?%s: %d with %d entries, want 200 with %d and a note that more match", tc.query, a.status, entries(a), tc.want)
		}
		if strings.Contains(string(a.body), `id="bodies-omitted"`) {
			t.Errorf("?%s: bodies omitted from a page of small ones", tc.query)
		}
	}
	// The largest bodies a 400 can leave: 1000 of them would make a page
	// of 14 MB. Past the page's budget of lines, entries come without.
	var actions []string
	for range 25 {
		actions = append(actions, `{"mode":1,"amount":0,"allows_editing":true}`)
	}
	large := `{"mode":2,"display_name":"` + strings.Repeat("Reward Cookies ", 40) + `","custom_attributes":{"actions":[` + strings.Join(actions, ",") + `]}}`
	for range 1000 {
		create(t, ts, large)
	}
	a := request(t, "GET", ts.URL+"/__mock/?limit=1000", "")
	omitted := regexp.MustCompile(`The oldest (\d+) entries shown are listed without their bodies`).FindStringSubmatch(string(a.body))
	if a.status != 200 || entries(a) != 1000 || omitted == nil || len(a.body) > 4<<20 {
		t.Errorf("1000 large entries: %d with %d entries in %d bytes (note %q), want 200 with 1000, under 4 MiB, and a note of bodies omitted",
			a.status, entries(a), len(a.body), omitted)
	}
}

// A violation shows beside the line of the body its JSON pointer names; one
// naming a member the body lacks, beside the object that lacks it.
func TestInspectorShowsViolationsBesideTheirLine(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	create(t, ts, `{"mode":3,"custom_attributes":{"actions":[{"mode":3,"amount":5},{"amount":-1,"mode":1}]},"display_name":"x"}`)
	create(t, ts, `{"mode":7}`)
	page := string(request(t, "GET", ts.URL+"/__mock/", "").body)
	for _, tc := range []struct{ line, pointer string }{
		{`        &#34;amount&#34;: -1,`, "/custom_attributes/actions/1/amount"},
		{`        &#34;mode&#34;: 1`, "/custom_attributes/actions/1/mode"},
		{`  &#34;mode&#34;: 7`, "/mode"},
		{`{`, "/display_name"}, // {"mode":7} lacks it
	} {
		beside := regexp.MustCompile(`<code class="line bad">` + regexp.QuoteMeta(tc.line) + `</code><span class="why">(<span class="violation">.*?</span>)*<span class="violation"><code>` + regexp.QuoteMeta(tc.pointer) + `</code>`)
		if !beside.MatchString(page) {
			t.Errorf("%s is not beside the line %q:\n%s", tc.pointer, tc.line, page)
		}
	}
	// Key order is the client's: custom_attributes before display_name.
	if i, j := strings.Index(page, "&#34;custom_attributes&#34;"), strings.Index(page, "&#34;display_name&#34;: &#34;x&#34;"); i < 0 || j < i {
		t.Errorf("the body's keys are not in the order sent")
	}
	// The body's main fields, the mode named as the contract names it.
	create(t, ts, seedTransfer)
	page = string(request(t, "GET", ts.URL+"/__mock/?status=200", "").body)
	for _, want := range []string{"<dd>3 Transfer</dd>", "<dd>49</dd>", "<li>3 Transfer × 1000, editable</li>", `<a href="/__mock/tokens/`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestInspectorForms(t *testing.T) {
	const adminToken = "admin-secret-42"
	faultForm := url.Values{"status": {"429"}, "times": {"2"}, "retry_after": {"3s"}, "match.user_external_id": {"1234"}, "match.mode": {"1"}}
	for _, tc := range []struct {
		name       string
		token      string // the server's admin token
		path       string
		form       url.Values
		header     []string
		wantStatus int
		wantText   string
		// wantFaults and wantEntries are the queue and the journal after
		// the post; both hold one item before it.
		wantFaults, wantEntries int
	}{
		{"queue a fault", "", "/__mock/ui/faults", faultForm, nil, 303, "", 2, 1},
		{"queue a fault with the session cookie", adminToken, "/__mock/ui/faults", faultForm, []string{"Cookie", "session"}, 303, "", 2, 1},
		{"clear the faults", "", "/__mock/ui/faults/clear", nil, nil, 303, "", 0, 1},
		{"clear the journal", "", "/__mock/ui/requests/clear", nil, nil, 303, "", 1, 0},
		{"a status the contract lacks", "", "/__mock/ui/faults", url.Values{"status": {"418"}}, nil, 400, "The fault is not valid: status 418", 1, 1},
		{"a delay that is no duration, kept in the form", "", "/__mock/ui/faults", url.Values{"delay": {"<b>2 parsecs"}}, nil, 400,
			`delay must be a Go duration such as &#34;250ms&#34;, got &#34;&lt;b&gt;2 parsecs&#34;`, 1, 1},
		{"an empty fault", "", "/__mock/ui/faults", url.Values{}, nil, 400, "set status, example, delay or drop", 1, 1},
		{"a drop with a status", "", "/__mock/ui/faults", url.Values{"drop": {"1"}, "status": {"500"}}, nil, 400, "a dropped connection has no status", 1, 1},
		{"times out of range", "", "/__mock/ui/faults", url.Values{"status": {"500"}, "times": {"-1"}}, nil, 400, "times must be between 1 and 100000", 1, 1},
		{"a mode that is no number", "", "/__mock/ui/faults", url.Values{"status": {"500"}, "match.mode": {"x"}}, nil, 400, "match.mode must be", 1, 1},
		{"not a form", "", "/__mock/ui/faults", faultForm, []string{"Content-Type", "application/json"}, 415, "", 1, 1},
		{"a form over 64 KiB", "", "/__mock/ui/faults", url.Values{"example": {strings.Repeat("x", 65<<10)}}, nil, 413, "", 1, 1},
		{"cross-site: a fault", "", "/__mock/ui/faults", faultForm, []string{"Sec-Fetch-Site", "cross-site"}, 403, "refuse changes sent from another site", 1, 1},
		{"same site, another origin: a fault", "", "/__mock/ui/faults", faultForm, []string{"Sec-Fetch-Site", "same-site"}, 403, "", 1, 1},
		{"cross-site: clear the faults", "", "/__mock/ui/faults/clear", nil, []string{"Sec-Fetch-Site", "cross-site"}, 403, "", 1, 1},
		{"cross-site: clear the journal", "", "/__mock/ui/requests/clear", nil, []string{"Sec-Fetch-Site", "cross-site"}, 403, "", 1, 1},
		{"cross-site with the cookie", adminToken, "/__mock/ui/requests/clear", nil, []string{"Cookie", "session", "Sec-Fetch-Site", "cross-site"}, 403, "", 1, 1},
		{"an old browser from another origin", "", "/__mock/ui/requests/clear", nil, []string{"Sec-Fetch-Site", "", "Origin", "http://evil.example"}, 403, "", 1, 1},
		{"an old browser from this origin", "", "/__mock/ui/requests/clear", nil, []string{"Sec-Fetch-Site", "", "Origin", "self"}, 303, "", 1, 0},
		{"a browser's own navigation", "", "/__mock/ui/requests/clear", nil, []string{"Sec-Fetch-Site", "none"}, 303, "", 1, 0},
		{"without the admin token", adminToken, "/__mock/ui/faults/clear", nil, nil, 401, `name="token"`, 1, 1},
		{"with a forged cookie", adminToken, "/__mock/ui/requests/clear", nil, []string{"Cookie", "benji_mock_admin=" + adminToken}, 401, "", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.AdminToken = tc.token })
			if err := ts.QueueFault(mockserver.Fault{Status: 500, Match: mockserver.Match{UserExternalID: "nobody"}}); err != nil {
				t.Fatal(err)
			}
			create(t, ts, seedConnect)
			header := tc.header
			for i := 0; i+1 < len(header); i += 2 {
				switch {
				case header[i] == "Cookie" && header[i+1] == "session":
					header = append([]string{}, header...)
					header[i+1] = signIn(t, ts, adminToken)
				case header[i] == "Origin" && header[i+1] == "self":
					header = append([]string{}, header...)
					header[i+1] = ts.URL
				}
			}
			a := postForm(t, ts, tc.path, tc.form, header...)
			if a.status != tc.wantStatus || !strings.Contains(string(a.body), tc.wantText) {
				t.Errorf("%d, want %d with %q\n%.3000s", a.status, tc.wantStatus, tc.wantText, a.body)
			}
			if a.status == 303 && a.header.Get("Location") != "/__mock/" {
				t.Errorf("Location %q, want /__mock/", a.header.Get("Location"))
			}
			if n := len(ts.Faults()); n != tc.wantFaults {
				t.Errorf("%d faults queued, want %d", n, tc.wantFaults)
			}
			if n := len(ts.Requests(mockserver.Filter{})); n != tc.wantEntries {
				t.Errorf("%d journal entries, want %d", n, tc.wantEntries)
			}
		})
	}
	t.Run("a refused fault comes back with the form as filled", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		a := postForm(t, ts, "/__mock/ui/faults", url.Values{"status": {"429"}, "delay": {"<b>2 parsecs"}, "match.user_external_id": {"u-1"}, "drop": {"1"}})
		page := string(a.body)
		for _, want := range []string{`id="fault-error"`, `<option selected>429</option>`, `name="delay" placeholder="250ms" value="&lt;b&gt;2 parsecs"`,
			`name="match.user_external_id" value="u-1"`, `name="drop" value="1" checked`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if a.status != 400 || len(ts.Faults()) != 0 {
			t.Errorf("%d with %d faults queued, want 400 and none", a.status, len(ts.Faults()))
		}
	})
	t.Run("the fault queued is the one the form describes", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		if a := postForm(t, ts, "/__mock/ui/faults", faultForm); a.status != 303 {
			t.Fatalf("%d: %s", a.status, a.body)
		}
		want := mockserver.Fault{Status: 429, Times: 2, RetryAfter: 3e9, Match: mockserver.Match{UserExternalID: "1234", Mode: 1}}
		if f := ts.Faults(); len(f) != 1 || f[0] != want {
			t.Errorf("queued %+v, want %+v", f, want)
		}
		page := string(request(t, "GET", ts.URL+"/__mock/", "").body)
		if !strings.Contains(page, "<code>status=429 retry_after=3s</code>") || !strings.Contains(page, `user_external_id=&#34;1234&#34;, mode=1 Connect`) {
			t.Errorf("the page does not show the queued fault:\n%s", page)
		}
	})
}

// The page's script polls the fragment every second or so: at info level
// those requests would drown the mock's log.
func TestInspectorPollsAreLoggedAtDebug(t *testing.T) {
	var logs syncBuffer
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	for range 3 {
		if a := request(t, "GET", ts.URL+"/__mock/ui/live", ""); a.status != 200 {
			t.Fatalf("fragment: %d", a.status)
		}
	}
	request(t, "GET", ts.URL+"/__mock/", "")
	loopback.WaitFor(t, "the page's log line", func() bool { return strings.Contains(logs.String(), "path=/__mock/ ") })
	if strings.Contains(logs.String(), "/__mock/ui/live") {
		t.Errorf("the fragment's polls are logged at info level:\n%s", logs.String())
	}
}

// The fragment answers 304 to a poll while what it shows is unchanged, and
// 200 with a new ETag as soon as anything it shows changes, whichever way.
func TestInspectorFragmentIsFreshOrNotModified(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	other := mockserver.NewTestServer(t)
	create(t, ts, seedConnect)
	create(t, other, seedConnect)
	first := request(t, "GET", ts.URL+"/__mock/ui/live", "")
	etag := first.header.Get("ETag")
	if first.status != 200 || etag == "" {
		t.Fatalf("fragment: %d, ETag %q, want 200 with an ETag", first.status, etag)
	}
	for _, step := range []struct {
		name   string
		change func()
		want   int
	}{
		{"nothing changed", func() {}, 304},
		{"a request", func() { create(t, ts, seedConnect) }, 200},
		{"nothing changed again", func() {}, 304},
		{"a fault queued", func() { ts.QueueFault(mockserver.Fault{Status: 500}) }, 200},
		{"the fault used", func() { create(t, ts, seedConnect) }, 200},
		{"a fault queued and cleared", func() { ts.QueueFault(mockserver.Fault{Status: 500}) }, 200},
		{"", func() { ts.ClearFaults() }, 200},
		{"the journal emptied", func() { ts.ResetRequests() }, 200},
		{"the same number of entries, newer ones", func() {
			create(t, ts, seedConnect)
			create(t, ts, seedConnect)
			ts.ResetRequests()
			create(t, ts, seedConnect)
		}, 200},
	} {
		step.change()
		a := request(t, "GET", ts.URL+"/__mock/ui/live", "", "If-None-Match", etag)
		if a.status != step.want {
			t.Errorf("%s: %d, want %d", step.name, a.status, step.want)
		}
		if a.status == 304 && (len(a.body) != 0 || a.header.Get("ETag") != etag) {
			t.Errorf("%s: 304 with %d bytes and ETag %q, want no body and the same ETag", step.name, len(a.body), a.header.Get("ETag"))
		}
		if a.status == 200 {
			if a.header.Get("ETag") == etag {
				t.Errorf("%s: 200 with the old ETag", step.name)
			}
			etag = a.header.Get("ETag")
		}
	}
	// Another mock with the same journal numbers does not take the tag.
	if a := request(t, "GET", other.URL+"/__mock/ui/live", "", "If-None-Match", first.header.Get("ETag")); a.status != 200 {
		t.Errorf("another mock's tag: %d, want 200", a.status)
	}
}

// BenchmarkInspectorPage renders the inspector's page over a full journal
// of 1000 entries, all shown (limit=1000, the page's bound): typical
// entries (a valid Transfer with its token, and an invalid body with its
// violations, alternately), and the largest a 400 can leave (a body of
// about 3 KiB with 50 violations beside its lines). It reports the page's
// size beside the time.
func BenchmarkInspectorPage(b *testing.B) {
	invalid := `{"mode":2,"custom_attributes":{"actions":[{"mode":1,"amount":0}]}}`
	var actions []string
	for range 25 {
		actions = append(actions, `{"mode":1,"amount":0,"allows_editing":true}`)
	}
	largest := `{"mode":2,"display_name":"` + strings.Repeat("Reward Cookies ", 40) + `","partnership_id":"49","user_external_id":"1234",` +
		`"custom_attributes":{"actions":[` + strings.Join(actions, ",") + `]}}`
	for _, bc := range []struct {
		name   string
		bodies []string
	}{
		{"typical", []string{seedTransfer, invalid}},
		{"largest", []string{largest}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := mockserver.New(mockserver.Options{})
			if err != nil {
				b.Fatal(err)
			}
			journalBodies(s, 1000, bc.bodies...)
			if e := s.Requests(mockserver.Filter{}); len(e) != 1000 || len(e[0].Violations) == 0 && bc.name == "largest" {
				b.Fatalf("journal of %d entries", len(e))
			}
			req := httptest.NewRequest(http.MethodGet, "http://localhost/__mock/?limit=1000", nil) // httptest's example.com would be refused (guard.refusal)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if omitted := strings.Contains(rec.Body.String(), `id="bodies-omitted"`); omitted != (bc.name == "largest") {
				b.Fatalf("bodies omitted: %v", omitted)
			}
			b.ReportMetric(float64(benchAnswers(b, s, req, http.StatusOK)), "page-bytes")
		})
	}
	// What an open page costs an idle mock: one poll answered 304.
	b.Run("poll-unchanged", func(b *testing.B) {
		s, err := mockserver.New(mockserver.Options{})
		if err != nil {
			b.Fatal(err)
		}
		journalBodies(s, 1000, seedTransfer)
		req := httptest.NewRequest(http.MethodGet, "http://localhost/__mock/ui/live?limit=1000", nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		benchAnswers(b, s, req, http.StatusNotModified)
	})
}

// In proxy mode the page sums up the drift report and shows, on each
// entry, what the upstream answered; what the upstream sent is escaped.
// Without an upstream there is no drift section.
func TestInspectorShowsDriftInProxyMode(t *testing.T) {
	const hostile = `<img src=x onerror=alert(1)>`
	up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+hostile+`"}}`))
	ts, _, _ := startProxy(t, up.URL)
	plain := mockserver.NewTestServer(t)
	if page := request(t, "GET", plain.URL+"/__mock/", ""); strings.Contains(string(page.body), `id="drift"`) {
		t.Errorf("a mock that is not a proxy shows a drift section")
	}
	empty := request(t, "GET", ts.URL+"/__mock/", "")
	if !strings.Contains(string(empty.body), "None so far: every answer matched the contract.") {
		t.Errorf("a proxy with no answers yet lacks the empty drift section:\n%s", empty.body)
	}
	create(t, ts, seedConnect)
	create(t, ts, `{"mode":2}`)
	page := string(request(t, "GET", ts.URL+"/__mock/", "").body)
	for _, want := range []string{
		`id="drift"`, `<span class="count">2 of 2</span>`, `<code>/data/token</code>`, "must be a uuid",
		`<code>&#34;&lt;img src=x onerror=alert(1)&gt;&#34;</code>`, "<td>2</td>",
		"the mock would have answered <code>invalid_request</code>",
		`<span class="violation"><code>/data/token</code> must be a uuid, got &#34;&lt;img src=x onerror=alert(1)&gt;&#34;</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<img") {
		t.Errorf("the page holds the upstream's markup unescaped")
	}

	live := request(t, "GET", ts.URL+"/__mock/ui/live", "")
	etag := live.header.Get("ETag")
	if a := request(t, "GET", ts.URL+"/__mock/ui/live", "", "If-None-Match", etag); a.status != 304 {
		t.Errorf("an idle proxy's fragment: %d, want 304", a.status)
	}
	if a := postForm(t, ts, "/__mock/ui/drift/clear", nil, "Sec-Fetch-Site", "cross-site"); a.status != 403 || ts.Drift().Answers != 2 {
		t.Errorf("a cross-site clear: %d with %d answers left, want 403 and the report kept", a.status, ts.Drift().Answers)
	}
	if a := postForm(t, ts, "/__mock/ui/drift/clear", nil); a.status != 303 || ts.Drift().Answers != 0 {
		t.Errorf("clearing the drift report: %d with %d answers left, want 303 and none", a.status, ts.Drift().Answers)
	}
	if a := request(t, "GET", ts.URL+"/__mock/ui/live", "", "If-None-Match", etag); a.status != 200 {
		t.Errorf("the fragment after the report was cleared: %d, want 200", a.status)
	}
}

// The admin API and the inspector keep web pages out: a change sent from
// another site's page is refused whether or not an admin token is set (a
// page may post a fault as text/plain without asking first), and without a
// token only hosts that no web page can point at the mock are answered (DNS
// rebinding). curl and Go clients, which send no Sec-Fetch-Site or Origin,
// and compose service names pass.
func TestAdminKeepsWebPagesOut(t *testing.T) {
	open := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.AdminHosts = []string{"devbox.example.com"} })
	protected := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.AdminToken = "admin-secret-1234" })
	const fault = `{"status":429}`
	tests := []struct {
		name         string
		ts           *mockserver.TestServer
		method, path string
		body         string
		header       []string
		want         int
		wantOutcome  string
		queued       int // faults queued on ts afterwards
	}{
		{"curl queues a fault", open, "POST", "/__mock/faults", fault, []string{"Content-Type", "application/x-www-form-urlencoded"}, 201, "", 1},
		{"another site's page posts a fault as text/plain", open, "POST", "/__mock/faults", fault, []string{"Content-Type", "text/plain", "Sec-Fetch-Site", "cross-site"}, 403, mockserver.OutcomeCrossOrigin, 0},
		{"an older browser's cross-site post, by Origin", open, "POST", "/__mock/faults", fault, []string{"Origin", "https://evil.example"}, 403, mockserver.OutcomeCrossOrigin, 0},
		{"another site's page clears the journal", open, "DELETE", "/__mock/requests", "", []string{"Sec-Fetch-Site", "cross-site"}, 403, mockserver.OutcomeCrossOrigin, 0},
		{"a cross-site post with the admin token", protected, "POST", "/__mock/faults", fault, []string{"Authorization", "Bearer admin-secret-1234", "Sec-Fetch-Site", "cross-site"}, 403, mockserver.OutcomeCrossOrigin, 0},
		{"a rebound name reads the journal", open, "GET", "/__mock/requests", "", []string{"Host", "attacker.example:4010"}, 403, mockserver.OutcomeForbiddenHost, 0},
		{"a rebound name opens the page", open, "GET", "/__mock/", "", []string{"Host", "attacker.example"}, 403, "", 0},
		{"localhost with a trailing dot", open, "GET", "/__mock/requests", "", []string{"Host", "localhost.:4010"}, 200, "", 0},
		{"a compose service name", open, "GET", "/__mock/requests", "", []string{"Host", "benji-mock:4010"}, 200, "", 0},
		{"localhost", open, "GET", "/__mock/requests", "", []string{"Host", "localhost:4010"}, 200, "", 0},
		{"a name under .localhost", open, "GET", "/__mock/requests", "", []string{"Host", "app.localhost:4010"}, 200, "", 0},
		{"an IPv6 address", open, "GET", "/__mock/requests", "", []string{"Host", "[::1]:4010"}, 200, "", 0},
		{"a name allowed by AdminHosts", open, "GET", "/__mock/requests", "", []string{"Host", "DevBox.example.com:4010"}, 200, "", 0},
		{"a name allowed by AdminHosts, with a trailing dot", open, "GET", "/__mock/requests", "", []string{"Host", "devbox.example.com.:4010"}, 200, "", 0},
		{"the drift report under a rebound name", open, "GET", "/__mock/drift", "", []string{"Host", "attacker.example"}, 403, mockserver.OutcomeForbiddenHost, 0},
		{"a token's request under a rebound name", open, "GET", "/__mock/tokens/5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b", "", []string{"Host", "attacker.example"}, 403, mockserver.OutcomeForbiddenHost, 0},
		{"the page's fragment under a rebound name", open, "GET", "/__mock/ui/live", "", []string{"Host", "attacker.example"}, 403, "", 0},
		{"any name with the admin token", protected, "GET", "/__mock/requests", "", []string{"Host", "attacker.example", "Authorization", "Bearer admin-secret-1234"}, 200, "", 0},
		{"the API itself under any name", open, "GET", "/healthz", "", []string{"Host", "attacker.example"}, 200, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ts.ClearFaults()
			req, err := http.NewRequest(tt.method, tt.ts.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(tt.header); i += 2 {
				if tt.header[i] == "Host" {
					req.Host = tt.header[i+1]
					continue
				}
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || (tt.wantOutcome != "" && !strings.Contains(string(body), `"code":"`+tt.wantOutcome+`"`)) {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tt.want, tt.wantOutcome)
			}
			if n := len(tt.ts.Faults()); n != tt.queued {
				t.Errorf("%d faults queued, want %d", n, tt.queued)
			}
		})
	}
}

// The fragment's ETag changes when a full journal takes one more entry,
// though the count of entries stays the same.
func TestInspectorFragmentSeesTheJournalWrap(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.JournalSize = 2 })
	create(t, ts, seedConnect)
	create(t, ts, seedConnect)
	full := request(t, "GET", ts.URL+"/__mock/ui/live", "").header.Get("ETag")
	create(t, ts, seedConnect)
	if n := len(ts.Requests(mockserver.Filter{})); n != 2 {
		t.Fatalf("the journal holds %d entries, want 2", n)
	}
	if a := request(t, "GET", ts.URL+"/__mock/ui/live", "", "If-None-Match", full); a.status != 200 {
		t.Errorf("a full journal took an entry: %d, want 200 with the new entry", a.status)
	}
}
