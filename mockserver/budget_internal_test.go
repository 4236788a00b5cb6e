package mockserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// validBodyOf is a valid createToken body of exactly n bytes.
func validBodyOf(n int) []byte {
	const prefix, suffix = `{"mode":1,"display_name":"`, `"}`
	return []byte(prefix + strings.Repeat("n", n-len(prefix)-len(suffix)) + suffix)
}

// heldServer is a mock in proxy mode whose upstream holds a request whose
// X-Request-Id starts with "hold" until release is closed, and answers a
// token otherwise. The mock reserves a request's share of the body budget
// before it reads the body, in either mode, and gives it back once the
// answer is out: a held request keeps its share meanwhile.
type heldServer struct {
	*Server
	url     string
	entered chan string
	release chan struct{}
	// seen lists the ids of the requests that reached the upstream.
	mu   sync.Mutex
	seen []string
}

// waitBudgetWhole waits until every request has given its share back: a
// request does so in finish, just after its client has the answer.
func waitBudgetWhole(t *testing.T, s *Server) {
	t.Helper()
	whole := s.opts.MaxBodyBytesInFlight
	for deadline := time.Now().Add(30 * time.Second); !s.bodies.TryAcquire(whole); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the budget of bodies in flight never became whole again")
		}
	}
	s.bodies.Release(whole)
}

