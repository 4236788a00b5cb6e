package mockserver_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// /healthz, which compose's healthcheck asks every second, is logged at
// debug level, like the inspector's polls: at the default level it writes
// nothing, while an API request still gets its line.
func TestHealthzIsLoggedAtDebug(t *testing.T) {
	for _, tc := range []struct {
		level     slog.Level
		wantLines int
	}{
		{slog.LevelInfo, 0},
		{slog.LevelDebug, 2},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var logs syncBuffer // the line is written once the answer is out
			ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
				o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: tc.level}))
			})
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				if a := request(t, method, ts.URL+"/healthz", ""); a.status != http.StatusOK {
					t.Fatalf("%s /healthz: %d", method, a.status)
				}
			}
			if a := create(t, ts, seedConnect); a.status != http.StatusOK {
				t.Fatalf("createToken: %d", a.status)
			}
			ts.Close() // every request has finished, and written its line
			if n := strings.Count(logs.String(), "path=/healthz"); n != tc.wantLines {
				t.Errorf("at level %s, /healthz wrote %d log lines, want %d: %.300s", tc.level, n, tc.wantLines, logs.String())
			}
			if tc.wantLines > 0 && !strings.Contains(logs.String(), "level=DEBUG msg=request method=GET path=/healthz") {
				t.Errorf("the /healthz line is not at debug level: %.300s", logs.String())
			}
			if !strings.Contains(logs.String(), "level=INFO msg=request") {
				t.Errorf("an API request is not logged at info level: %.300s", logs.String())
			}
		})
	}
}
