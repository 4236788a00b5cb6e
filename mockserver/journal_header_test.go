package mockserver_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// journalList reads GET /__mock/requests (with query, "" for none) as a
// partner's test in another language would.
func journalList(t *testing.T, ts *mockserver.TestServer, query string) []mockserver.Entry {
	t.Helper()
	a := request(t, http.MethodGet, ts.URL+"/__mock/requests"+query, "")
	if a.status != http.StatusOK {
		t.Fatalf("GET /__mock/requests%s: %d %.300s", query, a.status, a.body)
	}
	var list struct {
		Requests []mockserver.Entry `json:"requests"`
	}
	if err := json.Unmarshal(a.body, &list); err != nil {
		t.Fatalf("GET /__mock/requests%s: %v: %.300s", query, err, a.body)
	}
	return list.Requests
}

// A partner's test asserts the headers its service sent, through the Go
// handle and through the admin API; credentials are redacted, their scheme
// kept when it is a known one.
func TestJournalKeepsTheRequestsHeaders(t *testing.T) {
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name, sent, want string
	}{
		{"User-Agent", "partner-service/1.4 (+https://partner.example)", "partner-service/1.4 (+https://partner.example)"},
		{"X-Request-Id", "req-7f3a-1", "req-7f3a-1"},
		{"Traceparent", traceparent, traceparent},
		{"Idempotency-Key", "order-1234", "order-1234"},
		{"Content-Type", "application/json", "application/json"},
		{"Authorization", "Bearer " + longSecret, "Bearer [redacted]"},
		{"Proxy-Authorization", "Basic dXNlcjpwYXNzd29yZA==", "Basic [redacted]"},
		{"Cookie", "session=8a7b6c5d4e3f; theme=dark", "[redacted]"},
		{"X-Api-Key", "ak_live_0123456789", "[redacted]"},
		{"Api-Key", "0123456789abcdef", "[redacted]"},
		{"X-Auth-Token", "tok_0123456789", "[redacted]"},
		{"X-Amz-Security-Token", "FwoGZXIvYXdzEJr//////////wEaDOm", "[redacted]"},
		{"X-Session-Id", "s-0123456789", "[redacted]"},
		{"X-Client-Secret", "cs_0123456789", "[redacted]"},
		{"X-Db-Password", "hunter2hunter2", "[redacted]"},
		{"X-Upstream-Credentials", "token 0123456789", "token [redacted]"},
		{"X-Forwarded-Authorization", "MyScheme 0123456789", "[redacted]"},
		{"X-Echo", "seen " + longSecret + " here", "seen [redacted] here"},
	}
	var header []string
	for _, tt := range tests {
		header = append(header, tt.name, tt.sent)
	}
	for _, mode := range []string{"mock", "proxy"} {
		t.Run(mode, func(t *testing.T) {
			ts := mockserver.NewTestServer(t)
			if mode == "proxy" {
				up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
				ts, _, _ = startProxy(t, up.URL)
			}
			if a := request(t, http.MethodPost, ts.URL+createPath, seedConnect, header...); a.status != http.StatusOK {
				t.Fatalf("status %d %.300s, want 200", a.status, a.body)
			}
			for how, entries := range map[string][]mockserver.Entry{
				"Server.Requests":      ts.Requests(mockserver.Filter{}),
				"GET /__mock/requests": journalList(t, ts, ""),
			} {
				if len(entries) != 1 {
					t.Fatalf("%s: %d entries, want 1", how, len(entries))
				}
				e := entries[0]
				for _, tt := range tests {
					if got := e.Header.Values(tt.name); len(got) != 1 || got[0] != tt.want {
						t.Errorf("%s: %s = %q, want [%q]", how, tt.name, got, tt.want)
					}
				}
				if e.HeadersOmitted != 0 {
					t.Errorf("%s: %d headers omitted, want none", how, e.HeadersOmitted)
				}
			}
		})
	}
}

