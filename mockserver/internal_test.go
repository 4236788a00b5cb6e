package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/benjiconnect/benji/gen"
)

// newLogged builds a server that logs to the buffer it returns.
func newLogged(t *testing.T) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	s, err := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

// postDecided sends a valid createToken request through s's steps as
// CreateToken takes them, with decide's answer in place of step 4's: the
// answer check, the delivery and finish are the server's own. It makes the
// mock misbehave on purpose, without a hook in the server.
func postDecided(s *Server, body string, decide func(*http.Request, *exchange) answer) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/verify/token/create", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(RequestIDHeader, "req-1")
	rec := httptest.NewRecorder()
	func() {
		x := s.begin(req, true)
		defer s.finish(rec, req, x)
		a, ok := s.checkRequest(req, x)
		if ok {
			a = decide(req, x)
		}
		s.deliver(rec, req, x, s.checkAnswer(req, x, a))
	}()
	return rec
}

const validBody = `{"mode":1,"display_name":"x"}`

func TestAnswersOutsideTheContractBecome500(t *testing.T) {
	json200 := func(body string) func(*http.Request, *exchange) answer {
		return func(*http.Request, *exchange) answer {
			return answer{status: 200, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(body), outcome: OutcomeOK}
		}
	}
	tests := []struct {
		name   string
		decide func(*http.Request, *exchange) answer
	}{
		{"a 200 body without a token", json200(`{"code":"ok","data":{}}`)},
		{"a token that is not a UUID", json200(`{"code":"ok","data":{"token":"abc"}}`)},
		{"a status the contract does not document", func(*http.Request, *exchange) answer {
			return answer{status: 503, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"code":"unavailable","message":"down"}`)}
		}},
		{"an error without a message", func(*http.Request, *exchange) answer {
			return answer{status: 400, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"code":"bad"}`)}
		}},
		{"a 401 without WWW-Authenticate", func(*http.Request, *exchange) answer {
			return answer{status: 401, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"code":"unauthorized","message":"no"}`)}
		}},
		{"a 404, which createToken cannot answer", func(*http.Request, *exchange) answer {
			return answer{status: 404, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"code":"not_found","message":"no"}`)}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, logs := newLogged(t)
			rec := postDecided(s, validBody, tc.decide)
			var e gen.Error
			if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Code != OutcomeContractViolation {
				t.Errorf("got %d %s, want 500 mock_contract_violation", rec.Code, rec.Body)
			}
			if got := rec.Header().Get(RequestIDHeader); got != "req-1" {
				t.Errorf("X-Request-Id = %q, want the request's own", got)
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "outside the contract") {
				t.Errorf("no error log line for the violation:\n%s", logs)
			}
			if got := s.Requests(Filter{}); len(got) != 1 || got[0].Outcome != OutcomeContractViolation || got[0].Status != 500 {
				t.Errorf("journal = %+v", got)
			}
		})
	}
	t.Run("the 401 the mock answers itself passes", func(t *testing.T) {
		s, logs := newLogged(t)
		req := httptest.NewRequest("POST", "/verify/token/create", strings.NewReader(validBody))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != "Bearer" || strings.Contains(logs.String(), "outside") {
			t.Errorf("got %d WWW-Authenticate %q, logs %s", rec.Code, rec.Header().Get("WWW-Authenticate"), logs)
		}
	})
}

