package mockserver

import (
	"net/http/httptest"
	"testing"
)

// TestServer is a mock started in-process for a Go test, in the manner of
// httptest.Server. Its embedded *Server carries the test handles: the
// journal (Requests, RequestForToken, ResetRequests) and faults (QueueFault,
// ClearFaults).
type TestServer struct {
	*Server
	// URL is the base URL of the mock, http://127.0.0.1:port.
	URL string

	http *httptest.Server
}

// NewTestServer starts a mock on a free loopback port and closes it when the
// test ends. configure, if given, adjusts the Options first. Starting one is
// cheap (the contract is prepared once per process), so each test can have
// its own.
func NewTestServer(tb testing.TB, configure ...func(*Options)) *TestServer {
	tb.Helper()
	var opts Options
	for _, f := range configure {
		f(&opts)
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("mockserver: %v", err)
	}
	ts := &TestServer{Server: s, http: httptest.NewServer(s)}
	ts.URL = ts.http.URL
	tb.Cleanup(ts.Close)
	return ts
}

// Close shuts the server down, waiting for requests in flight. It is
// registered with tb.Cleanup; calling it earlier is allowed.
func (ts *TestServer) Close() { ts.http.Close() }
