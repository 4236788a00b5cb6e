package mockserver_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// The bearer token must not reach a log line, an answer or the journal, on
// any path: accepted, refused, invalid, injected.
func TestBearerTokenNeverLeaks(t *testing.T) {
	const secret = "sk_live_do-not-leak-7f3a"
	var logs bytes.Buffer
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.Tokens = []string{secret}
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	if err := ts.QueueFault(mockserver.Fault{Status: 500}); err != nil {
		t.Fatal(err)
	}
	var answers []answer
	for _, c := range []struct{ auth, body, prefer string }{
		{"Bearer " + secret, seedConnect, ""},
		{"Bearer " + secret, seedConnect, ""},
		{"Bearer " + secret, `{"mode":2}`, ""},
		{"Bearer " + secret, seedConnect, "code=401"},
		{"Bearer " + secret + "x", seedConnect, ""},
		{"Basic " + secret, seedConnect, ""},
		{secret, seedConnect, ""},
	} {
		answers = append(answers, request(t, "POST", ts.URL+createPath, c.body,
			"Authorization", c.auth, "Content-Type", "application/json", "Prefer", c.prefer))
	}
	answers = append(answers, request(t, "GET", ts.URL+"/__mock/requests", ""))
	ts.Close() // every log line written: each follows its answer
	journal, _ := json.Marshal(ts.Requests(mockserver.Filter{}))
	if len(ts.Requests(mockserver.Filter{})) != 7 {
		t.Fatalf("journal has %d entries, want 7", len(ts.Requests(mockserver.Filter{})))
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the token is in the logs:\n%s", logs.String())
	}
	if strings.Contains(string(journal), secret) {
		t.Errorf("the token is in the journal: %s", journal)
	}
	for i, a := range answers {
		if strings.Contains(string(a.body), secret) || strings.Contains(a.header.Get("X-Benji-Contract"), secret) {
			t.Errorf("answer %d repeats the token: %s", i, a.body)
		}
	}
	if !strings.Contains(logs.String(), `"status":401`) {
		t.Errorf("the logs miss the refused requests; the test would prove nothing:\n%s", logs.String())
	}
}