func newHeldServer(t *testing.T, opts Options) *heldServer {
	t.Helper()
	h := &heldServer{entered: make(chan string, 16), release: make(chan struct{})}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		id := r.Header.Get(RequestIDHeader)
		h.mu.Lock()
		h.seen = append(h.seen, id)
		h.mu.Unlock()
		if strings.HasPrefix(id, "hold") {
			h.entered <- id
			<-h.release
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`))
	}))
	t.Cleanup(upstream.Close)
	opts.Upstream = upstream.URL
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.Server = s
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	h.url = ts.URL
	// First of the clean-ups: the servers' Close waits for held requests.
	t.Cleanup(func() {
		select {
		case <-h.release:
		default:
			close(h.release)
		}
	})
	return h
}

// waitEntered waits until the held request id has had its body read.
func (h *heldServer) waitEntered(t *testing.T, id string) {
	t.Helper()
	select {
	case got := <-h.entered:
		if got != id {
			t.Fatalf("held request %q entered, want %q", got, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("request %q was not held within 30 s", id)
	}
}

// sent is what a client got: a status, headers and body, or err.
type sent struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// send posts body as a createToken request with the given request id;
// chunked hides its length, so that it goes without a Content-Length.
func send(url, id string, body []byte, chunked bool) sent {
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // not a type NewRequest knows the length of
	}
	req, err := http.NewRequest(http.MethodPost, url+"/verify/token/create", r)
	if err != nil {
		return sent{err: err}
	}
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(RequestIDHeader, id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return sent{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return sent{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// sendWholeThenRead posts body as a client that reads the answer only once
// it has written the whole request does (Python's requests, say), on a
// connection of its own.
func sendWholeThenRead(url, id string, body []byte) sent {
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		return sent{err: err}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	head := fmt.Sprintf("POST /verify/token/create HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer t\r\n"+
		"Content-Type: application/json\r\n%s: %s\r\nContent-Length: %d\r\n\r\n", RequestIDHeader, id, len(body))
	if _, err := conn.Write(append([]byte(head), body...)); err != nil {
		return sent{err: fmt.Errorf("writing the request: %w", err)}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return sent{err: fmt.Errorf("reading the answer: %w", err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return sent{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// checkRefused checks that a got the budget's 429: rate_limited, with a
// Retry-After and a message that names the option and the flag.
func checkRefused(t *testing.T, who string, a sent) {
	t.Helper()
	if a.err != nil {
		t.Errorf("%s got no answer: %.200v", who, a.err)
		return
	}
	var e struct{ Code, Message string }
	json.Unmarshal(a.body, &e)
	if a.status != http.StatusTooManyRequests || e.Code != OutcomeRateLimited || a.header.Get("Retry-After") != "1" {
		t.Errorf("%s got %d %q with Retry-After %q, want 429 rate_limited with Retry-After 1; body %.200s",
			who, a.status, e.Code, a.header.Get("Retry-After"), a.body)
		return
	}
	for _, name := range []string{"budget of request bodies in flight", "Options.MaxBodyBytesInFlight", "--max-body-bytes-in-flight"} {
		if !strings.Contains(e.Message, name) {
			t.Errorf("%s: the message %q does not say %q", who, e.Message, name)
		}
	}
}

func checkOK(t *testing.T, who string, a sent) {
	t.Helper()
	if a.err != nil || a.status != http.StatusOK {
		t.Errorf("%s got %d (error %.200v), want 200; body %.200s", who, a.status, a.err, a.body)
	}
}

// A request holds its share of the budget from before its body is read
// until it is answered. While one body is held, a budget of MaxBodyBytes
// has no room for another: each of the clients that send one at once gets
// 429 with Retry-After, and nothing else is lost. Half of them read only
// once they have written their whole body: the mock reads and drops the
// bodies it refuses, so that those get their answer too, not a reset; a
// refused request never reaches the upstream. Once the held request is
// answered, the budget is whole again: a body of the whole MaxBodyBytes
// gets 200.
func TestBodiesInFlightPastTheBudget(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64 // MaxBodyBytes and MaxBodyBytesInFlight
		body  int
	}{
		{"bodies of 700 KB", DefaultMaxBodyBytes, 700_000},
		// More than the loopback's socket buffers hold: a client whose
		// body is not read would find the connection reset under it.
		{"bodies of 9 MB", MaxMaxBodyBytes, 9_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) { testBodiesInFlightPastTheBudget(t, tc.limit, tc.body) })
	}
}

func testBodiesInFlightPastTheBudget(t *testing.T, limit int64, size int) {
	h := newHeldServer(t, Options{MaxBodyBytes: limit, MaxBodyBytesInFlight: limit})
	body := validBodyOf(size)
	held := make(chan sent, 1)
	go func() { held <- send(h.url, "hold-1", body, false) }()
	h.waitEntered(t, "hold-1")

	const clients = 8
	var wg sync.WaitGroup
	got := make([]sent, clients)
	for i := range clients {
		wg.Go(func() {
			id := fmt.Sprintf("client-%d", i)
			if i%2 == 0 {
				got[i] = send(h.url, id, body, false)
			} else {
				got[i] = sendWholeThenRead(h.url, id, body)
			}
		})
	}
	wg.Wait()
	for i, a := range got {
		checkRefused(t, fmt.Sprintf("client %d", i), a)
	}

	close(h.release)
	checkOK(t, "the held request", <-held)
	waitBudgetWhole(t, h.Server)
	checkOK(t, "a whole MaxBodyBytes after the load", send(h.url, "after", validBodyOf(int(limit)), false))

	statuses := map[int]int{}
	entries := h.Requests(Filter{})
	for _, e := range entries {
		statuses[e.Status]++
		if e.Status == http.StatusTooManyRequests && e.Outcome != OutcomeRateLimited {
			t.Errorf("a refusal is journaled as %q, want %q", e.Outcome, OutcomeRateLimited)
		}
	}
	if len(entries) != clients+2 || statuses[200] != 2 || statuses[429] != clients {
		t.Errorf("the journal holds %d requests with statuses %v, want %d: 2 of 200 and %d of 429", len(entries), statuses, clients+2, clients)
	}
	// A refusal is the mock's own: it never reaches the upstream.
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Equal(h.seen, []string{"hold-1", "after"}) {
		t.Errorf("the upstream got %q, want the held request and the one after", h.seen)
	}
}

// A body sent without a Content-Length (chunked) reserves the whole
// MaxBodyBytes; one that declares its length reserves that length.
func TestBodiesInFlightChunked(t *testing.T) {
	const limit = 64 << 10
	h := newHeldServer(t, Options{MaxBodyBytes: limit, MaxBodyBytesInFlight: limit})
	small := []byte(validBody)
	held := make(chan sent, 1)
	go func() { held <- send(h.url, "hold-1", small, false) }()
	h.waitEntered(t, "hold-1")

	checkRefused(t, "a chunked body while another is held", send(h.url, "chunked", small, true))
	checkOK(t, "a body that declares its length, while another is held", send(h.url, "declared", small, false))

	close(h.release)
	checkOK(t, "the held request", <-held)
	waitBudgetWhole(t, h.Server)
	checkOK(t, "a chunked body once the held one is answered", send(h.url, "chunked-after", small, true))
	waitBudgetWhole(t, h.Server)
	checkOK(t, "a chunked body of MaxBodyBytes", send(h.url, "chunked-whole", validBodyOf(limit), true))
}
