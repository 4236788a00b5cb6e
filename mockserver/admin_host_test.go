package mockserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// The open admin API answers localhost and names under ".localhost", not
// every dotted name that merely ends in "localhost": a web page can point
// evil.notlocalhost at the mock (DNS rebinding).
func TestOpenAdminAPIRefusesNamesThatOnlyEndInLocalhost(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	for _, tt := range []struct {
		host    string
		want    int
		outcome string
	}{
		{"evil.notlocalhost:4010", http.StatusForbidden, mockserver.OutcomeForbiddenHost},
		{"EVIL.NOTLOCALHOST.", http.StatusForbidden, mockserver.OutcomeForbiddenHost},
		{"app.localhost:4010", http.StatusOK, ""},
		{"notlocalhost:4010", http.StatusOK, ""}, // no dot: a compose service's name
	} {
		req, err := http.NewRequest(http.MethodGet, ts.URL+"/__mock/requests", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tt.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != tt.want || (tt.outcome != "" && !strings.Contains(string(body), `"code":"`+tt.outcome+`"`)) {
			t.Errorf("Host %s: %d %.200s, want %d %s", tt.host, resp.StatusCode, body, tt.want, tt.outcome)
		}
	}
}
