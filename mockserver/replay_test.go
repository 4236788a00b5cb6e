package mockserver_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// replayed is what a client got from the mock.
type replayed struct {
	status int
	header http.Header
	body   string
}

// sendJSON posts body to the mock's API with the bearer token and, when
// given, a Prefer header.
func sendJSON(t *testing.T, url, body, prefer string) replayed {
	t.Helper()
	req := apiRequest(url+"/verify/token/create", strings.NewReader(body), "partner-secret-token")
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", clip(body), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return replayed{resp.StatusCode, resp.Header, string(b)}
}

// recordStaging records, through proxy mode, a fake upstream that departs
// from the contract: the first request for "Ana" gets a token that is not a
// UUID and the second a UUID; "Bo" gets an undocumented 422. It returns the
// record's file and what the callers got, in the order sent.
func recordStaging(t *testing.T) (string, []replayed) {
	t.Helper()
	var n atomic.Int32 // the requests come one at a time, in this order
	upstream := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "up-"+r.Header.Get("X-Request-Id"))
		switch n.Add(1) {
		case 1:
			io.WriteString(w, `{"code":"ok","data":{"token":"tok_not_a_uuid"}}`)
		case 2:
			io.WriteString(w, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`)
		default:
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, `{"code":"unprocessable","message":"Bo is not a member."}`)
		}
	})
	ts, _, record := startProxy(t, upstream.URL)
	var got []replayed
	for _, body := range []string{`{"mode":1,"display_name":"Ana"}`, `{"mode":1,"display_name":"Ana"}`, `{"mode":1,"display_name":"Bo"}`} {
		got = append(got, sendJSON(t, ts.URL, body, ""))
	}
	recorded(t, record, 3)
	ts.Close()
	upstream.Close() // gone: what follows is offline
	file := filepath.Join(t.TempDir(), "staging.jsonl")
	if err := os.WriteFile(file, []byte(record.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(record.String(), "partner-secret-token") {
		t.Fatalf("the record holds the bearer token: %s", clip(record.String()))
	}
	return file, got
}

// startReplay starts a mock that replays files, its log captured.
func startReplay(t *testing.T, files ...string) (*mockserver.TestServer, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	return mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.Replay = files
		o.Logger = slog.New(slog.NewTextHandler(log, nil))
	}), log
}

// A record made through proxy mode is served again with the upstream gone:
// the same statuses and bodies, identical requests in recorded order (the
// last again once they run out), key order and whitespace aside; a request
// the record does not hold gets a fresh token; the departures are in the
// drift report, the journal and the page.
func TestReplayServesARecordOffline(t *testing.T) {
	file, staging := recordStaging(t)
	ts, _ := startReplay(t, file)

	ana := `{ "display_name": "Ana",  "mode": 1 }` // the recorded body, keys reordered, spaced out
	for i, want := range []replayed{staging[0], staging[1], staging[1]} {
		got := sendJSON(t, ts.URL, ana, "")
		if got.status != want.status || got.body != want.body {
			t.Errorf("Ana #%d: got %d %s, want the recorded %d %s", i+1, got.status, clip(got.body), want.status, clip(want.body))
		}
	}
	if got := sendJSON(t, ts.URL, `{"mode":1,"display_name":"Bo"}`, ""); got.status != 422 || got.body != staging[2].body {
		t.Errorf("Bo: got %d %s, want the recorded 422 %s", got.status, clip(got.body), clip(staging[2].body))
	} else if got.header.Get("Content-Type") != "application/json" || strings.HasPrefix(got.header.Get("X-Request-Id"), "up-") {
		t.Errorf("Bo: headers %v, want the recorded Content-Type and the mock's own X-Request-Id", got.header)
	}
	fresh := sendJSON(t, ts.URL, `{"mode":1,"display_name":"Cy"}`, "")
	var created struct{ Data struct{ Token string } }
	if json.Unmarshal([]byte(fresh.body), &created); fresh.status != 200 || uuid.Validate(created.Data.Token) != nil || strings.Contains(fresh.body, upstreamToken) {
		t.Errorf("a request the record does not hold: got %d %s, want the mock's own fresh token", fresh.status, clip(fresh.body))
	}
	// Matching is on the value: another display name is another request.
	if got := sendJSON(t, ts.URL, `{"mode":1,"display_name":"Ana "}`, ""); strings.Contains(got.body, upstreamToken) || strings.Contains(got.body, "tok_not_a_uuid") {
		t.Errorf("\"Ana \" got a recorded answer %s; only the same body may", clip(got.body))
	}

	entries := ts.Requests(mockserver.Filter{Outcome: mockserver.OutcomeReplayed})
	if len(entries) != 4 {
		t.Fatalf("%d entries replayed, want 4", len(entries))
	}
	for _, e := range entries {
		if e.Upstream == nil || !e.Upstream.Replayed || !strings.HasPrefix(e.Upstream.Recorded, file+":") {
			t.Errorf("entry %d: Upstream %+v, want it marked replayed, with where it was recorded", e.Seq, e.Upstream)
		}
	}
	oldest := entries[len(entries)-1] // the first Ana: a token that is not a UUID
	if d := strings.Join(departures(oldest.Upstream.Drift), "; "); !strings.Contains(d, "/data/token") {
		t.Errorf("the first Ana's entry lists departures %q, want the token's", d)
	}
	if oldest.Upstream.RequestID != staging[0].header.Get("X-Request-Id") {
		t.Errorf("the entry keeps the upstream's request id %q, want the recorded %q", oldest.Upstream.RequestID, staging[0].header.Get("X-Request-Id"))
	}

	report := ts.Drift()
	var places []string
	for _, d := range report.Drift {
		places = append(places, d.Place())
	}
	if report.Answers != 4 || report.Departed != 2 || !slices.Equal(report.Replay, []string{file}) ||
		!slices.ContainsFunc(places, func(p string) bool { return strings.Contains(p, "/data/token") }) ||
		!slices.ContainsFunc(report.Drift, func(d mockserver.Drift) bool { return d.Status == 422 }) {
		t.Errorf("drift report: %d answers, %d departed, replay %q, places %q; want 4 answers, 2 departing (the first Ana's token, the 422), the record named",
			report.Answers, report.Departed, report.Replay, places)
	}

	page := adminGet(t, ts.URL+"/__mock/")
	if !strings.Contains(page, "Replayed answer") || !strings.Contains(page, "tok_not_a_uuid") {
		t.Errorf("the inspector does not show the replayed answer: %s", clip(page))
	}
}

// adminGet GETs an admin URL of an open mock and returns its body.
func adminGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// The replay's state says how many answers are left per request, in Go and
// on the admin API; rewinding starts every request over.
func TestReplayStateAndRewind(t *testing.T) {
	file, staging := recordStaging(t)
	ts, _ := startReplay(t, file)
	ana := `{"mode":1,"display_name":"Ana"}`
	sendJSON(t, ts.URL, ana, "")
	sendJSON(t, ts.URL, ana, "")

	left := func(st mockserver.ReplayState) map[string][2]int {
		out := map[string][2]int{}
		for _, r := range st.Requests {
			out[r.Recorded[strings.LastIndex(r.Recorded, ":")+1:]] = [2]int{r.Answers, r.Left}
		}
		return out
	}
	want := map[string][2]int{"1": {2, 0}, "3": {1, 1}} // Ana recorded on lines 1 and 2, Bo on line 3
	if got := left(ts.Replay()); !maps.Equal(got, want) {
		t.Errorf("Replay() answers/left by first line = %v, want %v", got, want)
	}
	var fromAPI mockserver.ReplayState
	if err := json.Unmarshal([]byte(adminGet(t, ts.URL+"/__mock/replay")), &fromAPI); err != nil || !maps.Equal(left(fromAPI), want) {
		t.Errorf("GET /__mock/replay = %v (%v), want %v", left(fromAPI), err, want)
	}

	resp, err := http.Post(ts.URL+"/__mock/replay/rewind", "", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /__mock/replay/rewind: %v %v, want 204", resp, err)
	}
	resp.Body.Close()
	if got := left(ts.Replay()); got["1"] != [2]int{2, 2} {
		t.Errorf("after the rewind Ana has %v answers/left, want [2 2]", got["1"])
	}
	if got := sendJSON(t, ts.URL, ana, ""); got.body != staging[0].body {
		t.Errorf("after the rewind Ana got %s, want the first recorded answer %s", clip(got.body), clip(staging[0].body))
	}
	ts.RewindReplay()
	if got := sendJSON(t, ts.URL, ana, ""); got.body != staging[0].body {
		t.Errorf("after RewindReplay Ana got %s, want the first recorded answer", clip(got.body))
	}
}

// Faults and Prefer come before the record, as before the upstream, and
// use up none of its answers; a request the contract refuses is answered
// from the record when it holds it (the real API's answer to it), else
// refused as the mock would.
func TestReplayFaultsPreferAndInvalidRequests(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hand.jsonl")
	lines := `{"request":{"body":{"mode":1,"display_name":"Ana"}},"response":{"status":200,"body":{"code":"ok","data":{"token":"` + upstreamToken + `"}}}}
{"request":{"body":{"mode":9,"display_name":"Ana"}},"response":{"status":422,"body":{"code":"bad_mode","message":"no mode 9"}}}
`
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	ts, _ := startReplay(t, file)
	ana := `{"mode":1,"display_name":"Ana"}`

	if got := sendJSON(t, ts.URL, ana, "code=429"); got.status != 429 {
		t.Errorf("Prefer code=429: got %d, want the mock's 429 before the record", got.status)
	}
	if err := ts.QueueFault(mockserver.Fault{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if got := sendJSON(t, ts.URL, ana, ""); got.status != 503 {
		t.Errorf("a queued 503: got %d, want it before the record", got.status)
	}
	if got := sendJSON(t, ts.URL, ana, ""); got.status != 200 || !strings.Contains(got.body, upstreamToken) {
		t.Errorf("then: got %d %s, want the recorded answer, not used up by the fault or Prefer", got.status, clip(got.body))
	}
	if st := ts.Replay(); len(st.Requests) != 2 || st.Requests[0].Left != 0 {
		t.Errorf("replay state %+v: the fault and Prefer must use up no answer, the third request one", st)
	}
	if got := sendJSON(t, ts.URL, `{"mode":9,"display_name":"Ana"}`, ""); got.status != 422 || !strings.Contains(got.body, "bad_mode") {
		t.Errorf("a recorded request the contract refuses: got %d %s, want the recorded 422", got.status, clip(got.body))
	}
	if got := sendJSON(t, ts.URL, `{"mode":8,"display_name":"Ana"}`, ""); got.status != 400 || !strings.Contains(got.body, "/mode") {
		t.Errorf("an unrecorded request the contract refuses: got %d %s, want the mock's 400 naming /mode", got.status, clip(got.body))
	}
	if e := ts.Requests(mockserver.Filter{Status: 400}); len(e) != 1 || e[0].WouldRefuse != "" {
		t.Errorf("the refused request's entry: %+v, want the refusal itself, no would_refuse", e)
	}
	e := ts.Requests(mockserver.Filter{Status: 422})
	if len(e) != 1 || e[0].WouldRefuse != mockserver.OutcomeInvalidRequest || e[0].Outcome != mockserver.OutcomeReplayed {
		t.Errorf("the replayed 422's entry: %+v, want outcome replayed and would_refuse invalid_request", e)
	}
}

// A hand-written line needs only a request body, a status and an answer
// body; it is the one way to send an answer the contract does not allow,
// and it is always flagged. Credentials left in a record are dropped,
// never served back.
func TestReplayHandWrittenLines(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hand.jsonl")
	line := `{"request":{"header":{"Authorization":["Bearer leaked-by-hand"]},"body":{"mode":1,"display_name":"Ana"}},` +
		`"response":{"status":200,"header":{"Set-Cookie":["session=leaked"],"X-Api-Key":["k-leaked"],"Content-Type":["application/json"]},"body":{"code":"ok","data":{"token":42}}}}` + "\n"
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	ts, log := startReplay(t, file)
	got := sendJSON(t, ts.URL, `{"mode":1,"display_name":"Ana"}`, "")
	if got.status != 200 || got.body != `{"code":"ok","data":{"token":42}}` {
		t.Errorf("got %d %s, want the hand-written answer as written", got.status, clip(got.body))
	}
	for _, name := range []string{"Set-Cookie", "X-Api-Key", "Authorization"} {
		if v := got.header.Get(name); v != "" {
			t.Errorf("the replayed answer carries %s: %q; credentials in a record are dropped", name, v)
		}
	}
	if !strings.Contains(log.String(), `msg="the replayed answer departs from the contract"`) || !strings.Contains(log.String(), "recorded="+file+":1") {
		t.Errorf("no warning names the replayed answer's departure and where it was recorded: %s", clip(log.String()))
	}
	if !strings.Contains(log.String(), "dropped") {
		t.Errorf("no warning says credentials were dropped: %s", clip(log.String()))
	}
	if r := ts.Drift(); r.Departed != 1 {
		t.Errorf("drift report: %d departed, want the hand-written answer flagged", r.Departed)
	}
	for _, leaked := range []string{"leaked-by-hand", "k-leaked", "session=leaked"} {
		if j, _ := json.Marshal(ts.Requests(mockserver.Filter{})); strings.Contains(string(j), leaked) {
			t.Errorf("the journal holds %q", leaked)
		}
	}
}

// A record that cannot be read stops New with an error naming the file and
// the line; nothing is served.
func TestReplayRefusesBadRecords(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"request":{"body":{"mode":1,"display_name":"Ana"}},"response":{"status":200,"body":{"code":"ok"}}}` + "\n"
	tests := []struct {
		name, file, want string
		line             int
	}{
		{"malformed JSON", write("malformed.jsonl", good+`{"request":`+"\n"), "malformed.jsonl:2", 2},
		{"a line with no request", write("norequest.jsonl", `{"response":{"status":200}}`+"\n"), "norequest.jsonl:1", 1},
		{"a missing file", filepath.Join(dir, "missing.jsonl"), "missing.jsonl", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mockserver.New(mockserver.Options{Replay: []string{tc.file}})
			var re *mockserver.RecordError
			if err == nil || !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) || re.Line != tc.line {
				t.Errorf("New: %v, want a *RecordError naming %s (line %d)", err, tc.want, tc.line)
			}
		})
	}
}

