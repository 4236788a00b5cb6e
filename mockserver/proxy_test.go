package mockserver_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

const upstreamToken = "5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"

// fakeUpstream is a local stand-in for the real API: it answers what
// answer says and keeps what it received.
type fakeUpstream struct {
	*httptest.Server
	mu       sync.Mutex
	received []*http.Request
	bodies   []string
}

func (u *fakeUpstream) seen() ([]*http.Request, []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.received), slices.Clone(u.bodies)
}

func startUpstream(t *testing.T, tls bool, answer http.HandlerFunc) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.received = append(u.received, r)
		u.bodies = append(u.bodies, string(body))
		u.mu.Unlock()
		answer(w, r)
	})
	if tls {
		u.Server = httptest.NewTLSServer(h)
	} else {
		u.Server = httptest.NewServer(h)
	}
	t.Cleanup(u.Close)
	return u
}

// answers writes a JSON answer with the status and body given.
func answers(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// startProxy starts the mock in proxy mode in front of upstream, with its
// log and record captured.
func startProxy(t *testing.T, upstream string, configure ...func(*mockserver.Options)) (*mockserver.TestServer, *syncBuffer, *syncBuffer) {
	t.Helper()
	log, record := &syncBuffer{}, &syncBuffer{}
	return mockserver.NewTestServer(t, append([]func(*mockserver.Options){func(o *mockserver.Options) {
		o.Upstream = upstream
		o.Record = record
		o.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}}, configure...)...), log, record
}

// recorded reads the record once it has want lines: each is written just
// after its answer has gone out.
func recorded(t *testing.T, record *syncBuffer, want int) []mockserver.RecordedExchange {
	t.Helper()
	var out []mockserver.RecordedExchange
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		out = out[:0]
		sc := bufio.NewScanner(strings.NewReader(record.String()))
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var e mockserver.RecordedExchange
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("record line %s: %v", clip(sc.Text()), err)
			}
			out = append(out, e)
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
	}
}

func onlyEntry(t *testing.T, ts *mockserver.TestServer) mockserver.Entry {
	t.Helper()
	entries := ts.Requests(mockserver.Filter{})
	if len(entries) != 1 {
		t.Fatalf("journal has %d entries, want 1", len(entries))
	}
	return entries[0]
}

func departures(ds []mockserver.Departure) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

