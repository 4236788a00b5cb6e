package mockserver

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// replayOf reads lines as a record named "r.jsonl" and prepares it for
// replay.
func replayOf(t *testing.T, lines ...string) *replay {
	t.Helper()
	rec := &loadedRecord{limits: defaultRecordLimits}
	if err := rec.read("r.jsonl", strings.NewReader(strings.Join(lines, "\n"))); err != nil {
		t.Fatal(err)
	}
	return newReplay(rec)
}

// answered is what a replayed answer is in a test's eyes: its status and
// body, or "none" when the request does not match.
func answered(rp *replay, method, path, body string) string {
	a, ok := rp.match(method, path, []byte(body), "")
	if !ok {
		return "none"
	}
	return fmt.Sprintf("%d %s", a.status, a.body)
}

// A request matches a recorded one with the same method, path and body,
// the body compared as JSON when it is JSON.
func TestReplayMatches(t *testing.T) {
	rp := replayOf(t,
		`{"request":{"body":{"mode":1,"display_name":"Reward Cookies","custom_attributes":{"a":[1,2.50]}}},"response":{"status":200,"body":{"n":1}}}`,
		`{"request":{"method":"PUT","path":"/verify/token/create?x=1","body":{"mode":1}},"response":{"status":201,"body":{"n":2}}}`,
		`{"request":{"body_text":"mode=1 "},"response":{"status":415,"body":{"n":3}}}`,
		`{"request":{},"response":{"status":400,"body":{"n":4}}}`,
		`{"request":{"body":{"mode":9}},"error":"connection refused"}`,
	)
	const path = "/verify/token/create"
	tests := []struct {
		name, method, path, body, want string
	}{
		{"the same body", "POST", path, `{"mode":1,"display_name":"Reward Cookies","custom_attributes":{"a":[1,2.50]}}`, `200 {"n":1}`},
		{"keys in another order, other whitespace", "POST", path, "{ \"custom_attributes\" : {\"a\":[1, 2.50]},\n\"display_name\":\"Reward Cookies\",\"mode\":1}", `200 {"n":1}`},
		{"a string escaped differently", "POST", path, `{"mode":1,"display_name":"Reward \u0043ookies","custom_attributes":{"a":[1,2.50]}}`, `200 {"n":1}`},
		{"another method and a query", "PUT", path + "?x=1", `{"mode":1}`, `201 {"n":2}`},
		{"a text body, byte for byte", "POST", path, "mode=1 ", `415 {"n":3}`},
		{"no body", "POST", path, "", `400 {"n":4}`},

		{"NOT: a value differs", "POST", path, `{"mode":3,"display_name":"Reward Cookies","custom_attributes":{"a":[1,2.50]}}`, "none"},
		{"NOT: a number written otherwise", "POST", path, `{"mode":1,"display_name":"Reward Cookies","custom_attributes":{"a":[1,2.5]}}`, "none"},
		{"NOT: a key more", "POST", path, `{"mode":1,"display_name":"Reward Cookies","custom_attributes":{"a":[1,2.50]},"x":null}`, "none"},
		{"NOT: an array in another order", "POST", path, `{"mode":1,"display_name":"Reward Cookies","custom_attributes":{"a":[2.50,1]}}`, "none"},
		{"NOT: another path", "POST", "/verify/token/create/", `{"mode":1,"display_name":"Reward Cookies","custom_attributes":{"a":[1,2.50]}}`, "none"},
		{"NOT: without the query", "PUT", path, `{"mode":1}`, "none"},
		{"NOT: another method", "PATCH", path + "?x=1", `{"mode":1}`, "none"},
		{"NOT: a method in another case", "post", path, "", "none"},
		{"NOT: the text body with other whitespace", "POST", path, "mode=1", "none"},
		{"NOT: a JSON body for a text one", "POST", path, `"mode=1 "`, "none"},
		{"NOT: an exchange that failed", "POST", path, `{"mode":9}`, "none"},
		{"NOT: trailing data after JSON", "POST", path, `{"mode":1} x`, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp.rewind()
			if got := answered(rp, tt.method, tt.path, tt.body); got != tt.want {
				t.Errorf("%s %s %q answered %s, want %s", tt.method, tt.path, tt.body, got, tt.want)
			}
		})
	}
}

