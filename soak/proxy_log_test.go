package soak

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/loopback"
)

// The binary in proxy mode with --log-format json, in front of an upstream
// that sends bytes past its answer echoing the caller's Authorization:
// net/http's Transport reports them once the connection is idle. Every
// line on stderr is JSON and the bearer token is in none.
func TestProxyModeLogsOnlyJSONWithoutTheToken(t *testing.T) {
	const bearer = "partner-secret-0c7e1b55a9d34f26b8e1"
	upstream := loopback.Scripted(t, func(r *http.Request, _ []byte) string {
		body := `{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`
		return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%sHTTP/1.1 200 OK\r\nX-Echo: %s\r\n\r\n",
			len(body), body, r.Header.Get("Authorization"))
	})

	m := startMock(t, buildMock(t), "--upstream", upstream)
	base := m.base

	body := `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48}`
	req, _ := http.NewRequest(http.MethodPost, base+"/verify/token/create", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("caller got %d, want the upstream's 200", resp.StatusCode)
	}

	seen := m.rawLines
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(strings.Join(seen(), "\n"), "Unsolicited"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no Unsolicited line on stderr within 20s")
		}
	}
	for _, line := range seen() {
		if !json.Valid([]byte(line)) {
			t.Errorf("a line on stderr is not JSON: %.200q", line)
		}
		if i := strings.Index(line, bearer[8:24]); i >= 0 {
			t.Errorf("a line on stderr holds the token: …%.200q", line[max(0, i-80):])
		}
	}
}
