package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// minimalLine is the smallest record line: a request body, a status and an
// answer body.
const minimalLine = `{"request":{"body":{"mode":1,"display_name":"Reward Cookies"}},"response":{"status":200,"body":{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}}}`

// A line written by hand gets the defaults; one --record wrote is read as
// written.
func TestParseRecordLineDefaults(t *testing.T) {
	tests := []struct {
		name       string
		line       string
		method     string
		path       string
		respHeader http.Header
	}{
		{"minimal: POST to the contract's path, a JSON answer", minimalLine, "POST", "/verify/token/create",
			http.Header{"Content-Type": {"application/json"}}},
		{"a text answer without a header", `{"request":{},"response":{"status":502,"body_text":"<h1>bad gateway</h1>"}}`, "POST", "/verify/token/create",
			http.Header{"Content-Type": {"text/plain; charset=utf-8"}}},
		{"as --record writes it: the header as written, none added", `{"time":"2026-12-02T10:00:00Z","request_id":"r1","request":{"method":"PUT","path":"/v2?x=1","header":{"content-type":["application/json"]}},"response":{"status":200,"header":{},"body":{}},"duration_ns":12}`,
			"PUT", "/v2?x=1", http.Header{}},
		{"an answer without a body", `{"request":{},"response":{"status":204}}`, "POST", "/verify/token/create", http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, dropped, err := parseRecordLine([]byte(tt.line))
			if err != nil || len(dropped) > 0 {
				t.Fatalf("parse: %v, dropped %q", err, dropped)
			}
			if x.Request.Method != tt.method || x.Request.Path != tt.path {
				t.Errorf("request %s %s, want %s %s", x.Request.Method, x.Request.Path, tt.method, tt.path)
			}
			if x.Response == nil {
				t.Fatal("no answer read")
			}
			if !headersEqual(x.Response.Header, tt.respHeader) {
				t.Errorf("answer header %v, want %v", x.Response.Header, tt.respHeader)
			}
		})
	}
	x, _, _ := parseRecordLine([]byte(`{"request":{"header":{"content-type":["application/json"]}}}`))
	if x.Request.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request header %v: names are not made canonical", x.Request.Header)
	}
}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// What is not a record line is refused with what is wrong, in words a
// person writing one by hand can act on.
func TestParseRecordLineRefuses(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"not JSON", `{"request":`, "malformed JSON: the line ends before its value does"},
		{"a syntax error", `{"request":{}x}`, "malformed JSON at byte 14: invalid character 'x' after object key:value pair"},
		{"no request", `{"response":{"status":200,"body":{}}}`, "the line has no request"},
		{"a null line", `null`, "the line has no request"},
		{"a request that is not an object", `{"request":[]}`, "request must be an object, got array"},
		{"a status that is text", `{"request":{},"response":{"status":"200"}}`, "response.status must be a whole number, got string"},
		{"a misspelt field", `{"request":{},"reponse":{"status":200}}`, `unknown field "reponse"`},
		{"two values", `{"request":{}} {"request":{}}`, "more than one JSON value on the line, the second at byte 16"},
		{"an array", `[]`, "the line must be an object, got array"},
		{"a status out of range", `{"request":{},"response":{"status":101}}`, "response.status must be from 200 to 599, got 101"},
		{"no status", `{"request":{},"response":{"body":{}}}`, "response.status must be from 200 to 599, got 0"},
		{"both bodies", `{"request":{"body":{},"body_text":"x"}}`, "request has both body and body_text"},
		{"both answer bodies", `{"request":{},"response":{"status":200,"body":{},"body_text":"x"}}`, "response has both body and body_text"},
		{"a failure with an answer", `{"request":{},"response":{"status":200},"error":"refused"}`, "both a response and an error"},
		{"a method with a space", `{"request":{"method":"PO ST"}}`, `request.method must be an HTTP method such as POST, got "PO ST"`},
		{"a path without a slash", `{"request":{"path":"verify"}}`, `request.path must start with /, got "verify"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseRecordLine([]byte(tt.line))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "mockserver.") {
				t.Errorf("error %q names Go types", err)
			}
		})
	}
}

// Credentials left in a record are dropped, and the drop is said; nothing
// else is.
func TestParseRecordLineDropsCredentials(t *testing.T) {
	line := `{"request":{"header":{"authorization":["Bearer live-secret-123"],"X-Api-Key":["k-123"],"Cookie":["s=1"],"Proxy-Authorization":["Basic eA=="],"User-Agent":["partner/1.0"],"X-Request-Id":["r-1"]}},` +
		`"response":{"status":401,"header":{"Set-Cookie":["s=2"],"X-Auth-Token":["t"],"Www-Authenticate":["Bearer"],"Content-Type":["application/json"]},"body":{"code":"unauthorized","message":"no"}}}`
	x, dropped, err := parseRecordLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	encoded, _ := json.Marshal(x)
	for _, secret := range []string{"live-secret-123", "k-123", "s=1", "eA==", "s=2", "X-Auth-Token"} {
		if bytes.Contains(encoded, []byte(secret)) {
			t.Errorf("the exchange read back holds %q: headers %v, %v", secret, x.Request.Header, x.Response.Header)
		}
	}
	want := []string{
		"dropped the request's Authorization header: a credential is never kept or replayed",
		"dropped the request's Cookie header: a credential is never kept or replayed",
		"dropped the request's Proxy-Authorization header: a credential is never kept or replayed",
		"dropped the request's X-Api-Key header: a credential is never kept or replayed",
		"dropped the response's Set-Cookie header: a credential is never kept or replayed",
		"dropped the response's X-Auth-Token header: a credential is never kept or replayed",
	}
	if !slices.Equal(dropped, want) {
		t.Errorf("dropped:\n%s\nwant:\n%s", strings.Join(dropped, "\n"), strings.Join(want, "\n"))
	}
	if x.Request.Header.Get("User-Agent") != "partner/1.0" || x.Request.Header.Get("X-Request-Id") != "r-1" ||
		x.Response.Header.Get("Www-Authenticate") != "Bearer" {
		t.Errorf("headers that are no credentials were dropped: %v %v", x.Request.Header, x.Response.Header)
	}
}

// A record is read line by line, within its bounds; what cannot be read
// is a *RecordError naming the file and the line.
func TestReadRecordBoundsAndErrors(t *testing.T) {
	small := recordLimits{bytes: 1000, lines: 4, lineBytes: 300}
	long := `{"request":{"body":{"display_name":"` + strings.Repeat("x", 300) + `"}}}`
	tests := []struct {
		name     string
		content  string
		wantLine int
		want     string // "" for no error
	}{
		{"a line, a blank line, CRLF", minimalLine + "\r\n\r\n" + `{"request":{}}` + "\r\n", 0, ""},
		{"a byte order mark", "\xef\xbb\xbf" + minimalLine + "\n", 0, ""},
		{"no final newline", minimalLine, 0, ""},
		{"malformed on line 3", minimalLine + "\n\n{\"request\":\n", 3, "malformed JSON"},
		{"no request on line 2", minimalLine + "\n" + `{"response":{"status":200}}` + "\n", 2, "the line has no request"},
		{"empty", "", 0, "holds no exchange"},
		{"blank only", "\n  \n", 0, "holds no exchange"},
		{"a line over the bound", minimalLine + "\n" + long + "\n", 2, "the line is longer than 300 bytes (MaxRecordLineBytes)"},
		{"a line far over the bound", minimalLine + "\n" + strings.Repeat(long, 2), 2, "the line is longer than 300 bytes (MaxRecordLineBytes)"},
		{"a line at the bound", `{"request":{"body":"` + strings.Repeat("x", 300-len(`{"request":{"body":""}}`)) + `"}}`, 0, ""},
		{"more lines than the bound", strings.Repeat(`{"request":{}}`+"\n", 5), 5, "more than 4 lines (MaxRecordLines)"},
		{"more bytes than the bound", strings.Repeat(`{"request":{"body_text":"`+strings.Repeat("x", 250)+`"}}`+"\n", 4), 0, "larger than 1000 bytes (MaxRecordFileBytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &loadedRecord{limits: small}
			err := rec.read("record.jsonl", strings.NewReader(tt.content))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				return
			}
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T), want a *RecordError", err, err)
			}
			prefix := "record.jsonl: "
			if tt.wantLine > 0 {
				prefix = "record.jsonl:" + itoa(tt.wantLine) + ": "
			}
			if re.File != "record.jsonl" || re.Line != tt.wantLine || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (line %d), want %q... containing %q", err, re.Line, prefix, tt.want)
			}
		})
	}
}

func itoa(n int) string { return recordPlace{line: n}.String()[1:] }

// The bounds hold for a record's files together, and a line's place names
// its own file.
func TestLoadRecordFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	os.WriteFile(a, []byte(minimalLine+"\n"+minimalLine+"\n"), 0o600)
	os.WriteFile(b, []byte("\n"+`{"request":{"header":{"Authorization":["Bearer x"]}}}`+"\n"), 0o600)
	rec, err := loadRecord(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var places []string
	for _, l := range rec.exchanges {
		places = append(places, l.at.String())
	}
	if want := []string{a + ":1", a + ":2", b + ":2"}; !slices.Equal(places, want) || rec.lines != 4 {
		t.Errorf("places %q, %d lines; want %q, 4 lines", places, rec.lines, want)
	}
	if len(rec.dropped) != 1 || !strings.HasPrefix(rec.dropped[0], b+":2: dropped the request's Authorization header") {
		t.Errorf("dropped %q", rec.dropped)
	}

	rec = &loadedRecord{limits: recordLimits{bytes: 1 << 20, lines: 3, lineBytes: 1 << 10}}
	err = rec.readFile(a)
	if err == nil {
		err = rec.readFile(b)
	}
	if err == nil || err.Error() != b+":2: the record has more than 3 lines (MaxRecordLines), its files together" {
		t.Errorf("error %v, want the second file's line 2 over the bound of lines", err)
	}

	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		files []string
		want  string
		is    error
	}{
		{[]string{filepath.Join(dir, "missing.jsonl")}, filepath.Join(dir, "missing.jsonl") + ": cannot open: no such file or directory", fs.ErrNotExist},
		{[]string{dir}, dir + ": cannot read: is a directory", nil},
		{[]string{a, dir + "/./a.jsonl"}, dir + "/./a.jsonl: names the same file as " + a, nil},
		{[]string{a, link}, link + ": names the same file as " + a, nil},
		{nil, "no record file given", nil},
	} {
		_, err := loadRecord(tt.files...)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("loadRecord(%q) = %v, want %q", tt.files, err, tt.want)
		}
	}
}

// The largest line --record writes fits the bound on a line, escaping
// included, and the bounds on the record hold several of them.
func TestRecordBoundsFitWhatRecordWrites(t *testing.T) {
	if worst := MaxMaxBodyBytes + MaxUpstreamBodyBytes + 2*MaxHeaderBytes; MaxRecordLineBytes < worst {
		t.Errorf("MaxRecordLineBytes %d < %d, the longest line --record writes", MaxRecordLineBytes, worst)
	}
	if MaxRecordFileBytes < MaxRecordLineBytes {
		t.Errorf("MaxRecordFileBytes %d does not hold one line of MaxRecordLineBytes", MaxRecordFileBytes)
	}
}

// FuzzParseRecordLine: whatever a line holds, the parser never panics; a
// line it accepts has a method and a path, no credential header, and reads
// back the same once encoded again.
func FuzzParseRecordLine(f *testing.F) {
	for _, line := range []string{
		minimalLine, `{"request":{}}`, `null`, `{`, `[]`, `{"request":{"body_text":"x"},"error":"reset"}`,
		`{"request":{"header":{"AUTHORIZATION":["Bearer x"],"x-api-key":["1"]}},"response":{"status":200,"header":{"set-cookie":["a"]}}}`,
		`{"time":"2026-12-02T10:00:00Z","request_id":"r","request":{"method":"POST","path":"/verify/token/create","header":{},"body":{"mode":1}},"response":{"status":422,"header":{"Content-Type":["application/json"]},"body":{}},"duration_ns":5,"drift":[{"kind":"status","rule":"r"}],"violations":[{"field":"/a","message":"m"}]}`,
	} {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		x, _, err := parseRecordLine(line)
		if err != nil {
			if x.Request.Method != "" || x.Response != nil {
				t.Fatalf("a refused line returned an exchange: %+v", x)
			}
			return
		}
		if x.Request.Method == "" || !strings.HasPrefix(x.Request.Path, "/") {
			t.Fatalf("accepted %q without a method or path: %+v", line, x.Request)
		}
		headers := []http.Header{x.Request.Header}
		if x.Response != nil {
			headers = append(headers, x.Response.Header)
		}
		for _, h := range headers {
			for name := range h {
				if credentialHeader(name) || name != http.CanonicalHeaderKey(name) {
					t.Fatalf("accepted %q keeping header %q", line, name)
				}
			}
		}
		again, dropped, err := parseRecordLine(encodeJSON(x))
		if err != nil || len(dropped) > 0 {
			t.Fatalf("%q read back: %v, dropped %q", encodeJSON(x), err, dropped)
		}
		if a, b := encodeJSON(x), encodeJSON(again); !bytes.Equal(a, b) {
			t.Fatalf("read back differs:\n%s\n%s", a, b)
		}
	})
}