// With an upstream too, the record answers what it holds and the upstream
// the rest; only the upstream's answers are recorded again.
func TestReplayBeforeTheUpstream(t *testing.T) {
	file, _ := recordStaging(t)
	upstream := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
	ts, _, record := startProxy(t, upstream.URL, func(o *mockserver.Options) { o.Replay = []string{file} })
	if got := sendJSON(t, ts.URL, `{"mode":1,"display_name":"Ana"}`, ""); !strings.Contains(got.body, "tok_not_a_uuid") {
		t.Errorf("a recorded request: got %s, want the record's first answer", clip(got.body))
	}
	if got := sendJSON(t, ts.URL, `{"mode":1,"display_name":"Cy"}`, ""); got.status != 200 || !strings.Contains(got.body, upstreamToken) {
		t.Errorf("an unrecorded request: got %d %s, want the upstream's", got.status, clip(got.body))
	}
	if received, _ := upstream.seen(); len(received) != 1 {
		t.Errorf("the upstream got %d requests, want only the unrecorded one", len(received))
	}
	lines := recorded(t, record, 1)
	if len(lines) != 1 || !strings.Contains(string(lines[0].Request.Body), "Cy") {
		t.Errorf("the record has %d lines, want only the forwarded exchange", len(lines))
	}
}

