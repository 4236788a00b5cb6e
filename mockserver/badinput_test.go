package mockserver_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

func TestDeepNesting(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	nested := func(depth int) string {
		return `{"mode":1,"display_name":"x","extra":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
	}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
	}{
		// Past the quick check's depth, kin-openapi decides: unknown fields are accepted.
		{"500 levels in an unknown field", nested(500), 200, ""},
		// encoding/json refuses more than 10000 levels.
		{"20000 levels", nested(20000), 400, "malformed_json"},
		{"20000 levels in the mode", `{"mode":` + strings.Repeat("[", 20000), 400, "malformed_json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := create(t, ts, tc.body)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %.200s", a.status, tc.wantStatus, a.body)
			}
			if tc.wantCode != "" && a.envelope(t).Code != tc.wantCode {
				t.Errorf("code = %q, want %q", a.envelope(t).Code, tc.wantCode)
			}
		})
	}
}

// A client that sends half its body and hangs up gets nothing: the journal
// says so, and the mock carries on.
func TestClientDropsMidBody(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mode\":", createPath)
	conn.Close()
	loopback.WaitFor(t, "the cut request in the journal", func() bool { return len(ts.Requests(mockserver.Filter{})) == 1 })
	if e := ts.Requests(mockserver.Filter{})[0]; e.Status != 0 || e.Outcome != mockserver.OutcomeDropped {
		t.Errorf("journal entry = %+v, want a dropped request", e)
	}
	create(t, ts, seedConnect).token(t) // still serving
}
