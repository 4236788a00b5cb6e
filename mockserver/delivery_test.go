package mockserver_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// unflushedWriter takes the answer into a buffer, as net/http does, and
// fails to push it to the client: the connection is gone.
type unflushedWriter struct {
	header http.Header
	status int
	body   strings.Builder
	// writeFails makes Write fail too.
	writeFails bool
}

var errConnGone = errors.New("write tcp 127.0.0.1:4010->127.0.0.1:50000: write: broken pipe")

func (w *unflushedWriter) Header() http.Header { return w.header }
func (w *unflushedWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *unflushedWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.writeFails {
		return 0, errConnGone
	}
	return w.body.WriteString(string(p))
}
func (w *unflushedWriter) FlushError() error { return errConnGone }

// An answer that never left the mock's buffer is not delivered: the
// journal, the log and RequestForToken say so, in both modes.
func TestAnAnswerThatCouldNotBePushedOutIsDropped(t *testing.T) {
	up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
	for _, tc := range []struct {
		name       string
		proxy      bool
		writeFails bool
	}{
		{name: "mock mode, the flush fails"},
		{name: "proxy mode, the flush fails", proxy: true},
		{name: "mock mode, the write fails", writeFails: true},
		{name: "proxy mode, the write fails", proxy: true, writeFails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, record := &syncBuffer{}, &syncBuffer{}
			opts := mockserver.Options{Logger: slog.New(slog.NewTextHandler(log, nil))}
			if tc.proxy {
				opts.Upstream, opts.Record = up.URL, record
			}
			s, err := mockserver.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			req := apiRequest(createPath, strings.NewReader(seedTransfer), partnerToken)
			req.Header.Set("X-Request-Id", "gone-1")
			w := &unflushedWriter{header: http.Header{}, writeFails: tc.writeFails}
			s.ServeHTTP(w, req)

			entries := s.Requests(mockserver.Filter{})
			if len(entries) != 1 {
				t.Fatalf("journal has %d entries, want 1", len(entries))
			}
			e := entries[0]
			if e.Status != 0 || e.Outcome != mockserver.OutcomeDropped || e.Token != "" {
				t.Errorf("entry: status %d outcome %q token %q; want 0 dropped, no token", e.Status, e.Outcome, e.Token)
			}
			if tc.proxy && (e.Upstream == nil || e.Upstream.Status != 200) {
				t.Errorf("entry upstream %+v; want the upstream's 200 kept", e.Upstream)
			}
			if _, found := s.RequestForToken(upstreamToken); found {
				t.Error("RequestForToken finds a token nobody got")
			}
			line := log.String()
			if !strings.Contains(line, "request_id=gone-1 status=0") || !strings.Contains(line, "outcome=dropped") ||
				!strings.Contains(line, "undelivered_status=200") || strings.Contains(line, " status=200 ") {
				t.Errorf("log says otherwise than dropped:\n%s", cutForLog(line))
			}
			if tc.proxy {
				if n := strings.Count(record.String(), "\n"); n != 1 {
					t.Errorf("record has %d lines, want the exchange with the upstream", n)
				}
			}
		})
	}
}

// A writer that cannot flush holds nothing back: what it took is delivered.
func TestAWriterThatCannotFlushDelivers(t *testing.T) {
	s, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := apiRequest(createPath, strings.NewReader(seedTransfer), partnerToken)
	w := &plainWriter{header: http.Header{}}
	s.ServeHTTP(w, req)
	if e := s.Requests(mockserver.Filter{}); len(e) != 1 || e[0].Outcome != mockserver.OutcomeOK || w.status != 200 {
		t.Fatalf("status %d, entries %+v; want a 200 journaled ok", w.status, e)
	}
	if got := w.header.Get("Content-Length"); got != fmt.Sprint(w.n) {
		t.Errorf("Content-Length %q for %d bytes written", got, w.n)
	}
}

type plainWriter struct {
	header http.Header
	status int
	n      int
}

