package mockserver_test

import (
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// jsonLines parses each line of logs as JSON, failing the test on one that
// is not.
func jsonLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a log line is not JSON: %.200q", line)
			continue
		}
		out = append(out, m)
	}
	return out
}

// startJSONProxy starts the mock in proxy mode in front of upstream, logging
// JSON to the buffer it returns.
func startJSONProxy(t *testing.T, upstream string) (*mockserver.TestServer, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.Upstream = upstream
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	return ts, logs
}

// An upstream that sends bytes past its answer, echoing the caller's
// credentials, makes net/http's Transport print them through the standard
// log package once the connection is idle. Pointed at LogWriter, as
// cmd/benji-mock does, the line reaches the mock's log as JSON, redacted.
func TestProxyTransportLinesGoThroughTheMocksLog(t *testing.T) {
	ok := `{"code":"ok","data":{"token":"` + upstreamToken + `"}}`
	up := loopback.Scripted(t, func(r *http.Request, _ []byte) string {
		return jsonAnswer("200 OK", ok) + "HTTP/1.1 200 OK\r\nX-Echo: " + r.Header.Get("Authorization") + "\r\n\r\n"
	})
	ts, logs := startJSONProxy(t, up)
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(ts.LogWriter())
	log.SetFlags(0)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })

	if got := request(t, http.MethodPost, ts.URL+createPath, seedConnect, "Authorization", "Bearer "+longSecret, "Content-Type", "application/json"); got.status != 200 {
		t.Fatalf("caller got %d %.200s, want the upstream's 200", got.status, got.body)
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(logs.String(), "Unsolicited"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no Unsolicited line in the log: %.300s", logs)
		}
	}
	for _, line := range jsonLines(t, logs.String()) {
		if msg, _ := line["msg"].(string); strings.Contains(msg, "Unsolicited") && (line["level"] != "WARN" || !strings.Contains(msg, "X-Echo: [redacted]")) {
			t.Errorf("the Transport's line is %v %.300q; want WARN with X-Echo: [redacted]", line["level"], msg)
		}
	}
	if p := pieceOf(longSecret, logs.String()); p != "" {
		t.Errorf("the log holds %q of the token", p)
	}
}

// LogWriter logs each line at warn level, with the credentials of recent
// exchanges and any Authorization-style value redacted, and cut.
func TestLogWriterRedactsEachLine(t *testing.T) {
	const schemeless = "schemeless-credential-9f8e7d"
	up := loopback.Scripted(t, func(*http.Request, []byte) string {
		return jsonAnswer("200 OK", `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`)
	})
	ts, logs := startJSONProxy(t, up)
	request(t, http.MethodPost, ts.URL+createPath, seedConnect, "Authorization", schemeless, "Content-Type", "application/json")
	// The request's own line comes once its answer is out.
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(logs.String(), `"msg":"request"`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no request line in the log: %.300s", logs)
		}
	}
	before := len(logs.String())
	lines := []struct{ written, want string }{
		{fmt.Sprintf("Unsolicited response received on idle HTTP channel starting with %q; err=<nil>", "HTTP/1.1 200 OK\r\nX-Echo: "+schemeless+"\r\n"),
			`starting with "HTTP/1.1 200 OK\r\nX-Echo: [redacted]\r\n"; err=<nil>`},
		{fmt.Sprintf("peer sent %q", "Authorization: Bearer\tabc.def/ghi=\r\n"), `peer sent "Authorization: Bearer\t[redacted]\r\n"`},
		{"http: TLS handshake error from 127.0.0.1:5: authorization: opaque-value-1", "authorization: [redacted]"},
		{"basic dXNlcjpwYXNzd29yZA==, then bearer x", "basic [redacted], then bearer [redacted]"},
		{"a line that holds no credential", "a line that holds no credential"},
		{strings.Repeat("x", 40<<10), "…"},
	}
	var all strings.Builder
	for _, l := range lines {
		all.WriteString(l.written + "\n")
	}
	if n, err := ts.LogWriter().Write([]byte(all.String())); n != all.Len() || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, all.Len())
	}
	got := jsonLines(t, logs.String()[before:])
	if len(got) != len(lines) {
		t.Fatalf("%d lines logged, want %d: %.300s", len(got), len(lines), logs.String()[before:])
	}
	for i, l := range lines {
		msg, _ := got[i]["msg"].(string)
		if got[i]["level"] != "WARN" || !strings.Contains(msg, l.want) || len(msg) > 16<<10 {
			t.Errorf("line %d logged as %v %.200q (%d bytes); want WARN with %q, at most 16 KiB", i, got[i]["level"], msg, len(msg), l.want)
		}
	}
	if strings.Contains(logs.String(), schemeless) {
		t.Errorf("the remembered credential is in the log")
	}
}

// acceptError is a temporary error of Accept, which http.Server logs
// through its ErrorLog and retries.
type acceptError struct{}

func (acceptError) Error() string {
	return "accept: peer said Authorization: Bearer errorlog-secret-5b2d9c"
}
func (acceptError) Timeout() bool   { return false }
func (acceptError) Temporary() bool { return true }

// failingListener fails its first Accept with acceptError, then waits to be
// closed.
type failingListener struct {
	net.Listener
	failed atomic.Bool
}

func (l *failingListener) Accept() (net.Conn, error) {
	if !l.failed.Swap(true) {
		return nil, acceptError{}
	}
	return l.Listener.Accept()
}

// Serve gives http.Server the same writer as its ErrorLog: its lines are
// the mock's, in its format, redacted.
func TestServeLogsHTTPServerErrorsThroughTheMocksLog(t *testing.T) {
	logs := &syncBuffer{}
	s, err := mockserver.New(mockserver.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	loopback.Serve(t, s.Serve, func(ln net.Listener) net.Listener { return &failingListener{Listener: ln} })
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(logs.String(), "Accept error"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no Accept error in the log: %.300s", logs)
		}
	}
	for _, line := range jsonLines(t, logs.String()) {
		if msg, _ := line["msg"].(string); strings.Contains(msg, "Accept error") && (line["level"] != "WARN" || !strings.Contains(msg, "Bearer [redacted]")) {
			t.Errorf("http.Server's line is %v %.300q; want WARN with Bearer [redacted]", line["level"], msg)
		}
	}
	if strings.Contains(logs.String(), "errorlog-secret") {
		t.Errorf("the log holds the credential: %.300s", logs)
	}
}
