package mockserver_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// The request ids the mock makes are always 16 lower-case hex digits: one
// in 16 random numbers has a leading zero digit, which must be kept.
func TestMadeRequestIDsHave16HexDigits(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	id := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for i := range 300 {
		a := request(t, http.MethodGet, ts.URL+"/healthz", "")
		if got := a.header.Get(mockserver.RequestIDHeader); !id.MatchString(got) {
			t.Fatalf("request %d: made request id %q, want 16 hex digits", i, got)
		}
	}
}
