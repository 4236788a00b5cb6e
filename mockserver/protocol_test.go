package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

func TestUnauthorizedCarriesAChallenge(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Tokens = []string{partnerToken} })
	for _, tc := range []struct{ auth, want string }{
		{"", "Bearer"},
		{"Basic dTpw", "Bearer"},
		{"Bearer ", "Bearer"},
		{"Bearer", "Bearer"},
		{"Bearer someone-else", `Bearer error="invalid_token"`},
	} {
		a := request(t, "POST", ts.URL+createPath, seedConnect, "Authorization", tc.auth, "Content-Type", "application/json")
		if a.status != 401 || a.header.Get("WWW-Authenticate") != tc.want {
			t.Errorf("Authorization %q: %d WWW-Authenticate %q, want 401 with %q", tc.auth, a.status, a.header.Get("WWW-Authenticate"), tc.want)
		}
		if msg := a.envelope(t).Message; strings.HasPrefix(tc.auth, "Bearer") && tc.want == "Bearer" && !strings.HasPrefix(msg, "Send the partner access token") {
			t.Errorf("Authorization %q: message %q, want the one asking for a token", tc.auth, msg)
		}
	}
	if a := create(t, ts, seedConnect, "Prefer", "code=401"); a.header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("an injected 401: WWW-Authenticate %q, want Bearer", a.header.Get("WWW-Authenticate"))
	}
	if a := create(t, ts, seedConnect, "Prefer", "example=expiredToken"); a.status != 401 || a.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("an injected expired token: %d WWW-Authenticate %q, want 401 with error=\"invalid_token\"", a.status, a.header.Get("WWW-Authenticate"))
	}
	if a := create(t, ts, seedConnect); a.header.Get("WWW-Authenticate") != "" {
		t.Errorf("a 200 carries WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
	}
}

func TestEveryAnswerCarriesARequestID(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", createPath, seedConnect},
		{"POST", createPath, `{"mode":2}`},
		{"GET", createPath, ""},
		{"POST", "/nowhere", ""},
		{"GET", "/healthz", ""},
		{"GET", "/__mock/requests?outcome=bogus", ""},
		{"OPTIONS", "/healthz", ""},
		{"OPTIONS", "/__mock/faults", ""},
		{"HEAD", "/openapi.yaml", ""},
		{"OPTIONS", createPath, ""},
	} {
		a := request(t, tc.method, ts.URL+tc.path, tc.body, "Authorization", "Bearer t", "Content-Type", "application/json", "X-Request-Id", "mine-1")
		if got := a.header.Get("X-Request-Id"); got != "mine-1" {
			t.Errorf("%s %s: X-Request-Id %q, want the caller's", tc.method, tc.path, got)
		}
	}
}

func TestNotFoundNamesThePathAsSent(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	a := request(t, "POST", ts.URL+"/verify%2Ftoken%2Fcreate", seedConnect, "Authorization", "Bearer t", "Content-Type", "application/json")
	if a.status != 404 || !strings.Contains(a.envelope(t).Message, "/verify%2Ftoken%2Fcreate") {
		t.Errorf("%d %s, want a 404 naming the path as sent", a.status, a.body)
	}
}

func TestHealthAnswersHEAD(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	a := request(t, "HEAD", ts.URL+"/healthz", "")
	if a.status != 200 || len(a.body) != 0 {
		t.Errorf("HEAD /healthz: %d with %d bytes, want 200 and no body", a.status, len(a.body))
	}
	if a := request(t, "POST", ts.URL+"/healthz", ""); a.status != 405 {
		t.Errorf("POST /healthz: %d, want 405", a.status)
	}
	for path, want := range map[string]string{"/healthz": "GET, HEAD, OPTIONS", "/__mock/faults": "DELETE, GET, HEAD, OPTIONS, POST"} {
		if a := request(t, "OPTIONS", ts.URL+path, ""); a.status != 204 || a.header.Get("Allow") != want {
			t.Errorf("OPTIONS %s: %d Allow %q, want 204 with %q", path, a.status, a.header.Get("Allow"), want)
		}
	}
}