func (w *plainWriter) Header() http.Header { return w.header }
func (w *plainWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *plainWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

// smallBuffers makes each accepted connection's send buffer small, so that
// a large answer to a slow reader waits on the client, as over a network.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// What a client got from the shutdown property test.
type received struct {
	id       string
	whole    bool
	got      int
	behavior string
	err      error
}

// Whatever the timing of a shutdown, proxy mode with a record never
// journals or logs as delivered an answer that a client did not get whole:
// large answers, clients that read slowly or stop reading (and read what
// they can once Serve has returned), and a drain bound far shorter than
// their reading. (A client that hangs up part way is not one of them: what
// the kernel took for it before it hung up is lost whatever the mock does.)
func TestShutdownNeverCallsDeliveredWhatAClientDidNotGetWhole(t *testing.T) {
	const clients = 20
	padding := strings.Repeat("x", mockserver.MaxUpstreamBodyBytes-200)
	body := `{"code":"ok","data":{"token":"` + upstreamToken + `"},"padding":"` + padding + `"}`
	up := startUpstream(t, false, answers(200, body))
	log := &syncBuffer{}
	s, err := mockserver.New(mockserver.Options{
		Upstream:        up.URL,
		Record:          io.Discard,
		ShutdownTimeout: 500 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := loopback.Serve(t, s.Serve, func(ln net.Listener) net.Listener { return smallBuffers{ln} })
	addr := srv.Addr

	behaviors := []string{"fast", "slow", "paused", "stops part way"}
	// Serve is stopped once each client has its status line and the fast
	// ones their whole answer: some answers are whole, the others cut.
	var headers, fast sync.WaitGroup
	resume := make(chan struct{})
	results := make(chan received, clients)
	for i := range clients {
		headers.Add(1)
		r := received{id: fmt.Sprintf("client-%d", i), behavior: behaviors[i%len(behaviors)]}
		if r.behavior == "fast" {
			fast.Add(1)
		}
		go func() {
			r.got, r.err = readAnswer(addr, r.id, r.behavior, i, &headers, resume)
			r.whole = r.err == nil && r.got == len(body)
			if r.behavior == "fast" {
				fast.Done()
			}
			results <- r
		}()
	}
	if !waitGroup(&headers, 60*time.Second) || !waitGroup(&fast, 60*time.Second) {
		t.Fatal("the clients did not all get their status line, or the fast ones their answer")
	}
	srv.Cancel() // SIGTERM
	srv.Wait(t)
	close(resume)
	var all []received
	for range clients {
		all = append(all, <-results)
	}
	loopback.WaitFor(t, "every request journaled", func() bool { return len(s.Requests(mockserver.Filter{})) == clients })
	entries := map[string]mockserver.Entry{}
	for _, e := range s.Requests(mockserver.Filter{}) {
		entries[e.RequestID] = e
	}
	logged := map[string]string{}
	for _, line := range strings.Split(log.String(), "\n") {
		if _, rest, ok := strings.Cut(line, "msg=request "); ok {
			if _, id, ok := strings.Cut(rest, "request_id="); ok {
				id, _, _ = strings.Cut(id, " ")
				logged[id] = line
			}
		}
	}
	whole := 0
	for _, r := range all {
		e, line := entries[r.id], logged[r.id]
		if r.whole {
			whole++
			continue
		}
		if e.Outcome != mockserver.OutcomeDropped || e.Status != 0 {
			t.Errorf("%s (%s) got %d of %d bytes (%v), but its entry says %d %s", r.id, r.behavior, r.got, len(body), r.err, e.Status, e.Outcome)
		}
		if !strings.Contains(line, " status=0 ") || !strings.Contains(line, "outcome=dropped") {
			t.Errorf("%s (%s) got %d of %d bytes, but its log line says otherwise: %s", r.id, r.behavior, r.got, len(body), cutForLog(line))
		}
	}
	t.Logf("%d of %d clients got their answer whole", whole, clients)
}

// readAnswer sends one API request as id and reads the answer as behavior
// says: fast; slowly until resume; not at all until resume; or part of it
// until resume. After resume it reads what is left. It returns how many
// body bytes it got, and why it got no more.
func readAnswer(addr, id, behavior string, i int, headers *sync.WaitGroup, resume <-chan struct{}) (int, error) {
	signalled := false
	signal := func() {
		if !signalled {
			signalled = true
			headers.Done()
		}
	}
	defer signal()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(8 << 10)
	conn.SetDeadline(time.Now().Add(60 * time.Second)) // a bound for a broken test, not an expectation
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nX-Request-Id: %s\r\nContent-Length: %d\r\n\r\n%s",
		createPath, addr, partnerToken, id, len(seedTransfer), seedTransfer)
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		return 0, err
	}
	signal()
	defer resp.Body.Close()
	got := 0
	buf := make([]byte, 2<<10)
	switch behavior {
	case "slow":
		for {
			select {
			case <-resume:
				n, err := io.CopyBuffer(io.Discard, resp.Body, buf)
				return got + int(n), err
			default:
			}
			n, err := resp.Body.Read(buf)
			got += n
			if err == io.EOF {
				return got, nil
			} else if err != nil {
				return got, err
			}
			time.Sleep(time.Millisecond) // a slow reader, not a wait for something
		}
	case "paused":
		<-resume
	case "stops part way":
		n, err := io.CopyN(io.Discard, resp.Body, int64(64<<10*(1+i%8)))
		got = int(n)
		if err != nil {
			return got, err
		}
		<-resume
	}
	n, err := io.CopyBuffer(io.Discard, resp.Body, buf)
	return got + int(n), err
}

// waitGroup waits for wg within d.
func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// wireWriter sends what it is given as net/http does: a write larger than
// its buffer goes out at once with what is buffered, a smaller one waits in
// the buffer for the next such write or a flush. When the answer's last
// byte goes out, it notes whether the journal had the request then.
type wireWriter struct {
	header   http.Header
	status   int
	buffered int
	sent     int
	journal  func() int
	// journaled is the journal's length when the answer went out whole; -1
	// before then.
	journaled int
}

func (w *wireWriter) Header() http.Header { return w.header }
func (w *wireWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *wireWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.buffered += len(p)
	if len(p) > 2048 {
		w.send()
	}
	return len(p), nil
}

func (w *wireWriter) FlushError() error {
	w.send()
	return nil
}

func (w *wireWriter) send() {
	w.sent += w.buffered
	w.buffered = 0
	if w.journaled < 0 && fmt.Sprint(w.sent) == w.header.Get("Content-Length") {
		w.journaled = w.journal()
	}
}

// A client that reads the journal once it has its answer finds its request
// there, whatever the answer's size: small, a 400 of 50 violations, an
// upstream's 1 MB.
func TestTheJournalHasTheRequestBeforeTheClientHasItsAnswer(t *testing.T) {
	large := `{"code":"ok","data":{"token":"` + upstreamToken + `"},"padding":"` + strings.Repeat("x", 1<<19) + `"}`
	up := startUpstream(t, false, answers(200, large))
	bomb := `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` + strings.Repeat(`{},`, 200) + `{}]}}`
	for _, tc := range []struct {
		name, body string
		proxy      bool
	}{
		{name: "a token", body: seedTransfer},
		{name: "a 400 of 50 violations", body: bomb},
		{name: "an upstream's 512 KiB", body: seedTransfer, proxy: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts mockserver.Options
			if tc.proxy {
				opts.Upstream = up.URL
			}
			s, err := mockserver.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			req := apiRequest(createPath, strings.NewReader(tc.body), partnerToken)
			w := &wireWriter{header: http.Header{}, journaled: -1, journal: func() int { return len(s.Requests(mockserver.Filter{})) }}
			s.ServeHTTP(w, req)
			if w.journaled != 1 {
				t.Errorf("status %d, %d bytes sent of %s: the journal had %d entries when the answer went out whole, want 1",
					w.status, w.sent, w.header.Get("Content-Length"), w.journaled)
			}
		})
	}
}