// Identical requests get their answers in the order recorded, then the
// last again; rewind starts them over; state says how many are left.
func TestReplaySequencesAndState(t *testing.T) {
	a := `{"request":{"body":{"mode":1}},"response":{"status":%d,"body":{"n":%d}}}`
	rp := replayOf(t,
		fmt.Sprintf(a, 200, 1),
		`{"request":{"body":{"mode":3}},"response":{"status":200,"body":{"n":9}}}`,
		"",
		fmt.Sprintf(a, 429, 2),
		`{"request":{"body":{ "mode" : 1 }},"error":"timeout"}`,
		fmt.Sprintf(a, 500, 3),
	)
	var got []string
	for range 5 {
		got = append(got, answered(rp, "POST", "/verify/token/create", `{"mode":1}`))
	}
	if want := []string{`200 {"n":1}`, `429 {"n":2}`, `500 {"n":3}`, `500 {"n":3}`, `500 {"n":3}`}; !slices.Equal(got, want) {
		t.Errorf("answers %q, want %q", got, want)
	}
	st := rp.state()
	want := []ReplayedRequest{
		{Method: "POST", Path: "/verify/token/create", Recorded: "r.jsonl:1", Answers: 3, Left: 0},
		{Method: "POST", Path: "/verify/token/create", Recorded: "r.jsonl:2", Answers: 1, Left: 1},
	}
	if !slices.Equal(st.Requests, want) {
		t.Errorf("state %+v, want %+v", st.Requests, want)
	}
	rp.rewind()
	if got := answered(rp, "POST", "/verify/token/create", `{"mode":1}`); got != `200 {"n":1}` {
		t.Errorf("after rewind: %s, want the first answer again", got)
	}
	if st := rp.state(); st.Requests[0].Left != 2 || st.Requests[1].Left != 1 {
		t.Errorf("state after rewind and one answer: %+v", st.Requests)
	}
}

// An answer is served as recorded, less the headers of one connection, the
// credentials, and the recorded Date and X-Request-Id (the mock sends its
// own; the recorded id is kept as the upstream's).
func TestReplayAnswerHeaders(t *testing.T) {
	rp := replayOf(t, `{"request":{},"response":{"status":200,"header":{"Content-Type":["application/json"],"X-Request-Id":["up-1"],`+
		`"Date":["Mon, 01 Jan 2024 00:00:00 GMT"],"Connection":["X-Hop"],"X-Hop":["1"],"Keep-Alive":["timeout=5"],"Transfer-Encoding":["chunked"],"Content-Length":["99"],"Set-Cookie":["s=1"],"Retry-After":["3"]},"body":{"n":1}}}`,
		`{"request":{"body_text":"x"},"response":{"status":502,"header":{},"body_text":"<h1>down</h1>"}}`)
	a, ok := rp.match("POST", "/verify/token/create", nil, "")
	want := http.Header{"Content-Type": {"application/json"}, "Retry-After": {"3"}}
	if !ok || !headersEqual(a.header, want) || string(a.body) != `{"n":1}` || a.at.String() != "r.jsonl:1" || a.id != "up-1" {
		t.Errorf("answer %d %v %s from %s, want %v", a.status, a.header, a.body, a.at, want)
	}
	a, _ = rp.match("POST", "/verify/token/create", []byte("x"), "")
	if ct, set := a.header["Content-Type"]; !set || ct != nil || string(a.body) != "<h1>down</h1>" {
		t.Errorf("an answer recorded without a Content-Type: header %v body %q; want Content-Type set to nil (none, not guessed)", a.header, a.body)
	}
}

// Requests replayed at once each get one answer: none is served twice, none
// skipped.
func TestReplayConcurrent(t *testing.T) {
	var lines []string
	for i := range 50 {
		lines = append(lines, fmt.Sprintf(`{"request":{"body":{"mode":1}},"response":{"status":200,"body":{"n":%d}}}`, i))
	}
	rp := replayOf(t, lines...)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			got := answered(rp, "POST", "/verify/token/create", `{"mode":1}`)
			rp.state()
			mu.Lock()
			seen[got]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 50 {
		t.Errorf("%d distinct answers served to 50 requests, want 50", len(seen))
	}
}
