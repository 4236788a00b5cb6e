package soak

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benjiconnect/benji/mockserver"
)

// The binary in proxy mode, in front of a local TLS upstream whose answer
// depends on the request's user_external_id: conforming, a token that is
// not a UUID, an undocumented 422, too slow, a reset connection. The
// caller's answers, the journal, the drift report, the record file and the
// log are checked, and the bearer token is in none but the upstream's
// requests.
func TestProxyModeOfTheBinary(t *testing.T) {
	const bearer = "partner-secret-7d41c9e2"
	const token = "5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
	answers := map[string]struct {
		status int
		body   string
	}{
		"conform":  {200, `{"code":"ok","data":{"token":"` + token + `"}}`},
		"non-uuid": {200, `{"code":"ok","data":{"token":"tok_live_42"}}`},
		"422":      {422, `{"error":{"type":"validation","detail":"` + bearer + ` is not allowed here"}}`},
	}
	upstream := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+bearer {
			http.Error(w, "wrong credentials", http.StatusTeapot)
			return
		}
		var body struct {
			User string `json:"user_external_id"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		switch body.User {
		case "slow":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		case "reset":
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.(*tls.Conn).NetConn().(*net.TCPConn).SetLinger(0)
			conn.Close()
			return
		}
		a := answers[body.User]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(upstream.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: upstream.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "exchanges.jsonl")

	m := startMock(t, buildMock(t), "--upstream", upstream.URL, "--upstream-ca", ca, "--upstream-timeout", "1s", "--record", record)
	send := func(user string) (int, string) {
		body := `{"mode":3,"display_name":"Reward Cookies","partnership_id":49,"user_external_id":"` + user + `"}`
		req, _ := http.NewRequest(http.MethodPost, m.base+"/verify/token/create", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, user := range []string{"conform", "non-uuid", "422"} {
		if status, body := send(user); status != answers[user].status || body != answers[user].body {
			t.Errorf("%s: got %d %s, want the upstream's %d %s", user, status, body, answers[user].status, answers[user].body)
		}
	}
	for user, want := range map[string]string{"slow": `"code":"upstream_timeout"`, "reset": `"code":"upstream_failed"`} {
		if status, body := send(user); status/100 != 5 || !strings.Contains(body, want) {
			t.Errorf("%s: got %d %s, want a 502/504 with %s", user, status, body, want)
		}
	}

	var journal struct{ Requests []mockserver.Entry }
	getJSON(t, m.base+"/__mock/requests", &journal)
	outcomes := map[string]string{}
	for _, e := range journal.Requests {
		if e.Request != nil && e.Request.UserExternalId != nil {
			outcomes[*e.Request.UserExternalId] = e.Outcome
		}
	}
	wantOutcomes := map[string]string{"conform": "proxied", "non-uuid": "proxied", "422": "proxied", "slow": "upstream_timeout", "reset": "upstream_failed"}
	for user, want := range wantOutcomes {
		if outcomes[user] != want {
			t.Errorf("journal outcome of %s = %q, want %q", user, outcomes[user], want)
		}
	}

	var drift mockserver.DriftReport
	getJSON(t, m.base+"/__mock/drift", &drift)
	var found []string
	for _, d := range drift.Drift {
		found = append(found, d.String())
	}
	if drift.Answers != 3 || drift.Departed != 2 || len(found) != 2 ||
		!strings.Contains(strings.Join(found, "\n"), `/data/token: must be a uuid, got "tok_live_42"`) ||
		!strings.Contains(strings.Join(found, "\n"), "got 422") {
		t.Errorf("drift report: %d answers, %d departed, %q; want 3, 2, the token and the 422", drift.Answers, drift.Departed, found)
	}

	f, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for sc := bufio.NewScanner(strings.NewReader(string(f))); sc.Scan(); lines++ {
		var e mockserver.RecordedExchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("record line %q: %v", sc.Text(), err)
		}
	}
	if lines != 5 {
		t.Errorf("record has %d lines, want 5", lines)
	}
	m.cmd.Process.Signal(os.Interrupt)
	m.cmd.Wait()
	<-m.logsDone
	m.mu.Lock()
	logs, _ := json.Marshal(m.lines)
	m.mu.Unlock()
	warned := strings.Count(string(logs), `"the upstream's answer departs from the contract"`)
	for what, text := range map[string]string{"record": string(f), "log": string(logs), "drift report": strings.Join(found, " ")} {
		if strings.Contains(text, bearer) {
			t.Errorf("the bearer token is in the %s", what)
		}
	}
	if warned != 2 {
		t.Errorf("%d departure warnings logged, want 2", warned)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}
