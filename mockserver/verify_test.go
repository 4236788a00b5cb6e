package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// driftRows renders a report's drift as "in status where: rule, got x
// @lines id" rows, for comparing with a want list.
func driftRows(r mockserver.VerifyReport) []string {
	var rows []string
	for _, d := range r.Drift {
		rows = append(rows, fmt.Sprintf("%d× %s %d %s @%s %s", d.Count, d.In, d.Status, d, strings.Join(d.Lines, ","), d.RequestID))
	}
	return rows
}

// writeRecord writes lines to a file in a temporary directory and returns
// its name.
func writeRecord(t *testing.T, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A record is checked against the contract both ways: answers as proxy
// mode checks them, requests as the mock does, a request departing only
// when the API did not refuse it too.
func TestVerifyRecord(t *testing.T) {
	const conformingRecord = "testdata/record/conforming.jsonl"
	const departingRecord = "testdata/record/departing.jsonl"
	tests := []struct {
		name      string
		files     []string
		exchanges int
		departing int
		want      []string
	}{
		{"a conforming record", []string{conformingRecord}, 2, 0, nil},
		{"a record that departs", []string{departingRecord}, 4, 4, []string{
			`2× answer 200 /data/token: must be a uuid, got "tok_live_42" @` + departingRecord + ":1," + departingRecord + ":3 up-7f3a",
			`1× answer 422 status: must be a status the contract documents (200, 400, 401, 413, 415, 429, 500), got 422 @` + departingRecord + ":2 up-7f3b",
			`1× request 200 /mode: must be 1 (Connect), 3 (Transfer) or 4 (Redeem), got 2 @` + departingRecord + ":4 up-7f3d",
		}},
		{"both, in one report", []string{conformingRecord, departingRecord}, 6, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, err := mockserver.VerifyRecord(context.Background(), tt.files...)
			if err != nil {
				t.Fatal(err)
			}
			if report.Conforms() != (tt.departing == 0) || report.Exchanges != tt.exchanges || report.Answers != tt.exchanges ||
				report.Departing != tt.departing || !slices.Equal(report.Files, tt.files) || report.Contract == "" {
				t.Errorf("report: conforms %v, %d exchanges, %d answers, %d departing, files %q; want %d exchanges, %d departing",
					report.Conforms(), report.Exchanges, report.Answers, report.Departing, report.Files, tt.exchanges, tt.departing)
			}
			if tt.want != nil && !slices.Equal(driftRows(report), tt.want) {
				t.Errorf("drift:\n%s\nwant:\n%s", strings.Join(driftRows(report), "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// What the request side of verify reports, line by line.
func TestVerifyRecordRequests(t *testing.T) {
	const ok = `"response":{"status":200,"body":{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}}`
	tests := []struct {
		name string
		line string
		want []string // rows without the line and id
	}{
		{"a valid request", `{"request":{"body":{"mode":1,"display_name":"x"}},` + ok + `}`, nil},
		{"a body the API accepted and the contract refuses", `{"request":{"body":{"mode":1}},` + ok + `}`,
			[]string{"request 200 /display_name: is required"}},
		{"both the request and its answer depart", `{"request":{"body":{"mode":1}},"response":{"status":200,"body":{"code":"ok","data":{"token":"t-1"}}}}`,
			[]string{"request 200 /display_name: is required", `answer 200 /data/token: must be a uuid, got "t-1"`}},
		{"the API refused it too", `{"request":{"body":{"mode":1}},"response":{"status":400,"body":{"code":"invalid_request","message":"no"}}}`, nil},
		{"a body that is not JSON", `{"request":{"body_text":"mode=1"},` + ok + `}`,
			[]string{"request 200 body: must be JSON, got invalid character 'm' looking for beginning of value (at byte 1)"}},
		{"another method: the answer is not checked", `{"request":{"method":"GET"},"response":{"status":200,"body_text":"<html>"}}`,
			[]string{"request 200 method: must be POST on /verify/token/create, got GET"}},
		{"another path", `{"request":{"path":"/v2/token?x=1","body":{"mode":1,"display_name":"x"}},` + ok + `}`,
			[]string{`request 200 path: must be /verify/token/create, got "/v2/token"`}},
		{"a query on the contract's path", `{"request":{"path":"/verify/token/create?x=1","body":{"mode":1,"display_name":"x"}},` + ok + `}`, nil},
		{"the request's headers recorded, without a Content-Type", `{"request":{"header":{"User-Agent":["x"]},"body":{"mode":1,"display_name":"x"}},` + ok + `}`,
			[]string{"request 200 header Content-Type: must be application/json, got none"}},
		{"a request the exchange failed for", `{"request":{"body":{"mode":7,"display_name":"x"}},"error":"connection refused"}`,
			[]string{"request 0 /mode: must be 1 (Connect), 3 (Transfer) or 4 (Redeem), got 7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, err := mockserver.VerifyRecord(context.Background(), writeRecord(t, "r.jsonl", tt.line))
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, d := range report.Drift {
				rows = append(rows, fmt.Sprintf("%s %d %s", d.In, d.Status, d))
			}
			if !slices.Equal(rows, tt.want) {
				t.Errorf("drift %q, want %q", rows, tt.want)
			}
		})
	}
}

// A record that cannot be read is an error naming the file and line, and
// no report.
func TestVerifyRecordUnreadable(t *testing.T) {
	good := `{"request":{},"response":{"status":200,"body":{}}}`
	malformed := writeRecord(t, "record.jsonl", good, good, `{"request":{"body":{"mode":1}},"response":{"status":200,"body":`)
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	for _, tt := range []struct {
		files []string
		want  string
	}{
		{[]string{malformed}, malformed + ":3: malformed JSON"},
		{[]string{"testdata/record/conforming.jsonl", missing}, missing + ": cannot open: no such file or directory"},
		{[]string{writeRecord(t, "empty.jsonl")}, "holds no exchange"},
	} {
		report, err := mockserver.VerifyRecord(context.Background(), tt.files...)
		var re *mockserver.RecordError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) || report.Exchanges != 0 {
			t.Errorf("VerifyRecord(%q) = %d exchanges, %v; want a *RecordError containing %q", tt.files, report.Exchanges, err, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mockserver.VerifyRecord(ctx, "testdata/record/conforming.jsonl"); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled verify returned %v, want context.Canceled", err)
	}
}

// The distinct departures listed are bounded (MaxDriftEntries); the others
// are counted, and the record still departs.
func TestVerifyRecordBoundsTheDrift(t *testing.T) {
	var lines []string
	for status := 200; status <= 599; status++ {
		lines = append(lines,
			fmt.Sprintf(`{"request":{"body":{"mode":1,"display_name":"x"}},"response":{"status":%d,"body":{}}}`, status),
			fmt.Sprintf(`{"request":{"path":"/x"},"response":{"status":%d,"body":{}}}`, status))
	}
	report, err := mockserver.VerifyRecord(context.Background(), writeRecord(t, "r.jsonl", lines...))
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Drift) != mockserver.MaxDriftEntries || report.Omitted == 0 || report.Conforms() {
		t.Errorf("%d listed, %d omitted, conforms %v; want %d listed, the rest counted", len(report.Drift), report.Omitted, report.Conforms(), mockserver.MaxDriftEntries)
	}
	for _, d := range report.Drift {
		if len(d.Lines) > 5 {
			t.Fatalf("%s names %d lines, want at most 5", d.Departure, len(d.Lines))
		}
	}
}

// The text report says the totals and gives one row a departure, in
// columns; --json gives the same as JSON.
func TestVerifyReportText(t *testing.T) {
	report, err := mockserver.VerifyRecord(context.Background(), "testdata/record/credential.jsonl", "testdata/record/departing.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := report.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	want := `contract  ` + report.Contract + `
record    testdata/record/credential.jsonl, testdata/record/departing.jsonl: 5 lines, 5 exchanges, 5 answers
warning   testdata/record/credential.jsonl:1: dropped the request's Authorization header: a credential is never kept or replayed
result    departs: 5 of 5 exchanges depart from the contract, in 3 ways

COUNT  IN       STATUS  WHERE        THE CONTRACT WANTS                                                           GOT (FIRST)  LINES                                                                                                   REQUEST ID
3      answer   200     /data/token  must be a uuid                                                               "nope"       testdata/record/credential.jsonl:1,testdata/record/departing.jsonl:1,testdata/record/departing.jsonl:3  -
1      answer   422     status       must be a status the contract documents (200, 400, 401, 413, 415, 429, 500)  422          testdata/record/departing.jsonl:2                                                                       up-7f3b
1      request  200     /mode        must be 1 (Connect), 3 (Transfer) or 4 (Redeem)                              2            testdata/record/departing.jsonl:4                                                                       up-7f3d
`
	if out.String() != want {
		t.Errorf("text report:\n%s\nwant:\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), "live-secret-1") {
		t.Error("the text report holds the credential")
	}

	encoded, _ := json.Marshal(report)
	var fields map[string]any
	json.Unmarshal(encoded, &fields)
	for _, name := range []string{"contract", "files", "lines", "exchanges", "answers", "departing", "drift", "dropped_credentials", "dropped_total"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("the JSON report has no %q: %s", name, encoded)
		}
	}
	first := fields["drift"].([]any)[0].(map[string]any)
	for _, name := range []string{"kind", "where", "rule", "got", "in", "status", "count", "lines"} {
		if _, ok := first[name]; !ok {
			t.Errorf("a JSON drift row has no %q: %v", name, first)
		}
	}

	out.Reset()
	conforming, _ := mockserver.VerifyRecord(context.Background(), "testdata/record/conforming.jsonl")
	conforming.WriteText(&out)
	if !strings.HasSuffix(out.String(), "result    conforms: no departure from the contract in 2 exchanges\n") || strings.Contains(out.String(), "COUNT") {
		t.Errorf("text report of a conforming record:\n%s", out.String())
	}
}

// A record made by proxy mode in front of an API that departs is read back
// by verify: the writer and the reader agree, and the departures are the
// ones the proxy saw.
func TestVerifyARecordMadeByTheProxy(t *testing.T) {
	var n atomic.Int32
	up := startUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", fmt.Sprintf("up-%d", n.Add(1))) // the requests below go one at a time
		switch {
		case strings.Contains(r.Header.Get("User-Agent"), "422"):
			answers(422, `{"error":{"type":"validation","fields":["mode"]}}`)(w, r)
		case strings.Contains(r.Header.Get("User-Agent"), "bad-token"):
			answers(200, `{"code":"ok","data":{"token":"tok_live_42"}}`)(w, r)
		default:
			answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`)(w, r)
		}
	})
	ts, _, record := startProxy(t, up.URL)
	for _, agent := range []string{"fine", "bad-token", "422", "bad-token", "fine"} {
		create(t, ts, seedTransfer, "User-Agent", agent, "Cookie", "session=secret-cookie")
	}
	file := filepath.Join(t.TempDir(), "staging.jsonl")
	lines := recorded(t, record, 5)
	if len(lines) != 5 {
		t.Fatalf("the record has %d lines, want 5", len(lines))
	}
	if err := os.WriteFile(file, []byte(record.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	report, err := mockserver.VerifyRecord(context.Background(), file)
	if err != nil {
		t.Fatalf("verify the proxy's record: %v", err)
	}
	want := []string{
		`2× answer 200 /data/token: must be a uuid, got "tok_live_42" @` + file + ":2," + file + ":4 up-2",
		"1× answer 422 status: must be a status the contract documents (200, 400, 401, 413, 415, 429, 500), got 422 @" + file + ":3 up-3",
	}
	if !slices.Equal(driftRows(report), want) || report.Exchanges != 5 || report.Departing != 3 || report.DroppedTotal != 0 {
		t.Errorf("report: %d exchanges, %d departing, %d credentials dropped, drift:\n%s\nwant:\n%s",
			report.Exchanges, report.Departing, report.DroppedTotal, strings.Join(driftRows(report), "\n"), strings.Join(want, "\n"))
	}
	// What the proxy reported live is what verify finds in its record.
	live := ts.Drift()
	if len(live.Drift) != len(report.Drift) || live.Departed != report.Departing {
		t.Errorf("the proxy's drift report (%d departures, %d departed) and verify's (%d, %d) disagree", len(live.Drift), live.Departed, len(report.Drift), report.Departing)
	}
}

// The text report goes to a terminal: a record's control characters are
// shown escaped, never sent as they are.
func TestVerifyTextEscapesControlCharacters(t *testing.T) {
	// A file name is the one text of the report the record's author picks
	// that is printed outside quotes (header values with control
	// characters are refused when the record is read).
	file := writeRecord(t, "esc\x1b[2J\x1b]8;;http:\x07.jsonl", `{"request":{"body":{"mode":1,"display_name":"x"}},"response":{"status":200,`+
		`"header":{"Content-Type":["application/json"]},"body":{"code":"ok","data":{"token":"x"}}}}`)
	report, err := mockserver.VerifyRecord(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := report.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07") || !strings.Contains(out.String(), `\x1b`) {
		t.Errorf("the report sends control characters as they are: %q", clip(out.String()))
	}
}
