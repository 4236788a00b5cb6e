package mockserver

import (
	"fmt"
	"net/http/httptest"
	"testing"
)

// TestServer is a mock started in-process on a free loopback port, in the
// manner of httptest.Server. Its embedded *Server carries the test handles:
// the journal (Requests, RequestForToken, ResetRequests) and faults
// (QueueFault, Faults, ClearFaults).
type TestServer struct {
	*Server
	// URL is the base URL of the mock, http://127.0.0.1:port.
	URL string

	http *httptest.Server
}

// NewTestServer starts a mock for a Go test and closes it when the test ends.
// configure, if given, adjusts the Options first. Starting one is cheap (the
// contract is prepared once per process), so each test can have its own:
//
//	ts := mockserver.NewTestServer(t)
//	c, _ := client.New(partnerToken, client.WithBaseURL(ts.URL))
func NewTestServer(tb testing.TB, configure ...func(*Options)) *TestServer {
	tb.Helper()
	var opts Options
	for _, f := range configure {
		f(&opts)
	}
	ts, err := StartTestServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ts.Close)
	return ts
}

// StartTestServer starts a mock on a free loopback port outside a test (in
// TestMain, an example or a tool). The caller must Close it.
func StartTestServer(opts Options) (*TestServer, error) {
	s, err := New(opts)
	if err != nil {
		return nil, fmt.Errorf("start test server: %w", err)
	}
	ts := &TestServer{Server: s, http: httptest.NewServer(s)}
	ts.URL = ts.http.URL
	return ts, nil
}

// Close shuts the server down, waiting for requests in flight. NewTestServer
// registers it with tb.Cleanup; calling it earlier is allowed.
func (ts *TestServer) Close() { ts.http.Close() }