func TestJournalFiltersAreChecked(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	create(t, ts, seedConnect)
	for _, tc := range []struct {
		query, field string
	}{
		{"outcome=bogus", "outcome"},
		{"status=abc", "status"},
		{"limit=-1", "limit"},
		{"stauts=500", "stauts"},
	} {
		a := request(t, "GET", ts.URL+"/__mock/requests?"+tc.query, "")
		e := a.envelope(t)
		if a.status != 400 || e.Code != mockserver.OutcomeInvalidQuery || e.Errors == nil || (*e.Errors)[0].Field != tc.field {
			t.Errorf("?%s: %d %s, want 400 naming %s", tc.query, a.status, a.body, tc.field)
		}
	}
	many := ""
	for i := range 100 {
		many += fmt.Sprintf("f%d=1&", i)
	}
	if a := request(t, "GET", ts.URL+"/__mock/requests?"+many, ""); a.status != 400 || len(*a.envelope(t).Errors) != 50 || !strings.Contains(a.envelope(t).Message, "100 problems") {
		t.Errorf("100 unknown filters: %d %.300s, want 400 listing 50 and counting 100", a.status, a.body)
	}
	for _, q := range []string{"outcome=ok", "outcome=expired_token", "outcome=dropped", "status=200&limit=1&user_external_id=x"} {
		if a := request(t, "GET", ts.URL+"/__mock/requests?"+q, ""); a.status != 200 {
			t.Errorf("?%s: %d %s", q, a.status, a.body)
		}
	}
}

func TestAdminToken(t *testing.T) {
	const adminToken = "admin-secret-42"
	var logs bytes.Buffer
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.AdminToken = adminToken
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	for _, tc := range []struct {
		method, path, auth string
		want               int
	}{
		{"GET", "/__mock/requests", "", 401},
		{"GET", "/__mock/requests", "Bearer wrong", 401},
		{"GET", "/__mock/requests", "Bearer " + adminToken + "x", 401},
		{"POST", "/__mock/faults", "Basic " + adminToken, 401},
		{"DELETE", "/__mock/faults", "", 401},
		{"GET", "/__mock/tokens/0c371a1c-aa81-11ef-b28c-0a58a9feac02", "", 401},
		{"GET", "/__mock/requests", "Bearer " + adminToken, 200},
		{"GET", "/__mock/faults", "bearer " + adminToken, 200},
		{"GET", "/healthz", "", 200},
	} {
		a := request(t, tc.method, ts.URL+tc.path, `{"status":500}`, "Authorization", tc.auth)
		if strings.Contains(string(a.body), adminToken) || strings.Contains(fmt.Sprint(a.header), adminToken) {
			t.Errorf("%s %s: the answer holds the admin token", tc.method, tc.path)
		}
		if a.status != tc.want {
			t.Errorf("%s %s with %q: %d, want %d", tc.method, tc.path, tc.auth, a.status, tc.want)
		}
		if tc.want == 401 && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s: 401 without a Bearer challenge", tc.method, tc.path)
		}
	}
	if len(ts.Faults()) != 0 {
		t.Error("a fault was queued without the admin token")
	}
	// The API itself does not take the admin token's place, nor need it.
	if a := create(t, ts, seedConnect); a.status != 200 {
		t.Errorf("the API with the admin token set: %d", a.status)
	}
	ts.Close() // every log line written: each follows its answer
	if strings.Contains(logs.String(), adminToken) {
		t.Errorf("the admin token is in the logs:\n%s", logs.String())
	}
	if journal, _ := json.Marshal(ts.Requests(mockserver.Filter{})); strings.Contains(string(journal), adminToken) {
		t.Errorf("the admin token is in the journal: %s", journal)
	}
}