// The record answers only a caller the mock lets in: it holds no
// credentials to decide by. Options.RefuseInvalid, with a record alone,
// has the mock refuse what breaks the contract rather than replay it.
func TestReplayAnswersOnlyCallersTheMockLetsIn(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hand.jsonl")
	lines := `{"request":{"body":{"mode":1,"display_name":"Ana"}},"response":{"status":200,"body":{"code":"ok","data":{"token":"` + upstreamToken + `"}}}}
{"request":{"body":{"mode":9,"display_name":"Ana"}},"response":{"status":422,"body":{"code":"bad_mode","message":"no mode 9"}}}
`
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.Replay = []string{file}
		o.Tokens = []string{"the-right-token"}
	})
	for _, auth := range []string{"", "Bearer wrong-token", "Basic YTpi"} {
		req := apiRequest(ts.URL+"/verify/token/create", strings.NewReader(`{"mode":1,"display_name":"Ana"}`), "")
		req.Header.Set("Authorization", auth)
		if auth == "" {
			req.Header.Del("Authorization")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(body), upstreamToken) {
			t.Errorf("Authorization %q: got %d %s, want the mock's 401, not the record's answer", auth, resp.StatusCode, clip(string(body)))
		}
	}
	if st := ts.Replay(); st.Requests[0].Left != 1 {
		t.Errorf("the refused callers used up %d answers, want none", 1-st.Requests[0].Left)
	}
	req := apiRequest(ts.URL+"/verify/token/create", strings.NewReader(`{"mode":1,"display_name":"Ana"}`), "the-right-token")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("the right token: %v %v, want the record's 200", resp, err)
	} else {
		resp.Body.Close()
	}

	strict := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.Replay = []string{file}
		o.RefuseInvalid = true
	})
	if got := sendJSON(t, strict.URL, `{"mode":9,"display_name":"Ana"}`, ""); got.status != 400 {
		t.Errorf("RefuseInvalid with a record: a recorded request the contract refuses got %d %s, want the mock's 400", got.status, clip(got.body))
	}
}