// The bearer token is nowhere in the journal, in mock mode and in proxy
// mode, wherever the request carries it: no piece of 8 bytes or more, in
// any case, in what Server.Requests, GET /__mock/requests, GET
// /__mock/tokens/{token}, the inspector or the log show.
func TestTheBearerTokenIsInNoJournal(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		header []string
	}{
		{"in Authorization only", seedConnect, nil},
		{"in another header", seedConnect, []string{"X-Echo", "token=" + longSecret + ";"}},
		{"in the request id", seedConnect, []string{"X-Request-Id", longSecret}},
		{"in a header's name", seedConnect, []string{"X-" + longSecret, "1"}},
		{"in a header cut where the token is", seedConnect, []string{"X-Echo", strings.Repeat("v", mockserver.MaxEntryHeaderValueBytes-30) + longSecret}},
		{"in the body", `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"user_external_id":"` + longSecret + `"}`, nil},
		{"in the body, escaped", `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"user_external_id":"` + strings.ReplaceAll(longSecret, "_", `\u005f`) + `"}`, nil},
		{"in a body that breaks the contract, quoting it", `{"mode":"` + longSecret + `","display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48}`, nil},
		{"in a long body, where the journal cuts it", longBodyWithSecret(), nil},
		{"in Prefer", seedConnect, []string{"Prefer", "code=" + longSecret}},
	}
	for _, mode := range []string{"mock", "proxy"} {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				log := &syncBuffer{}
				var ts *mockserver.TestServer
				if mode == "proxy" {
					up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
					ts, log, _ = startProxy(t, up.URL)
				} else {
					ts = mockserver.NewTestServer(t, func(o *mockserver.Options) {
						o.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
					})
				}
				header := append([]string{"Authorization", "Bearer " + longSecret, "Content-Type", "application/json"}, tt.header...)
				a := request(t, http.MethodPost, ts.URL+createPath, tt.body, header...)
				entries := ts.Requests(mockserver.Filter{})
				if len(entries) != 1 {
					t.Fatalf("%d entries, want 1 (status %d)", len(entries), a.status)
				}
				loopback.WaitFor(t, "the request's log line", func() bool { return strings.Contains(log.String(), "msg=request") })
				encoded, _ := json.Marshal(entries)
				places := map[string]string{
					"Server.Requests":      string(encoded),
					"GET /__mock/requests": string(request(t, http.MethodGet, ts.URL+"/__mock/requests", "").body),
					"inspector":            string(request(t, http.MethodGet, ts.URL+"/__mock/", "").body),
					"log":                  log.String(),
				}
				if tok := entries[0].Token; tok != "" {
					places["GET /__mock/tokens"] = string(request(t, http.MethodGet, ts.URL+"/__mock/tokens/"+tok, "").body)
				}
				for place, text := range places {
					if p := pieceOf(longSecret, strings.ToLower(text)); p != "" {
						i := strings.Index(strings.ToLower(text), p)
						t.Errorf("%s holds %q of the token: …%.120s…", place, p, text[max(0, i-60):])
					}
				}
				if !strings.Contains(places["GET /__mock/requests"], "[redacted]") {
					t.Errorf("the journal shows no redaction: %.300s", places["GET /__mock/requests"])
				}
			})
		}
	}
}

