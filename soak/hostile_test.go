package soak

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benjiconnect/benji/mockserver"
)

var mockBin = flag.String("soak.mock-bin", "", "run this benji-mock binary instead of building one (to compare builds)")

// buildMock builds cmd/benji-mock into a temporary folder, unless
// -soak.mock-bin names one.
func buildMock(t *testing.T) string {
	t.Helper()
	if *mockBin != "" {
		return *mockBin
	}
	bin := filepath.Join(t.TempDir(), "benji-mock")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/benji-mock").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startedMock is the binary running on a free loopback port, its log read
// line by line as JSON.
type startedMock struct {
	cmd  *exec.Cmd
	base string
	// longestLine is the longest log line so far, in bytes.
	longestLine atomic.Int64
	logsDone    chan struct{}
	mu          sync.Mutex
	lines       []map[string]any // the JSON lines, decoded
	raw         []string         // every line, JSON or not
}

// rawLines returns every line of the log so far.
func (m *startedMock) rawLines() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.raw...)
}

func startMock(t *testing.T, bin string, args ...string) *startedMock {
	t.Helper()
	m := &startedMock{logsDone: make(chan struct{})}
	m.cmd = exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	stderr, err := m.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.cmd.Process.Kill(); m.cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		defer close(m.logsDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			if n := int64(len(sc.Bytes())); n > m.longestLine.Load() {
				m.longestLine.Store(n)
			}
			m.mu.Lock()
			m.raw = append(m.raw, sc.Text())
			m.mu.Unlock()
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			if line["msg"] == "benji-mock listening" {
				addr <- line["addr"].(string)
			}
			m.mu.Lock()
			m.lines = append(m.lines, line)
			m.mu.Unlock()
		}
	}()
	select {
	case a := <-addr:
		m.base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("the mock did not start")
	}
	return m
}

// memory reads the process's resident and peak resident memory in kB.
func (m *startedMock) memory(t *testing.T) (rss, peak int64) {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			peak = n
		}
	}
	return rss, peak
}

// load sends n requests from clients goroutines; check sees each answer.
func load(t *testing.T, clients, n int, send func(i int) (*http.Response, error), check func(*http.Response, []byte) error) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range clients {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
				resp, err := send(i)
				if err != nil {
					if failures.Add(1) == 1 {
						t.Errorf("request %d: %s", i, clip(err.Error()))
					}
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil {
					err = check(resp, body)
				}
				if err != nil && failures.Add(1) == 1 {
					t.Errorf("request %d: %s", i, clip(err.Error()))
				}
			}
		})
	}
	wg.Wait()
	if f := failures.Load(); f > 0 {
		t.Errorf("%d of %d requests failed", f, n)
	}
}

// clipBytes is how much of an error, body or URL a failing test prints.
const clipBytes = 200

// clip shortens s for a failure message: its first clipBytes bytes and how
// long it was. An error of Go's HTTP client repeats the URL, which may be
// 1 MiB long here.
func clip(s string) string {
	if len(s) <= clipBytes {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:clipBytes], len(s))
}

// postOverflowing sends a request whose line or headers are over the
// mock's limit on a connection of its own, reading the answer while it
// writes. The mock answers 431 after reading past its limit and closes the
// connection (net/http's server does), so writing the rest fails with a
// broken pipe or a reset; Go's client may report that write error instead
// of the answer it already read. The answer is what is checked here; how
// the unwanted rest of the request fails is not the mock's to decide.
func postOverflowing(base, path, body string) (*http.Response, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 30*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	go func() {
		// Fails once the mock closes the connection; the answer is read
		// below whatever happens here.
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer hostile\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			path, u.Host, len(body), body)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("reading the answer to a request of %d bytes: %w", len(path)+len(body), err)
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{resp.Body, conn}
	return resp, nil
}

func post(base, path, body string, header ...string) (*http.Response, error) {
	req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer hostile")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return http.DefaultClient.Do(req)
}