func TestOpenAdminOnTheNetworkIsWarnedAbout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		addr     string
		opts     mockserver.Options
		wantWarn bool
	}{
		{"loopback", "127.0.0.1:0", mockserver.Options{}, false},
		{"all interfaces", "0.0.0.0:0", mockserver.Options{}, true},
		{"all interfaces, with an admin token", "0.0.0.0:0", mockserver.Options{AdminToken: "x"}, false},
		{"all interfaces, admin off", "0.0.0.0:0", mockserver.Options{DisableAdmin: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			tc.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s, err := mockserver.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- s.Serve(ctx, ln) }()
			cancel()
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "admin API is open")
			if warned != tc.wantWarn {
				t.Errorf("warned %v, want %v:\n%s", warned, tc.wantWarn, logs.String())
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for a server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A client that gives up during a fault's delay or the configured latency
// got nothing: the journal and the log say dropped, not 200.
func TestAnAnswerNobodyGotIsDropped(t *testing.T) {
	for _, wait := range []string{"a fault's delay", "the latency"} {
		t.Run(wait, func(t *testing.T) { testAnAnswerNobodyGotIsDropped(t, wait == "the latency") })
	}
}

func testAnAnswerNobodyGotIsDropped(t *testing.T, latency bool) {
	var logs syncBuffer
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		if latency {
			o.Latency = 5 * time.Second
		}
	})
	if !latency {
		if err := ts.QueueFault(mockserver.Fault{Delay: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	// The client gives up once its whole request is sent, however long
	// that takes, and long before the 5 s wait ends.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { cancel() }})
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+createPath, strings.NewReader(seedConnect))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want the client to give up", resp.StatusCode)
	}
	loopback.WaitFor(t, "the abandoned request in the journal", func() bool { return len(ts.Requests(mockserver.Filter{})) == 1 })
	e := ts.Requests(mockserver.Filter{})[0]
	if e.Status != 0 || e.Outcome != mockserver.OutcomeDropped || e.Token != "" {
		t.Errorf("journal entry = status %d outcome %q token %q, want a dropped request without a token", e.Status, e.Outcome, e.Token)
	}
	var line struct {
		Status             int    `json:"status"`
		Outcome            string `json:"outcome"`
		UndeliveredStatus  int    `json:"undelivered_status"`
		UndeliveredOutcome string `json:"undelivered_outcome"`
	}
	loopback.WaitFor(t, "the log line", func() bool { return strings.Contains(logs.String(), `"msg":"request"`) })
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, `"msg":"request"`) {
			json.Unmarshal([]byte(l), &line)
		}
	}
	if line.Status != 0 || line.Outcome != mockserver.OutcomeDropped || line.UndeliveredStatus != 200 || line.UndeliveredOutcome != mockserver.OutcomeOK {
		t.Errorf("log line = %+v, want status 0, dropped, undelivered 200 ok", line)
	}
}