// LogWriter works with a record alone (no upstream whose credentials it
// would redact).
func TestReplayLogWriter(t *testing.T) {
	ts, log := startReplay(t, writeRecord(t, "record.jsonl", `{"request":{"body":{}},"response":{"status":200,"body":{}}}`))
	if _, err := io.WriteString(ts.LogWriter(), "http: Accept error: too many open files; Authorization: Bearer sk_live_x\n"); err != nil {
		t.Fatal(err)
	}
	if got := log.String(); !strings.Contains(got, "too many open files") || strings.Contains(got, "sk_live_x") {
		t.Errorf("log: %s, want the line, its credential redacted", clip(got))
	}
}

// What a record holds that no request can get is said at start-up.
func TestReplayWarnsOfWhatNoRequestGets(t *testing.T) {
	_, log := startReplay(t, writeRecord(t, "other.jsonl",
		`{"request":{"method":"GET","path":"/verify/token/create","body":{}},"response":{"status":200,"body":{}}}`,
		`{"request":{"path":"/v2/token","body":{}},"response":{"status":200,"body":{}}}`,
		`{"request":{"path":"/verify/token/create?x=1","body":{}},"response":{"status":200,"body":{}}}`))
	if n := strings.Count(log.String(), "is never replayed"); n != 2 {
		t.Errorf("%d warnings of requests never replayed, want 2 (the GET and /v2/token): %s", n, clip(log.String()))
	}
	var many []string
	for i := range 25 {
		many = append(many, fmt.Sprintf(`{"request":{"path":"/other/%d","body":{}},"response":{"status":200,"body":{}}}`, i))
	}
	_, log = startReplay(t, writeRecord(t, "many.jsonl", many...))
	if n := strings.Count(log.String(), "is never replayed"); n != 10 || !strings.Contains(log.String(), "count=15") {
		t.Errorf("25 requests never replayed: %d warnings, want the first 10 and a count of the other 15: %s", n, clip(log.String()))
	}
	_, log = startReplay(t, writeRecord(t, "failed.jsonl", `{"request":{"body":{}},"error":"connection refused"}`))
	if !strings.Contains(log.String(), "holds no answer") {
		t.Errorf("a record of failed exchanges only: no warning: %s", clip(log.String()))
	}
}