// hijackedWriter is unflushedWriter that a fault's reset can hijack, and
// whose flushes fail once it is: the connection is the mock's own then.
type hijackedWriter struct {
	unflushedWriter
	hijacked bool
}

func (w *hijackedWriter) FlushError() error {
	if w.hijacked {
		return errConnGone
	}
	return nil
}

func (w *hijackedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	client, server := net.Pipe()
	client.Close()
	return server, bufio.NewReadWriter(bufio.NewReader(server), bufio.NewWriter(server)), nil
}

// A fault's reset is the mock's own cut, recorded as reset: the connection
// it took over is not flushed as if it still held an answer.
func TestAResetIsNotFlushedAgain(t *testing.T) {
	s, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.QueueFault(mockserver.Fault{Status: 500, Reset: true}); err != nil {
		t.Fatal(err)
	}
	req := apiRequest(createPath, strings.NewReader(seedTransfer), partnerToken)
	w := &hijackedWriter{unflushedWriter: unflushedWriter{header: http.Header{}}}
	s.ServeHTTP(w, req)
	if e := s.Requests(mockserver.Filter{}); len(e) != 1 || e[0].Outcome != mockserver.OutcomeReset || !w.hijacked {
		t.Fatalf("hijacked %v, entries %+v; want one, reset", w.hijacked, e)
	}
}

// Reset empties the buffer.
func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Len is the length of what the buffer holds.
func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
