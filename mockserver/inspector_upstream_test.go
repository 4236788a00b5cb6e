package mockserver_test

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// upstreamBlock is the part of a page that shows what the upstream
// answered, for the only entry on it.
func upstreamBlock(t *testing.T, page string) string {
	t.Helper()
	start := strings.Index(page, `<div class="upstream">`)
	if start < 0 {
		t.Fatalf("the page shows no upstream answer:\n%s", clip(page))
	}
	end := strings.Index(page[start:], `</details>`)
	if end < 0 {
		t.Fatalf("the upstream answer is not inside the entry's details")
	}
	return page[start : start+end]
}

// In proxy mode an entry's details show what the upstream answered: its
// status, the headers that matter, its body laid out as the request's is
// with each departure beside the line it names, and its X-Request-Id (the
// id Benji's support knows the request by), which the drift table shows
// too. Everything the upstream sent is text on the page: markup in the
// body, a header value or the request id is escaped.
func TestInspectorShowsTheUpstreamsAnswer(t *testing.T) {
	const markup = `<img src=x onerror=alert(1)>`
	const escaped = `&lt;img src=x onerror=alert(1)&gt;`
	tests := []struct {
		name   string
		status int
		body   string
		header []string
		// want are pieces of the upstream block, in order.
		want []string
		// drift is what the drift table's requests cell holds.
		drift string
	}{
		{
			name:   "a token that is not a UUID, with markup, and the upstream's own request id",
			status: 200,
			body:   `{"code":"ok","data":{"token":"` + markup + `"}}`,
			header: []string{"X-Request-Id", "up-" + markup, "Retry-After", "<b>soon</b>", "X-Other", "not shown"},
			want: []string{
				`<dd class="upstream-status">200 in `,
				`<dd class="upstream-id"><code>up-` + escaped + `</code>`,
				`<code class="line">Content-Type: application/json</code>`,
				`<code class="line">Retry-After: &lt;b&gt;soon&lt;/b&gt;</code>`,
				`<code class="line">X-Request-Id: up-` + escaped + `</code>`,
				"<code class=\"line\">{\n  &#34;code&#34;: &#34;ok&#34;,\n  &#34;data&#34;: {</code>",
				`<code class="line bad">    &#34;token&#34;: &#34;` + escaped + `&#34;</code><span class="why"><span class="violation"><code>/data/token</code> must be a uuid, got &#34;` + escaped + `&#34;</span></span>`,
			},
			drift: `<code>up-` + escaped + `</code> <span class="sent-as">sent as <code>`,
		},
		{
			name:   "an undocumented status, beside the status",
			status: 422,
			body:   `{"code":"unprocessable","message":"no"}`,
			want: []string{
				`<dd class="upstream-status">422 in `,
				`<span class="violation">must be a status the contract documents (`,
				`<dd class="upstream-id"><code>`, // the forwarded id, which the upstream sent back
				`&#34;code&#34;: &#34;unprocessable&#34;`,
			},
		},
		{
			name:   "a page of HTML: the header departure beside its header, the body raw and escaped",
			status: 429,
			body:   `<html><script>alert(1)</script></html>`,
			header: []string{"Content-Type", "text/html", "Retry-After", "later<script>"},
			want: []string{
				`<dd class="upstream-status">429 in `,
				`<code class="line bad">Content-Type: text/html</code><span class="why"><span class="violation">must be application/json, got &#34;text/html&#34;</span>`,
				`<code class="line bad">Retry-After: later&lt;script&gt;</code><span class="why"><span class="violation">must be`,
				`<pre class="raw">&lt;html&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/html&gt;</pre>`,
			},
		},
		{
			name:   "a body over 2 KiB: its start, raw, and a note",
			status: 500,
			body:   `{"code":"internal_error","message":"` + strings.Repeat("x", 3000) + `"}`,
			want: []string{
				`<dd class="upstream-status">500 in `,
				`<pre class="raw">{&#34;code&#34;:&#34;internal_error&#34;,&#34;message&#34;:&#34;xxxx`,
				`xxx…</pre>`,
				`<p class="note">The body was longer than 2 KiB: the journal keeps its start.</p>`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
				// The id forwarded comes back, unless the row sends its own.
				w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id"))
				answers(tc.status, tc.body, tc.header...)(w, r)
			})
			ts, _, _ := startProxy(t, up.URL)
			if got := create(t, ts, seedConnect); got.status != tc.status {
				t.Fatalf("through the proxy: %d, want the upstream's %d", got.status, tc.status)
			}
			page := string(request(t, "GET", ts.URL+"/__mock/", "").body)
			block := upstreamBlock(t, page)
			rest := block
			for _, want := range tc.want {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("the upstream's answer lacks, or has out of order, %q; it shows:\n%s", want, clip(block))
				}
				rest = rest[i+len(want):]
			}
			if strings.Contains(block, "X-Other") {
				t.Errorf("the upstream's answer shows a header that does not matter")
			}
			for _, markup := range []string{"<img src=x", "<b>soon", "<html>", "<script>alert", "later<script>"} {
				if strings.Contains(page, markup) {
					t.Errorf("the page holds the upstream's markup %q unescaped", markup)
				}
			}
			drift := page[strings.Index(page, `id="drift"`):strings.Index(page, `id="journal"`)]
			switch {
			case tc.drift != "" && !strings.Contains(drift, tc.drift):
				t.Errorf("the drift table lacks the upstream's request id %q:\n%s", tc.drift, clip(drift))
			case tc.drift == "" && strings.Contains(drift, "sent as"):
				t.Errorf("the drift table tells apart ids that are the same:\n%s", clip(drift))
			}
		})
	}
}