// The upstream's answer comes back as it was sent; what departs from the
// contract is in the journal entry, the drift report and the record.
func TestProxyPassesAnswersThroughAndReportsDrift(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		header     []string
		wantDrift  []string
		wantOK     bool // the token is journaled
		wantStatus int  // the drift report's status
	}{
		{name: "a conforming token", status: 200, body: `{"code":"ok","data":{"token":"` + upstreamToken + `"}}`, wantOK: true},
		{name: "a token that is not a UUID", status: 200, body: `{"code":"ok","data":{"token":"tok_live_42"}}`,
			wantDrift: []string{`/data/token: must be a uuid, got "tok_live_42"`}},
		{name: "an undocumented 422 of another shape", status: 422, body: `{"error":{"type":"validation","fields":["mode"]}}`,
			wantDrift: []string{"status: must be a status the contract documents (200, 400, 401, 413, 415, 429, 500), got 422"}},
		{name: "a 401 without its challenge", status: 401, body: `{"code":"unauthorized","message":"Unknown token."}`,
			wantDrift: []string{"header WWW-Authenticate: is required"}},
		{name: "an HTML 500", status: 500, body: `<h1>oops</h1>`, header: []string{"Content-Type", "text/html"},
			wantDrift: []string{`header Content-Type: must be application/json, got "text/html"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := startUpstream(t, false, answers(tt.status, tt.body, append([]string{"X-Upstream", "yes", "Connection", "X-Hop", "X-Hop", "one-link"}, tt.header...)...))
			ts, log, record := startProxy(t, up.URL)
			for range 2 {
				got := create(t, ts, seedTransfer, "X-Request-Id", "req-"+strings.ReplaceAll(tt.name, " ", "-"))
				if got.status != tt.status || string(got.body) != tt.body {
					t.Fatalf("caller got %d %q, want the upstream's %d %q", got.status, got.body, tt.status, tt.body)
				}
				if got.header.Get("X-Upstream") != "yes" || got.header.Get("X-Hop") != "" {
					t.Errorf("headers: X-Upstream %q (want yes), X-Hop %q (a hop-by-hop header, want none)", got.header.Get("X-Upstream"), got.header.Get("X-Hop"))
				}
			}
			reqs, bodies := up.seen()
			if len(reqs) != 2 || bodies[0] != seedTransfer {
				t.Fatalf("upstream got %d requests, first body %q; want 2 with the body as sent", len(reqs), bodies[0])
			}
			if got := reqs[0].Header.Get("Authorization"); got != "Bearer "+partnerToken {
				t.Errorf("upstream got Authorization %q, want the caller's", got)
			}
			if got := reqs[0].Header.Get("X-Request-Id"); !strings.HasPrefix(got, "req-") {
				t.Errorf("upstream got X-Request-Id %q, want the journal's", got)
			}

			entries := ts.Requests(mockserver.Filter{})
			e := entries[0]
			if e.Outcome != mockserver.OutcomeProxied || e.Status != tt.status || e.Upstream == nil || e.Upstream.Status != tt.status {
				t.Fatalf("entry: outcome %q status %d upstream %+v; want proxied with the upstream's %d", e.Outcome, e.Status, e.Upstream, tt.status)
			}
			if e.Upstream.Body != tt.body || e.Request == nil || e.Request.DisplayName != "Reward Cookies" {
				t.Errorf("entry keeps upstream body %q and request %+v", e.Upstream.Body, e.Request)
			}
			if got := departures(e.Upstream.Drift); !slices.Equal(got, tt.wantDrift) {
				t.Errorf("entry drift = %q, want %q", got, tt.wantDrift)
			}
			if tt.wantOK && e.Token != upstreamToken {
				t.Errorf("entry token = %q, want the upstream's", e.Token)
			}

			report := ts.Drift()
			if report.Answers != 2 || report.Upstream != up.URL {
				t.Errorf("report: %d answers from %q, want 2 from %q", report.Answers, report.Upstream, up.URL)
			}
			if len(tt.wantDrift) == 0 {
				if len(report.Drift) != 0 || report.Departed != 0 {
					t.Errorf("report lists %+v for a conforming upstream", report.Drift)
				}
			} else {
				if len(report.Drift) != 1 || report.Departed != 2 {
					t.Fatalf("report: %d departed, drift %+v; want 2 answers summed into one departure", report.Departed, report.Drift)
				}
				d := report.Drift[0]
				if d.Count != 2 || d.Status != tt.status || d.String() != tt.wantDrift[0] ||
					!slices.Equal(d.RequestIDs, []string{e.RequestID}) || d.FirstSeen.After(d.LastSeen) {
					t.Errorf("drift = %+v, want it seen twice in %s", d, e.RequestID)
				}
				if !strings.Contains(log.String(), "level=WARN msg=\"the upstream's answer departs from the contract\"") {
					t.Errorf("no warning logged:\n%s", log)
				}
			}

			lines := recorded(t, record, 2)
			if len(lines) != 2 || lines[0].Response == nil || lines[0].Response.Status != tt.status {
				t.Fatalf("record: %+v, want 2 lines with the upstream's answer", lines)
			}
			if got := string(lines[0].Request.Body); got != seedTransfer {
				t.Errorf("recorded request body %s, want %s", got, seedTransfer)
			}
			if body := string(lines[0].Response.Body) + lines[0].Response.BodyText; body != tt.body {
				t.Errorf("recorded answer body %q, want %q", body, tt.body)
			}
			if got := departures(lines[0].Drift); !slices.Equal(got, tt.wantDrift) {
				t.Errorf("recorded drift = %q, want %q", got, tt.wantDrift)
			}
			if lines[0].Request.Header.Get("Authorization") != "" {
				t.Error("the record holds the Authorization header")
			}
		})
	}
}

// The upstream failing gives the caller the mock's envelope with a code that
// says so, never a hang; nothing is added to the drift report.
func TestProxyUpstreamFailures(t *testing.T) {
	slow := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	reset := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	})
	garbage := rawUpstream(t, "SSH-2.0-OpenSSH_9.6\r\n\r\n", 0)
	closed := rawUpstream(t, "", 0)
	switching := rawUpstream(t, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: Upgrade\r\n\r\n{", time.Minute)
	tooLarge := startUpstream(t, false, answers(200, `{"code":"ok","pad":"`+strings.Repeat("x", mockserver.MaxUpstreamBodyBytes)+`"}`))
	tests := []struct {
		name     string
		upstream string
		status   int
		code     string
		message  string
	}{
		{"a slow upstream", slow.URL, 504, mockserver.OutcomeUpstreamTimeout, "did not answer within 300ms"},
		{"a reset connection", reset.URL, 502, mockserver.OutcomeUpstreamFailed, "failed: "},
		{"an answer that is not HTTP", garbage, 502, mockserver.OutcomeUpstreamFailed, "malformed HTTP"},
		{"a connection closed at once", closed, 502, mockserver.OutcomeUpstreamFailed, "EOF"},
		{"nobody listening", "http://127.0.0.1:1", 502, mockserver.OutcomeUpstreamFailed, "connection refused"},
		{"an answer over the bound", tooLarge.URL, 502, mockserver.OutcomeUpstreamFailed, "over 1048576 bytes"},
		{"a switch of protocols that holds the connection", switching, 502, mockserver.OutcomeUpstreamFailed, "101 Switching Protocols"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only the slow upstream meets the timeout: the others must
			// fail for their own reason however busy the machine is.
			timeout := 30 * time.Second
			if tt.status == http.StatusGatewayTimeout {
				timeout = 300 * time.Millisecond
			}
			ts, _, record := startProxy(t, tt.upstream, func(o *mockserver.Options) { o.UpstreamTimeout = timeout })
			start := time.Now()
			got := create(t, ts, seedTransfer)
			// A hang would last until the upstream lets go: a minute.
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("the answer took %s", took)
			}
			e := got.envelope(t)
			if got.status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.message) {
				t.Fatalf("got %d %s %q, want %d %s mentioning %q", got.status, e.Code, e.Message, tt.status, tt.code, tt.message)
			}
			entry := onlyEntry(t, ts)
			if entry.Outcome != tt.code || entry.Upstream == nil || entry.Upstream.Status != 0 || entry.Upstream.Error == "" {
				t.Errorf("entry: outcome %q upstream %+v; want %s with the error", entry.Outcome, entry.Upstream, tt.code)
			}
			if r := ts.Drift(); r.Answers != 0 || len(r.Drift) != 0 {
				t.Errorf("drift report %+v after a failed exchange, want nothing", r)
			}
			if lines := recorded(t, record, 1); len(lines) != 1 || lines[0].Response != nil || lines[0].Error == "" {
				t.Errorf("record %+v, want one line with the error and no response", lines)
			}
		})
	}
}

// rawUpstream listens on loopback and answers every connection with text,
// then holds it open for hold and closes it; it returns the URL.
func rawUpstream(t *testing.T, text string, hold time.Duration) string {
	t.Helper()
	return loopback.Upstream(t, 5*time.Second, func(conn net.Conn) {
		bufio.NewReader(conn).ReadString('\n') // the request line
		io.WriteString(conn, text)
		time.Sleep(hold)
	})
}

// TLS to the upstream is verified: a private CA must be given.
func TestProxyVerifiesTheUpstreamCertificate(t *testing.T) {
	up := startUpstream(t, true, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
	t.Run("with its CA", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AddCert(up.Certificate())
		ts, _, _ := startProxy(t, up.URL, func(o *mockserver.Options) { o.UpstreamRootCAs = pool })
		if got := create(t, ts, seedTransfer); got.token(t).String() != upstreamToken {
			t.Errorf("got %s, want the upstream's token", got.body)
		}
	})
	t.Run("without it", func(t *testing.T) {
		before, _ := up.seen()
		ts, _, _ := startProxy(t, up.URL)
		got := create(t, ts, seedTransfer)
		if e := got.envelope(t); got.status != 502 || !strings.Contains(e.Message, "certificate") {
			t.Errorf("got %d %q, want 502 naming the certificate", got.status, e.Message)
		}
		if reqs, _ := up.seen(); len(reqs) != len(before) {
			t.Errorf("the upstream got %d requests over an unverified connection", len(reqs)-len(before))
		}
	})
}

// An invalid request goes to the upstream, its violations journaled, unless
// the mock is told to refuse it itself.
func TestProxyInvalidRequests(t *testing.T) {
	const bad = `{"mode":2}`
	tests := []struct {
		name          string
		refuse        bool
		header        []string
		wantForwarded bool
		wantStatus    int
		wantRefusal   string
	}{
		{"a body that breaks the schema is forwarded", false, nil, true, 422, mockserver.OutcomeInvalidRequest},
		{"a missing token is forwarded", false, []string{"Authorization", ""}, true, 422, mockserver.OutcomeUnauthorized},
		{"a body that breaks the schema is refused when asked", true, nil, false, 400, ""},
		{"a missing token is refused when asked", true, []string{"Authorization", ""}, false, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := startUpstream(t, false, answers(422, `{"error":"no"}`))
			ts, _, _ := startProxy(t, up.URL, func(o *mockserver.Options) { o.RefuseInvalid = tt.refuse })
			got := create(t, ts, bad, tt.header...)
			reqs, bodies := up.seen()
			if got.status != tt.wantStatus || (len(reqs) == 1) != tt.wantForwarded {
				t.Fatalf("got %d with %d requests upstream; want %d, forwarded %v", got.status, len(reqs), tt.wantStatus, tt.wantForwarded)
			}
			e := onlyEntry(t, ts)
			if tt.wantForwarded {
				if bodies[0] != bad || e.WouldRefuse != tt.wantRefusal || e.Outcome != mockserver.OutcomeProxied {
					t.Errorf("upstream body %q; entry would_refuse %q outcome %q; want %q proxied", bodies[0], e.WouldRefuse, e.Outcome, tt.wantRefusal)
				}
				if len(e.Violations) != 2 {
					t.Errorf("entry violations %+v, want /display_name and /mode", e.Violations)
				}
			} else if e.Upstream != nil || e.WouldRefuse != "" {
				t.Errorf("a refused request has upstream %+v, would_refuse %q", e.Upstream, e.WouldRefuse)
			}
		})
	}
}

// Queued faults and Prefer answer locally, without the upstream.
func TestProxyFaultsAndPreferAnswerLocally(t *testing.T) {
	up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
	ts, _, record := startProxy(t, up.URL)
	if err := ts.QueueFault(mockserver.Fault{Status: 429, Match: mockserver.Match{UserExternalID: "1234"}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		body, prefer string
		status       int
		upstream     int // requests the upstream has seen after the step
	}{
		{seedConnect, "", 200, 1},                 // the fault does not match: forwarded
		{seedConnectKnownUser, "", 429, 1},        // the fault matches: local
		{seedConnect, "code=401", 401, 1},         // Prefer: local
		{seedConnect, "code=200", 200, 1},         // Prefer asks for a token: the mock's
		{seedConnect, "respond-async", 200, 2},    // not a preference of the mock's: forwarded
		{seedConnect, "example=nonsense", 400, 2}, // an invalid preference: the mock's 400
		{seedConnectKnownUser, "", 200, 3},        // the fault is used up
	}
	for i, st := range steps {
		var got answer
		if st.prefer != "" {
			got = create(t, ts, st.body, "Prefer", st.prefer)
		} else {
			got = create(t, ts, st.body)
		}
		if reqs, _ := up.seen(); got.status != st.status || len(reqs) != st.upstream {
			t.Errorf("step %d (%s): got %d with %d upstream requests, want %d with %d", i, st.prefer, got.status, len(reqs), st.status, st.upstream)
		}
		if st.prefer == "" && got.status == 200 && got.token(t).String() != upstreamToken {
			t.Errorf("step %d: token %s, want the upstream's", i, got.body)
		}
	}
	if n := len(recorded(t, record, 3)); n != 3 {
		t.Errorf("record has %d lines, want the 3 exchanges with the upstream", n)
	}
}

// The partner's credentials go to the upstream and nowhere else, however
// the upstream echoes them: whole or as a long token that a check would cut,
// JSON-escaped, in a header, under another scheme, in a second header.
func TestProxyKeepsCredentialsToTheUpstream(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYXJ0bmVyLTQyIiwic2NvcGUiOiJ0b2tlbnMifQ/c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	escaped := strings.ReplaceAll(jwt, "/", `\/`)
	tests := []struct {
		name   string
		auth   []string // Authorization headers sent
		status int
		body   string
		header []string
		secret string // what must not be kept, nor any 20 bytes of it
	}{
		{"an exact echo in a message and a header", []string{"Bearer " + partnerToken}, 401,
			`{"code":"unauthorized","message":"Token ` + partnerToken + ` is unknown."}`,
			[]string{"Www-Authenticate", "Basic realm=" + partnerToken, "Set-Cookie", "s=" + partnerToken}, partnerToken},
		{"a long token echoed as the issued token, which a check cuts", []string{"Bearer " + jwt}, 200,
			`{"code":"ok","data":{"token":"` + jwt + `"}}`, nil, jwt},
		{"a JSON-escaped echo", []string{"Bearer " + jwt}, 400,
			`{"code":"invalid_request","message":"bad token ` + escaped + `","errors":[{"field":"` + escaped + `","message":1}]}`, nil, jwt},
		{"Basic credentials", []string{"Basic dXNlcjpwYXNzd29yZC0xMjM0NQ=="}, 401,
			`{"code":"unauthorized","message":"dXNlcjpwYXNzd29yZC0xMjM0NQ== refused"}`, []string{"Www-Authenticate", "Bearer"}, "dXNlcjpwYXNzd29yZC0xMjM0NQ=="},
		{"the second of two Authorization headers", []string{"Bearer first-token-abcdef", "Bearer " + jwt}, 418,
			`{"echo":"` + jwt + `"}`, nil, jwt},
		{"a URL-encoded echo in a Location", []string{"Bearer " + jwt}, 302,
			`{}`, []string{"Location", "https://login.example/?token=" + url.QueryEscape(jwt)}, jwt},
		{"a token as a header name", []string{"Bearer Alnumsecrettok777"}, 200,
			`{"code":"ok","data":{"token":"` + upstreamToken + `"}}`, []string{"X-Alnumsecrettok777", "1"}, "Alnumsecrettok777"},
		{"a scheme and token split by a tab", []string{"Bearer\t" + jwt}, 401,
			`{"code":"unauthorized","message":"` + jwt + `"}`, []string{"Www-Authenticate", "Bearer"}, jwt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := startUpstream(t, false, answers(tt.status, tt.body, tt.header...))
			ts, log, record := startProxy(t, up.URL)
			req, _ := http.NewRequest(http.MethodPost, ts.URL+createPath, strings.NewReader(seedConnect))
			req.Header["Authorization"] = tt.auth
			req.Header.Set("Content-Type", "application/json")
			noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != tt.body {
				t.Errorf("caller got %q, want the upstream's answer unchanged", body)
			}
			if reqs, _ := up.seen(); len(reqs) != 1 || !slices.Equal(reqs[0].Header["Authorization"], tt.auth) {
				t.Fatalf("the upstream did not get the credentials as sent")
			}
			recorded(t, record, 1)
			admin := request(t, http.MethodGet, ts.URL+"/__mock/requests", "").body
			drift := request(t, http.MethodGet, ts.URL+"/__mock/drift", "").body
			pieces := []string{tt.secret}
			for i := 0; i+20 <= len(tt.secret); i += 10 {
				pieces = append(pieces, tt.secret[i:i+20])
			}
			for what, text := range map[string]string{"log": log.String(), "record": record.String(), "journal": string(admin), "drift report": string(drift)} {
				text = strings.ToLower(text)
				for _, p := range pieces {
					p = strings.ToLower(p)
					if strings.Contains(text, p) || strings.Contains(text, strings.ReplaceAll(p, "/", `\/`)) || strings.Contains(text, strings.ToLower(url.QueryEscape(p))) {
						t.Errorf("the %s holds %q of the credentials:\n%s", what, p, text)
						break
					}
				}
			}
			if !strings.Contains(record.String(), "[redacted]") {
				t.Errorf("the record shows no redaction:\n%s", record)
			}
		})
	}
}

// A caller that hangs up cancels its upstream request and is journaled as
// dropped.
func TestProxyCallerGoneCancelsTheUpstreamRequest(t *testing.T) {
	arrived, cancelled := make(chan struct{}), make(chan struct{})
	up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
		close(cancelled)
	})
	ts, _, _ := startProxy(t, up.URL)
	// The caller hangs up once its request has reached the upstream,
	// however long that takes.
	ctx, hangUp := context.WithCancel(t.Context())
	defer hangUp()
	go func() {
		select {
		case <-arrived:
			hangUp()
		case <-ctx.Done():
		}
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+createPath, strings.NewReader(seedConnect))
	req.Header.Set("Authorization", "Bearer "+partnerToken)
	req.Header.Set("Content-Type", "application/json")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the request got an answer; want a client timeout")
	}
	select {
	case <-cancelled:
	case <-time.After(30 * time.Second):
		t.Fatal("the upstream request was not cancelled")
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(ts.Requests(mockserver.Filter{})) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if e := onlyEntry(t, ts); e.Outcome != mockserver.OutcomeDropped || e.Status != 0 || e.Upstream == nil || e.Upstream.Error != "the caller went away" {
		t.Errorf("entry: %s %d upstream %+v, want dropped, the caller gone", e.Outcome, e.Status, e.Upstream)
	}
}

func TestProxyOptionsAreChecked(t *testing.T) {
	var buf bytes.Buffer
	tests := []struct {
		name string
		opts mockserver.Options
		want string // in the error; "" for none
	}{
		{"https", mockserver.Options{Upstream: "https://api-staging.withbenji.com"}, ""},
		{"http on loopback", mockserver.Options{Upstream: "http://127.0.0.1:8080"}, ""},
		{"http on localhost with a prefix", mockserver.Options{Upstream: "http://localhost:8080/benji/"}, ""},
		{"http elsewhere", mockserver.Options{Upstream: "http://staging.internal:8080"}, "plain http"},
		{"http elsewhere, allowed", mockserver.Options{Upstream: "http://staging.internal:8080", UpstreamAllowHTTP: true}, ""},
		{"another scheme", mockserver.Options{Upstream: "ftp://api.example"}, "scheme"},
		{"no host", mockserver.Options{Upstream: "https://"}, "host"},
		{"credentials in the URL", mockserver.Options{Upstream: "https://user:pw@api.example"}, "credentials"},
		{"a query", mockserver.Options{Upstream: "https://api.example/?a=b"}, "query"},
		{"tokens", mockserver.Options{Upstream: "https://api.example", Tokens: []string{"t"}}, "Tokens"},
		{"a timeout too long", mockserver.Options{Upstream: "https://api.example", UpstreamTimeout: 2 * time.Minute}, "UpstreamTimeout"},
		{"a timeout and latency past the budget", mockserver.Options{Upstream: "https://api.example", UpstreamTimeout: time.Minute, Latency: 30 * time.Second}, "add up"},
		{"a record without an upstream", mockserver.Options{Record: &buf}, "need an Upstream"},
		{"an upstream timeout without an upstream", mockserver.Options{UpstreamTimeout: 5 * time.Minute}, "need an Upstream"},
		{"refuse-invalid without an upstream", mockserver.Options{RefuseInvalid: true}, "need an Upstream"},
		{"an admin host with a port", mockserver.Options{AdminHosts: []string{"devbox.example.com:4010"}}, "AdminHosts"},
		{"an admin host that is an address", mockserver.Options{AdminHosts: []string{"10.0.0.7"}}, "AdminHosts"},
		{"an admin host with a trailing dot", mockserver.Options{AdminHosts: []string{"devbox.example.com."}}, ""},
		{"a URL that does not parse, with a password", mockserver.Options{Upstream: "https://user:hunter2@host/%zz"}, "invalid URL escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mockserver.New(tt.opts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, mockserver.ErrInvalidOptions)):
				t.Errorf("New: %v, want ErrInvalidOptions mentioning %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "hunter2"):
				t.Errorf("New: %v: the error repeats the URL's password", err)
			}
		})
	}
}

// A proxied entry at its largest, a 400's request side and an upstream's
// answer full of departures and escapes, stays within MaxEntryBytes.
func TestProxiedEntriesStayBounded(t *testing.T) {
	const unit = `\u0001<&` // each decoded character takes 6 bytes once encoded
	ctl := strings.Repeat(unit, 1000)
	var errs []string
	for i := range 60 {
		errs = append(errs, `{"field":`+strings.Repeat("9", 30)+`,"message":{"`+strings.Repeat("k", i)+`":"`+strings.Repeat(unit, 25)+`"}}`)
	}
	upstreamBody := `{"code":"` + ctl + `","errors":[` + strings.Join(errs, ",") + `]}`
	long := strings.Repeat("<&", 500) // each character takes 6 bytes once encoded
	up := startUpstream(t, false, answers(400, upstreamBody, "X-Request-Id", long, "Retry-After", long, "Content-Type", "application/json; x="+long))
	ts, _, _ := startProxy(t, up.URL)
	var actions []string
	for range 150 {
		actions = append(actions, `{"mode":"`+strings.Repeat(unit, 40)+`","amount":"x"}`)
	}
	body := `{"mode":9,"display_name":"` + ctl + `","custom_attributes":{"actions":[` + strings.Join(actions, ",") + `]}}`
	if got := create(t, ts, body); got.status != 400 || string(got.body) != upstreamBody {
		t.Fatalf("got %d, want the upstream's 400 as sent", got.status)
	}
	e := onlyEntry(t, ts)
	if len(e.Violations) != 50 || e.Upstream == nil || len(e.Upstream.Drift) != 10 || e.Upstream.DriftOmitted == 0 || len(e.Upstream.Header) != 3 || !e.Upstream.Truncated {
		t.Fatalf("entry: %d violations, upstream %.300v; want 50, 10 departures listed, the rest counted, 3 headers, the body truncated", len(e.Violations), e.Upstream)
	}
	if n := entrySize(t, e); n > mockserver.MaxEntryBytes {
		t.Errorf("entry is %d bytes, over MaxEntryBytes %d", n, mockserver.MaxEntryBytes)
	} else {
		t.Logf("entry is %d bytes of %d", n, mockserver.MaxEntryBytes)
	}
}

// The headers a client needs come back as the upstream sent them: its own
// request id (journaled beside the mock's), and no Content-Type when it sent
// none, rather than one net/http would guess.
func TestProxyPassesTheUpstreamsHeaders(t *testing.T) {
	up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "upstream-id-7")
		w.Header()["Content-Type"] = nil
		w.WriteHeader(500)
		io.WriteString(w, `{"code":"internal_error","message":"m"}`)
	})
	ts, log, _ := startProxy(t, up.URL)
	got := create(t, ts, seedConnect, "X-Request-Id", "caller-id-1")
	if got.header.Get("X-Request-Id") != "upstream-id-7" || got.header["Content-Type"] != nil {
		t.Errorf("caller got X-Request-Id %q and Content-Type %q; want the upstream's id and no Content-Type", got.header.Get("X-Request-Id"), got.header["Content-Type"])
	}
	if reqs, _ := up.seen(); reqs[0].Header.Get("X-Request-Id") != "caller-id-1" {
		t.Errorf("upstream got X-Request-Id %q, want the caller's", reqs[0].Header.Get("X-Request-Id"))
	}
	e := onlyEntry(t, ts)
	if e.RequestID != "caller-id-1" || e.Upstream.RequestID != "upstream-id-7" {
		t.Errorf("entry ids %q and upstream %q; want the caller's and the upstream's", e.RequestID, e.Upstream.RequestID)
	}
	if got := departures(e.Upstream.Drift); !slices.Equal(got, []string{"header Content-Type: must be application/json, got none"}) {
		t.Errorf("drift %q, want the missing Content-Type", got)
	}
	// The log line is written once the answer has gone out, so after the
	// client may have it.
	loopback.WaitFor(t, "the log line with the upstream's request id", func() bool { return strings.Contains(log.String(), "upstream_request_id=upstream-id-7") })
}

// At most MaxUpstreamExchanges exchanges with the upstream are under way at
// once; a request past them waits its turn within the upstream timeout.
func TestProxyBoundsExchangesAtOnce(t *testing.T) {
	const extra = 16
	t.Run("the bound is reached and never passed", func(t *testing.T) {
		// Each exchange ends by the upstream answering, and the upstream
		// counts it over before it ends its body: an exchange is counted
		// only while the mock holds its turn, so the count is exact
		// whatever the timing. (Ended by the mock's timeout instead, the
		// upstream would see the connection close some time after the
		// mock had given the turn to the next request, and count one too
		// many.) The status line and headers go out first: a turn lasts
		// until the whole answer is read, not until its headers are.
		releaseOne, releaseAll := make(chan struct{}), make(chan struct{})
		var now, most, arrived atomic.Int64
		up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
			n := now.Add(1)
			arrived.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"code":"ok",`)
			http.NewResponseController(w).Flush()
			select {
			case <-releaseOne:
			case <-releaseAll:
			case <-r.Context().Done():
			}
			now.Add(-1)
			io.WriteString(w, `"data":{"token":"`+upstreamToken+`"}}`)
		})
		var once sync.Once
		stop := func() { once.Do(func() { close(releaseAll) }) }
		defer stop()
		// No request may time out while the test waits on a busy machine.
		ts, _, _ := startProxy(t, up.URL, func(o *mockserver.Options) { o.UpstreamTimeout = time.Minute })
		var wg sync.WaitGroup
		statuses := make(chan int, mockserver.MaxUpstreamExchanges+extra)
		for range mockserver.MaxUpstreamExchanges + extra {
			wg.Go(func() { statuses <- create(t, ts, seedConnect).status })
		}
		deadline := time.Now().Add(45 * time.Second)
		waitUntil := func(what string, cond func() bool) {
			t.Helper()
			for !cond() {
				if time.Now().After(deadline) {
					stop()
					t.Fatalf("timed out waiting for %s: %d exchanges under way, %d began, %d at most at once", what, now.Load(), arrived.Load(), most.Load())
				}
				time.Sleep(time.Millisecond)
			}
		}
		waitUntil("every turn to be taken", func() bool { return now.Load() >= mockserver.MaxUpstreamExchanges })
		// The other requests wait for a turn: each exchange that ends lets
		// exactly one more begin, while the rest keep waiting.
		for i := 1; i <= extra; i++ {
			select {
			case releaseOne <- struct{}{}:
			case <-time.After(time.Until(deadline)):
				stop()
				t.Fatalf("timed out: no exchange to end; %d under way, %d began", now.Load(), arrived.Load())
			}
			waitUntil("a waiting request to take the turn freed", func() bool {
				return arrived.Load() >= int64(mockserver.MaxUpstreamExchanges+i)
			})
		}
		stop()
		wg.Wait()
		close(statuses)
		for status := range statuses {
			if status != http.StatusOK {
				t.Errorf("status %d, want 200 from the upstream for every request", status)
			}
		}
		if got := most.Load(); got != mockserver.MaxUpstreamExchanges {
			t.Errorf("the upstream had %d exchanges at most at once, want %d (MaxUpstreamExchanges)", got, mockserver.MaxUpstreamExchanges)
		}
		if got := arrived.Load(); got != mockserver.MaxUpstreamExchanges+extra {
			t.Errorf("the upstream saw %d exchanges, want %d", got, mockserver.MaxUpstreamExchanges+extra)
		}
	})

	t.Run("a request that gets no turn in time is answered 504", func(t *testing.T) {
		// The upstream never answers: each request times out, waiting
		// for a turn or for the upstream, whichever the timing.
		release := make(chan struct{})
		up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		ts, _, _ := startProxy(t, up.URL, func(o *mockserver.Options) { o.UpstreamTimeout = time.Second })
		var wg sync.WaitGroup
		statuses := make(chan int, mockserver.MaxUpstreamExchanges+extra)
		for range mockserver.MaxUpstreamExchanges + extra {
			wg.Go(func() { statuses <- create(t, ts, seedConnect).status })
		}
		wg.Wait()
		close(statuses)
		for status := range statuses {
			if status != http.StatusGatewayTimeout {
				t.Errorf("status %d, want 504 from every request", status)
			}
		}
	})
}