// A request still running when the drain bound ends is cut, and recorded as
// dropped; Stop ends a drain at once.
func TestShutdownCutsAndRecordsWhatIsLeft(t *testing.T) {
	for _, tc := range []struct {
		name    string
		drain   time.Duration
		stop    bool
		latency time.Duration // the request waits in the latency, not a fault's delay
	}{
		{"at the drain bound", 300 * time.Millisecond, false, 0},
		{"on Stop", time.Minute, true, 0},
		{"in the latency", 300 * time.Millisecond, false, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			s, err := mockserver.New(mockserver.Options{ShutdownTimeout: tc.drain, Latency: tc.latency, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			srv := loopback.Serve(t, s.Serve)
			if err := s.QueueFault(mockserver.Fault{Delay: 10 * time.Second}); err != nil {
				t.Fatal(err)
			}
			got := make(chan error, 1)
			go func() {
				req := apiRequest(srv.URL+createPath, strings.NewReader(seedConnect), "x")
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				got <- err
			}()
			loopback.WaitFor(t, "the request to take the fault", func() bool { return len(s.Faults()) == 0 })
			srv.Cancel()
			began := time.Now()
			if tc.stop {
				s.Stop()
			}
			select {
			case <-srv.Done():
				if err := srv.Err(); err == nil || !strings.Contains(err.Error(), "cut 1 request") {
					t.Errorf("Serve = %v, want an error saying a request was cut", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Serve did not return")
			}
			if took := time.Since(began); took > tc.drain+3*time.Second {
				t.Errorf("Serve returned %s after the signal", took)
			}
			if err := <-got; err == nil {
				t.Error("the cut request got an answer")
			}
			e := s.Requests(mockserver.Filter{})
			if len(e) != 1 || e[0].Outcome != mockserver.OutcomeDropped || e[0].Status != 0 {
				t.Errorf("journal = %+v, want the cut request as dropped", e)
			}
			if !strings.Contains(logs.String(), `"outcome":"dropped"`) {
				t.Errorf("no log line for the cut request:\n%s", logs.String())
			}
		})
	}
}

func TestAdminFaultInput(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	for _, tc := range []struct {
		fault string
		want  int
		say   string // in the message
	}{
		{`{"STATUS":429}`, 400, `unknown field "STATUS"`},
		{`{"status":429,"status":500}`, 400, "twice"},
		{`{"status":"429"}`, 400, "status must be an HTTP status"},
		{`{"delay":5}`, 400, "delay must be a Go duration"},
		{`{"status":500,"match":{"user_external_id":""}}`, 400, "user_external_id must be a non-empty string"},
		{`{"status":500,"match":{"Mode":3}}`, 400, `unknown field "Mode"`},
		{`{"status":500,"match":{"mode":2}}`, 201, ""}, // a mode no valid request has: it never matches
		{`[]`, 400, "must be a JSON object"},
		{`{"status":500} {}`, 400, "after top-level value"},
		{`{"status":500,"match":{"partnership_id":49}}`, 201, ""},
	} {
		a := request(t, "POST", ts.URL+"/__mock/faults", tc.fault)
		if a.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.fault, a.status, a.body, tc.want)
			continue
		}
		if tc.want == 400 {
			msg := a.envelope(t).Message
			if !strings.Contains(msg, tc.say) || strings.Contains(msg, "Go struct") || strings.Contains(msg, "faultJSON") {
				t.Errorf("%s: message %q, want it to say %q in the API's words", tc.fault, msg, tc.say)
			}
		}
	}
	ts.ClearFaults()
	request(t, "POST", ts.URL+"/__mock/faults", `{"status":500,"match":{"partnership_id":49}}`)
	if a := create(t, ts, `{"mode":1,"display_name":"x","partnership_id":"49"}`); a.status != 500 {
		t.Errorf("a match on partnership_id 49 (a number) against \"49\": %d, want the fault's 500", a.status)
	}
}

func TestGatewayFaults(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	for _, tc := range []struct {
		name       string
		fault      *mockserver.Fault
		prefer     string
		status     int
		retryAfter string
		outcome    string
	}{
		{"a fault's 503 with Retry-After", &mockserver.Fault{Status: 503, RetryAfter: 1500 * time.Millisecond}, "", 503, "2", mockserver.OutcomeServiceUnavailable},
		{"a fault's 502", &mockserver.Fault{Status: 502}, "", 502, "", mockserver.OutcomeBadGateway},
		{"Prefer's 504", nil, "code=504", 504, "", mockserver.OutcomeGatewayTimeout},
		{"a documented 429 with its Retry-After changed", &mockserver.Fault{Status: 429, RetryAfter: 7 * time.Second}, "", 429, "7", "rate_limited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.ResetRequests()
			if tc.fault != nil {
				if err := ts.QueueFault(*tc.fault); err != nil {
					t.Fatal(err)
				}
			}
			a := create(t, ts, seedConnect, "Prefer", tc.prefer)
			if a.status != tc.status || a.header.Get("Retry-After") != tc.retryAfter {
				t.Fatalf("%d Retry-After %q, want %d %q; body %s", a.status, a.header.Get("Retry-After"), tc.status, tc.retryAfter, a.body)
			}
			if gateway := tc.status >= 502; gateway != strings.HasPrefix(a.header.Get("Content-Type"), "text/html") ||
				gateway && !strings.Contains(string(a.body), fmt.Sprint(tc.status)) {
				t.Errorf("Content-Type %q body %q: a gateway's answer is an HTML page, the API's is JSON", a.header.Get("Content-Type"), a.body)
			}
			e := ts.Requests(mockserver.Filter{})
			if len(e) != 1 || e[0].Status != tc.status || e[0].Outcome != tc.outcome || e[0].Injected == "" {
				t.Errorf("journal %+v, want status %d outcome %s marked injected", e, tc.status, tc.outcome)
			}
		})
	}
}

// A reset fault sends the status and headers, half the body, then resets the
// connection: the client sees the answer begin and fail.
func TestResetFault(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	if err := ts.QueueFault(mockserver.Fault{Status: 500, Reset: true}); err != nil {
		t.Fatal(err)
	}
	req := apiRequest(ts.URL+createPath, strings.NewReader(seedConnect), "t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the status and headers should arrive: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || err == nil || len(body) == 0 || int64(len(body)) >= resp.ContentLength {
		t.Errorf("status %d, %d of %d bytes, read error %v: want a 500 cut short by an error", resp.StatusCode, len(body), resp.ContentLength, err)
	}
	loopback.WaitFor(t, "the journal entry", func() bool { return len(ts.Requests(mockserver.Filter{})) == 1 })
	if e := ts.Requests(mockserver.Filter{})[0]; e.Status != 500 || e.Outcome != mockserver.OutcomeReset {
		t.Errorf("journal %+v, want status 500 outcome reset", e)
	}
}

// Several Prefer headers are one list of preferences (RFC 7240): a code in
// the second counts.
func TestPreferHeadersAreOneList(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	req := apiRequest(ts.URL+createPath, strings.NewReader(seedConnect), partnerToken)
	req.Header["Prefer"] = []string{"respond-async", "code=429"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Errorf("status %d, want the 429 the second Prefer header asks for", resp.StatusCode)
	}
	if e := ts.Requests(mockserver.Filter{})[0]; e.Injected != "prefer respond-async, code=429" {
		t.Errorf("injected = %q", e.Injected)
	}
}