// An answer recorded for a request whose headers the mock would refuse (no
// token, another media type) goes only to requests that earn the same
// refusal: never to the callers with a token that sent the same body.
func TestReplayKeepsRefusalsApart(t *testing.T) {
	upstream := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("Authorization") == "":
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code":"unauthorized","message":"no token"}`)
		case r.Header.Get("Content-Type") != "application/json":
			w.WriteHeader(http.StatusUnsupportedMediaType)
			io.WriteString(w, `{"code":"unsupported_media_type","message":"json only"}`)
		default:
			io.WriteString(w, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`)
		}
	})
	ts, _, record := startProxy(t, upstream.URL)
	body := `{"mode":1,"display_name":"x"}`
	send := func(url, auth, ct string) replayed {
		req, _ := http.NewRequest(http.MethodPost, url+"/verify/token/create", strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return replayed{resp.StatusCode, resp.Header, string(b)}
	}
	send(ts.URL, "Bearer tok", "application/json")
	send(ts.URL, "", "application/json")
	send(ts.URL, "Bearer tok", "text/plain")
	recorded(t, record, 3)
	file := writeRecord(t, "staging.jsonl", strings.TrimSpace(record.String()))

	replay, _ := startReplay(t, file)
	for i := range 3 {
		if got := send(replay.URL, "Bearer tok", "application/json"); got.status != 200 {
			t.Errorf("an authorised JSON request #%d: got %d %s, want the 200 recorded for such requests", i+1, got.status, clip(got.body))
		}
	}
	if got := send(replay.URL, "Bearer tok", "text/plain"); got.status != 415 || !strings.Contains(got.body, "json only") {
		t.Errorf("a text/plain request: got %d %s, want the 415 recorded for such requests", got.status, clip(got.body))
	}
}

// A recorded header value the caller's HTTP parser would choke on is
// refused when the record is read, naming the line.
func TestReplayRefusesUnsendableHeaders(t *testing.T) {
	for _, h := range []string{`"X-Esc":["\u001b[31mred"]`, `"X-Nul":["a\u0000b"]`, `"X-Bad Name":["1"]`, `"X-Crlf":["a\r\nX-Evil: 1"]`} {
		file := writeRecord(t, "bad.jsonl", `{"request":{"body":{}},"response":{"status":200,"header":{`+h+`},"body":{}}}`)
		if _, err := mockserver.New(mockserver.Options{Replay: []string{file}}); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
			t.Errorf("header %s: New = %v, want a refusal naming bad.jsonl:1", h, err)
		}
	}
}

// A recorded 204 reaches the caller without a body, and is journaled as
// delivered.
func TestReplayNoContentIsDelivered(t *testing.T) {
	ts, _ := startReplay(t, writeRecord(t, "r.jsonl", `{"request":{"body":{"mode":1,"display_name":"Ana"}},"response":{"status":204,"body_text":"stray"}}`))
	if got := sendJSON(t, ts.URL, `{"mode":1,"display_name":"Ana"}`, ""); got.status != 204 || got.body != "" {
		t.Errorf("got %d %q, want 204 without a body", got.status, got.body)
	}
	if e := ts.Requests(mockserver.Filter{}); len(e) != 1 || e[0].Status != 204 || e[0].Outcome != mockserver.OutcomeReplayed {
		t.Errorf("journal %+v, want the 204 as replayed", e)
	}
}

// A caller that sends its token as its request id finds it in no drift
// report, no page and no log line.
func TestReplayDriftKeepsNoTokenSentAsRequestID(t *testing.T) {
	ts, log := startReplay(t, writeRecord(t, "r.jsonl", `{"request":{"body":{"mode":1,"display_name":"Ana"}},"response":{"status":200,"body":{"code":"ok","data":{"token":"not-a-uuid"}}}}`))
	const secret = "sk_live_callerSECRET9876543210"
	req := apiRequest(ts.URL+"/verify/token/create", strings.NewReader(`{"mode":1,"display_name":"Ana"}`), secret)
	req.Header.Set("X-Request-Id", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	drift, _ := json.Marshal(ts.Drift())
	page := adminGet(t, ts.URL+"/__mock/")
	loopback.WaitFor(t, "the request's log line", func() bool { return strings.Contains(log.String(), "msg=request") })
	for where, text := range map[string]string{"drift report": string(drift), "page": page, "log": log.String()} {
		if strings.Contains(text, "callerSECRET") {
			t.Errorf("the %s holds the caller's token: %s", where, clip(text))
		}
	}
}