// The journal keeps the upstream's headers that matter, and only those:
// Content-Type, X-Request-Id, Retry-After and any a departure names, each
// its first value, cut short; the bearer token in one is redacted.
func TestProxyJournalsTheHeadersThatMatter(t *testing.T) {
	long := strings.Repeat("<&", 200)
	up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", "Basic "+r.Header.Get("Authorization"))
		w.Header().Add("X-Request-Id", "up-1")
		w.Header().Add("X-Request-Id", "up-2")
		answers(401, `{"code":"unauthorized","message":"no"}`, "Retry-After", long, "X-Other", "x")(w, r)
	})
	ts, _, _ := startProxy(t, up.URL)
	if got := create(t, ts, seedConnect); got.status != 401 {
		t.Fatalf("through the proxy: %d, want the upstream's 401", got.status)
	}
	u := onlyEntry(t, ts).Upstream
	if u == nil {
		t.Fatal("the entry has no upstream answer")
	}
	var names []string
	for name := range u.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"Content-Type", "Retry-After", "Www-Authenticate", "X-Request-Id"}; !slices.Equal(names, want) {
		t.Errorf("the entry keeps the headers %q, want %q (Www-Authenticate named by a departure)", names, want)
	}
	if got := u.Header["X-Request-Id"]; !slices.Equal(got, []string{"up-1"}) {
		t.Errorf("X-Request-Id kept as %q, want its first value", got)
	}
	if got := u.Header.Get("Retry-After"); len(got) > 130 || !strings.HasSuffix(got, "…") {
		t.Errorf("a long Retry-After kept as %d bytes (%.40q), want it cut", len(got), got)
	}
	if u.Truncated {
		t.Errorf("a short body said truncated")
	}
	if got := u.Header.Get("Www-Authenticate"); strings.Contains(got, partnerToken) || !strings.Contains(got, "[redacted]") {
		t.Errorf("Www-Authenticate kept as %q: the bearer token must be redacted", clip(got))
	}
}

// The upstream's bodies count against the page's budget of body lines as
// the requests' do: past it, entries come without either.
func TestInspectorBudgetCountsTheUpstreamsBodies(t *testing.T) {
	// 190 lines laid out, for a request of a few.
	long := `{"code":"ok","data":{"token":"` + upstreamToken + `"},"lines":[` + strings.TrimSuffix(strings.Repeat("1,", 185), ",") + `]}`
	up := startUpstream(t, false, answers(200, long))
	ts, _, _ := startProxy(t, up.URL)
	const sent = 200
	for range sent {
		create(t, ts, seedConnect)
	}
	page := string(request(t, "GET", ts.URL+"/__mock/?limit=1000", "").body)
	m := regexp.MustCompile(`The oldest (\d+) entries shown are listed without their bodies`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%d entries with upstream bodies of 190 lines: no note of bodies omitted, over a budget of 30000 lines", sent)
	}
	if n, _ := strconv.Atoi(m[1]); n < 30 || n > 60 {
		t.Errorf("%s entries listed without their bodies, want about %d", m[1], sent-30000/195)
	}
	if got := strings.Count(page, "The body is not shown"); got < 2*30 {
		t.Errorf("%d bodies said not shown, want the request's and the upstream's of each entry past the budget", got)
	}
}