// Past the bounds (many headers, long names, long values) an entry keeps at
// most MaxEntryHeaders values within MaxEntryHeaderBytes, the first by
// name, counts the rest, and stays within MaxEntryBytes.
func TestJournalHeadersAreBounded(t *testing.T) {
	long := strings.Repeat("é", 2000)
	many := func(n, size int) []string {
		var h []string
		for i := range n {
			h = append(h, fmt.Sprintf("X-Pad-%03d", i), strings.Repeat("v", size))
		}
		return h
	}
	violations := `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` + strings.Repeat(`{"mode":"`+strings.Repeat(`\u0001`, 40)+`","amount":"`+strings.Repeat(`\u0001`, 40)+`"},`, 59) + `{}]}}`
	tests := []struct {
		name    string
		body    string
		header  []string
		omitted bool
	}{
		{"100 small headers", seedConnect, many(100, 8), true},
		{"40 headers of 1 KiB", seedConnect, many(40, 1<<10), true},
		{"a 60 KB value", seedConnect, []string{"X-Long", strings.Repeat("v", 60_000)}, false},
		{"a value of escaped characters", seedConnect, []string{"X-Long", strings.Repeat("<&>", 3000)}, false},
		{"a value of two-byte characters", seedConnect, []string{"X-Long", long}, false},
		{"a 1,000-byte name", seedConnect, []string{"X-" + strings.Repeat("n", 1000), "1"}, false},
		{"a 400 with 50 violations, a cut body and 40 headers of 1 KiB", violations, many(40, 1<<10), true},
	}
	for _, mode := range []string{"mock", "proxy"} {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				ts := mockserver.NewTestServer(t)
				if mode == "proxy" {
					// The upstream's answer takes its share of the entry too:
					// a long body and departures.
					up := startUpstream(t, false, answers(422, `{"code":"`+strings.Repeat("<", 3000)+`","extra":"`+long+`"}`))
					ts, _, _ = startProxy(t, up.URL)
				}
				header := append([]string{"Authorization", "Bearer " + longSecret, "Content-Type", "application/json",
					"User-Agent", "partner-service/1.4", "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, tt.header...)
				request(t, http.MethodPost, ts.URL+createPath, tt.body, header...)
				entries := journalList(t, ts, "")
				if len(entries) != 1 {
					t.Fatalf("%d entries, want 1", len(entries))
				}
				e := entries[0]
				if n := entrySize(t, e); n > mockserver.MaxEntryBytes {
					t.Errorf("the entry is %d bytes, want at most MaxEntryBytes (%d)", n, mockserver.MaxEntryBytes)
				}
				kept := 0
				for name, values := range e.Header {
					kept += len(values)
					for _, v := range values {
						if n := len(mustJSON(t, v)) - len(`""`); n > mockserver.MaxEntryHeaderValueBytes {
							t.Errorf("%.40s: a value of %d bytes encoded, quotes aside, want at most %d", name, n, mockserver.MaxEntryHeaderValueBytes)
						}
					}
					if n := len(mustJSON(t, name)) - len(`""`); n > 128 {
						t.Errorf("a name of %d bytes encoded, quotes aside, want at most 128: %.40s", n, name)
					}
				}
				if kept > mockserver.MaxEntryHeaders {
					t.Errorf("%d header values kept, want at most %d", kept, mockserver.MaxEntryHeaders)
				}
				if n := len(mustJSON(t, e.Header)); n > mockserver.MaxEntryHeaderBytes {
					t.Errorf("the headers take %d bytes encoded, want at most %d", n, mockserver.MaxEntryHeaderBytes)
				}
				if (e.HeadersOmitted > 0) != tt.omitted {
					t.Errorf("%d headers omitted (%d kept), want some: %v", e.HeadersOmitted, kept, tt.omitted)
				}
				// The first by name are kept: those a partner asserts sort
				// before the padding.
				for _, name := range []string{"Traceparent", "User-Agent", "Authorization"} {
					if e.Header.Get(name) == "" {
						t.Errorf("%s was left out; kept %d values, omitted %d", name, kept, e.HeadersOmitted)
					}
				}
				for name, values := range e.Header {
					for _, v := range values {
						if len(v) > 200 && !strings.HasSuffix(v, "…") {
							t.Errorf("%.40s: a cut value of %d bytes does not end in …", name, len(v))
						}
					}
				}
			})
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Filter.Header and ?header= select entries by a header the request sent:
// "Name: value" (the name in any case, the value exact) or "Name".
func TestJournalFilterByHeader(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	for _, id := range []string{"a-1", "b-2", "c-3"} {
		h := []string{"X-Request-Id", id}
		if id == "b-2" {
			h = append(h, "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		}
		create(t, ts, seedConnect, h...)
	}
	tests := []struct {
		filter string
		want   []string // request ids, newest first
	}{
		{"X-Request-Id: b-2", []string{"b-2"}},
		{"x-request-id:b-2", []string{"b-2"}},
		{"X-Request-Id:   b-2  ", []string{"b-2"}},
		{"X-Request-Id: b", nil},
		{"Traceparent", []string{"b-2"}},
		{"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", []string{"b-2"}},
		{"Authorization: Bearer [redacted]", []string{"c-3", "b-2", "a-1"}},
		{"Authorization: Bearer " + partnerToken, nil},
		{"X-Absent", nil},
		{"", []string{"c-3", "b-2", "a-1"}},
	}
	ids := func(es []mockserver.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.RequestID)
		}
		return out
	}
	for _, tt := range tests {
		if got := ids(ts.Requests(mockserver.Filter{Header: tt.filter})); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Filter{Header: %q} selects %q, want %q", tt.filter, got, tt.want)
		}
		if got := ids(journalList(t, ts, "?header="+url.QueryEscape(tt.filter))); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("?header=%s selects %q, want %q", tt.filter, got, tt.want)
		}
	}
	for _, bad := range []string{":b-2", " : x", "X Request: b"} {
		a := request(t, http.MethodGet, ts.URL+"/__mock/requests?header="+url.QueryEscape(bad), "")
		if e := a.envelope(t); a.status != 400 || e.Errors == nil || (*e.Errors)[0].Field != "header" {
			t.Errorf("?header=%s: %d %.300s, want 400 naming header", bad, a.status, a.body)
		}
	}
}

// The record keeps no header that carries a credential (the names the
// journal redacts), and the credential of none in another.
func TestTheRecordKeepsNoCredentialHeader(t *testing.T) {
	up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
	ts, _, record := startProxy(t, up.URL)
	request(t, http.MethodPost, ts.URL+createPath, seedConnect,
		"Authorization", "Bearer "+longSecret, "Content-Type", "application/json",
		"X-Api-Key", "ak_live_0123456789", "Cookie", "session=8a7b6c5d4e3f", "X-Auth-Token", "tok_0123456789",
		"User-Agent", "partner-service/1.4", "X-Echo", "seen "+longSecret)
	lines := recorded(t, record, 1)
	if len(lines) != 1 {
		t.Fatalf("%d record lines, want 1", len(lines))
	}
	h := lines[0].Request.Header
	for _, name := range []string{"Authorization", "X-Api-Key", "Cookie", "X-Auth-Token"} {
		if v, ok := h[name]; ok {
			t.Errorf("the record keeps %s: %q", name, v)
		}
	}
	if h.Get("User-Agent") != "partner-service/1.4" || h.Get("X-Echo") != "seen [redacted]" {
		t.Errorf("the record's headers: User-Agent %q, X-Echo %q; want them as sent, the token redacted", h.Get("User-Agent"), h.Get("X-Echo"))
	}
}