func TestPanicsAreRecovered(t *testing.T) {
	s, logs := newLogged(t)
	rec := postDecided(s, validBody, func(*http.Request, *exchange) answer { panic("boom") })
	var e gen.Error
	if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Code != OutcomeInternalError {
		t.Errorf("got %d %s, want the 500 envelope", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic was not logged:\n%s", logs)
	}
	if got := s.Requests(Filter{}); len(got) != 1 || got[0].Outcome != OutcomeInternalError {
		t.Errorf("journal = %+v, want the panicked request as internal_error", got)
	}
	if n := strings.Count(logs.String(), "msg=request "); n != 1 {
		t.Errorf("%d request log lines, want exactly 1:\n%s", n, logs)
	}
	// And the server still answers.
	if rec := serve(s, "GET", "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("after the panic /healthz = %d", rec.Code)
	}
}

// serveOnLoopback runs s.Serve on a free loopback port until the test ends
// and returns the address.
func serveOnLoopback(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go s.Serve(ctx, ln)
	return ln.Addr().String()
}

func serve(s *Server, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// A client that never finishes its headers is cut off after the read-header
// timeout instead of holding a connection forever.
func TestSlowHeadersAreCutOff(t *testing.T) {
	s, _ := newLogged(t)
	s.readHeaderTimeout = 200 * time.Millisecond
	addr := serveOnLoopback(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /verify/token/create HTTP/1.1\r\nHost: x\r\n") // and nothing more
	conn.SetReadDeadline(time.Now().Add(25 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the connection was not closed by the server: %v", err)
	}
	// Well short of the default read timeout (30 s): it was the 200 ms one.
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("closed after %s, want about the 200ms timeout", took)
	}
}

// A client that sends part of its body and then nothing is cut off at the
// read timeout with no answer at all: net/http would otherwise send an
// empty 200 of its own.
func TestStalledBodyGetsNoAnswer(t *testing.T) {
	s, _ := newLogged(t)
	s.readTimeout = 300 * time.Millisecond
	addr := serveOnLoopback(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /verify/token/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"+
		"Content-Type: application/json\r\nContent-Length: 29\r\n\r\n{\"mode\":1")
	conn.SetReadDeadline(time.Now().Add(25 * time.Second))
	got, err := io.ReadAll(conn)
	if err != nil || len(got) != 0 {
		t.Errorf("the client read %q (%v), want the connection closed with nothing", got, err)
	}
	// The entry is written after the connection is closed.
	var e []Entry
	for deadline := time.Now().Add(30 * time.Second); len(e) == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		e = s.Requests(Filter{})
	}
	if len(e) != 1 || e[0].Outcome != OutcomeDropped || e[0].Status != 0 {
		t.Errorf("journal = %+v, want one dropped request", e)
	}
}

// The latency is waited once the body is in: it does not eat into the read
// timeout.
func TestLatencyLeavesTheReadTimeoutAlone(t *testing.T) {
	// The read timeout is long enough for the body to arrive on a busy
	// machine; the latency is longer still.
	s, err := New(Options{Latency: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.readTimeout = 2 * time.Second
	addr := serveOnLoopback(t, s)
	body := `{"mode":1,"display_name":"` + strings.Repeat("x", 20_000) + `"}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/verify/token/create", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("a valid body with latency over the read timeout: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
}

// The journal keeps at most 4 KiB of a body, and not the rest of its buffer.
func TestJournalBoundsLargeBodies(t *testing.T) {
	s, _ := newLogged(t)
	body := `{"mode":1,"display_name":"x","extra":"` + strings.Repeat("y", 512<<10) + `"}`
	req := httptest.NewRequest("POST", "/verify/token/create", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	s.journal.mu.Lock()
	raw := s.journal.entries[0].raw
	s.journal.mu.Unlock()
	if len(raw) > maxJournalBody || len(raw) < maxJournalBody-32 || cap(raw) > maxJournalBody {
		t.Errorf("the journal holds %d bytes in a buffer of %d, want at most %d", len(raw), cap(raw), maxJournalBody)
	}
	if e := s.Requests(Filter{})[0]; e.Request == nil || e.Request.DisplayName != "x" {
		t.Errorf("the large body was not decoded for the journal: %+v", e.Request)
	}
}

// BenchmarkJournalAdd is the journal's share of the hot path: one append to
// a full ring.
func BenchmarkJournalAdd(b *testing.B) {
	j := newJournal(DefaultJournalSize, nil)
	e := Entry{Method: "POST", Path: "/verify/token/create", Status: 200, Outcome: OutcomeOK,
		Token: "0c371a1c-aa81-11ef-b28c-0a58a9feac02", raw: []byte(`{"mode":1,"display_name":"x"}`), decode: true}
	for range DefaultJournalSize {
		j.add(e)
	}
	b.ReportAllocs()
	for b.Loop() {
		j.add(e)
	}
}