// TestHostileClientsAgainstTheBinary sends the built binary, on its default
// flags, what a hostile or careless client would, and checks that its memory,
// its answers, its log lines and its journal stay within their bounds.
func TestHostileClientsAgainstTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	m := startMock(t, buildMock(t))
	const (
		// The binary's soft memory limit is 256 MiB (GOMEMLIMIT); without
		// it this load peaks near 800 MB, and before the bounds at gigabytes.
		peakBoundKB = 384 << 10 // the whole process, at its peak
		rssBoundKB  = 256 << 10 // after the load
	)
	bigName := `{"mode":1,"display_name":"` + strings.Repeat("n", mockserver.DefaultMaxBodyBytes-40) + `"}`
	bomb := `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` + strings.Repeat(`{},`, 340_000) + `{}]}}`
	longPrefer := "code=200, " + strings.Repeat("x=y; ", 10_000)
	within := func(max int, status int) func(*http.Response, []byte) error {
		return func(resp *http.Response, body []byte) error {
			if resp.StatusCode != status || len(body) > max {
				return fmt.Errorf("status %d with %d bytes, want %d with at most %d", resp.StatusCode, len(body), status, max)
			}
			return nil
		}
	}

	// Each phase is a few waves of its clients: the bounds checked below
	// depend on how many requests are held at once, not on how many are
	// sent in all, and a loaded machine under -race must finish this
	// within go test's ten minutes twice (-count=2). The journal ends full
	// (DefaultJournalSize) with entries of the last phases.
	phases := []struct {
		what       string
		clients, n int
		send       func(i int) (*http.Response, error)
		check      func(*http.Response, []byte) error
	}{
		{"valid 1 MiB bodies", 50, 250, func(int) (*http.Response, error) { return post(m.base, "/verify/token/create", bigName) }, within(200, 200)},
		{"bodies of 340,000 actions", 8, 51, func(int) (*http.Response, error) { return post(m.base, "/verify/token/create", bomb) }, within(16<<10, 400)},
		{"50 KB Prefer headers", 16, 500, func(int) (*http.Response, error) {
			return post(m.base, "/verify/token/create", `{"mode":1,"display_name":"x"}`, "Prefer", longPrefer)
		}, within(200, 200)},
		{"1 MiB paths", 16, 100, func(int) (*http.Response, error) {
			return postOverflowing(m.base, "/"+strings.Repeat("p", 1<<20), `{}`)
		}, within(1<<10, http.StatusRequestHeaderFieldsTooLarge)},
		{"60 KB paths", 16, 500, func(i int) (*http.Response, error) {
			return post(m.base, "/"+strings.Repeat("p", 60_000)+strconv.Itoa(i), `{}`)
		}, within(1<<10, 404)},
	}
	for _, p := range phases {
		start := time.Now()
		load(t, p.clients, p.n, p.send, p.check)
		t.Logf("%d %s from %d clients in %s", p.n, p.what, p.clients, time.Since(start).Round(time.Millisecond))
	}

	start := time.Now()
	resp, err := http.Get(m.base + "/__mock/requests")
	if err != nil {
		t.Fatal(err)
	}
	journal, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list struct{ Requests []json.RawMessage }
	if err := json.Unmarshal(journal, &list); err != nil || len(list.Requests) != mockserver.DefaultJournalSize {
		t.Fatalf("journal: %v, %d entries, want %d", err, len(list.Requests), mockserver.DefaultJournalSize)
	}
	if len(journal) > mockserver.DefaultJournalSize*mockserver.MaxEntryBytes {
		t.Errorf("a full journal reads as %d bytes, want at most %d", len(journal), mockserver.DefaultJournalSize*mockserver.MaxEntryBytes)
	}
	for _, e := range list.Requests {
		if len(e) > mockserver.MaxEntryBytes {
			t.Errorf("a journal entry is %d bytes, over MaxEntryBytes: %.200s", len(e), e)
			break
		}
	}
	t.Logf("full journal: %d entries, %d bytes, read in %s", len(list.Requests), len(journal), time.Since(start).Round(time.Millisecond))

	rss, peak := m.memory(t)
	t.Logf("resident memory after the load: %d MB, peak %d MB; longest log line %d bytes", rss>>10, peak>>10, m.longestLine.Load())
	if peak > peakBoundKB {
		t.Errorf("peak resident memory %d MB, over %d MB", peak>>10, peakBoundKB>>10)
	}
	if rss > rssBoundKB {
		t.Errorf("resident memory after the load %d MB, over %d MB", rss>>10, rssBoundKB>>10)
	}
	if n := m.longestLine.Load(); n > 8<<10 {
		t.Errorf("the longest log line is %d bytes, want at most 8 KiB", n)
	}
	if _, err := post(m.base, "/verify/token/create", `{"mode":1,"display_name":"still here"}`); err != nil {
		t.Errorf("after the load: %v", err)
	}
}
