package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benjiconnect/benji/mockserver"
)

const (
	conformingLine = `{"request":{"body":{"mode":1,"display_name":"Reward Cookies"}},"response":{"status":200,"body":{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}}}`
	notUUIDLine    = `{"request":{"body":{"mode":1,"display_name":"Reward Cookies"}},"response":{"status":200,"header":{"Content-Type":["application/json"],"X-Request-Id":["up-1"]},"body":{"code":"ok","data":{"token":"tok_live_42"}}}}`
)

// recordFile writes lines to name in dir.
func recordFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// verifyCases are what benji-mock verify is run on, in process and as the
// built binary, with the exit code and what stdout and stderr must say.
func verifyCases(t *testing.T) []verifyCase {
	dir := t.TempDir()
	conforming := recordFile(t, dir, "conforming.jsonl", conformingLine, conformingLine)
	departing := recordFile(t, dir, "departing.jsonl", conformingLine, notUUIDLine)
	malformed := recordFile(t, dir, "malformed.jsonl", conformingLine, `{"request":`)
	return []verifyCase{
		{"a conforming record", []string{"verify", conforming}, 0, []string{"result    conforms: no departure from the contract in 2 exchanges"}, nil},
		{"a departing record", []string{"verify", departing}, 1,
			[]string{"result    departs: 1 of 2 exchanges depart from the contract, in 1 way", "/data/token", `"tok_live_42"`, departing + ":2", "up-1"}, nil},
		{"both files", []string{"verify", conforming, departing}, 1, []string{"4 exchanges"}, nil},
		{"JSON", []string{"verify", "--json", departing}, 1, []string{`"departing": 1`, `"rule": "must be a uuid"`, `"request_id": "up-1"`}, nil},
		{"a malformed line", []string{"verify", malformed}, 2, nil, []string{"benji-mock verify: " + malformed + ":2: malformed JSON"}},
		{"a missing file", []string{"verify", conforming, filepath.Join(dir, "nope.jsonl")}, 2, nil, []string{filepath.Join(dir, "nope.jsonl") + ": cannot open"}},
		{"no file", []string{"verify"}, 2, nil, []string{"name at least one record file", "usage: benji-mock verify [--json] FILE..."}},
		{"an unknown flag", []string{"verify", "--yaml", conforming}, 2, nil, []string{"flag provided but not defined: -yaml"}},
		{"help", []string{"verify", "-h"}, 0, nil, []string{"Exit status: 0 when the record conforms"}},
	}
}

type verifyCase struct {
	name                 string
	args                 []string
	code                 int
	wantStdout, wantErrs []string
}

func (tt verifyCase) check(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if code != tt.code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, clip(stdout), clip(stderr))
	}
	for _, want := range tt.wantStdout {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, clip(stdout))
		}
	}
	for _, want := range tt.wantErrs {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, clip(stderr))
		}
	}
	if tt.code == 2 && stdout != "" {
		t.Errorf("a record that cannot be read printed a report:\n%s", clip(stdout))
	}
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

func TestVerifyCommand(t *testing.T) {
	for _, tt := range verifyCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			tt.check(t, code, stdout.String(), stderr.String())
		})
	}
}

// The built binary: exit codes and output as a CI job sees them, and a
// record the mock wrote in proxy mode in front of an API that departs.
func TestVerifyBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "benji-mock")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, clip(string(out)))
	}
	runBin := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			return exit.ExitCode(), stdout.String(), stderr.String()
		case err != nil:
			t.Fatalf("run %s: %v", bin, err)
		}
		return 0, stdout.String(), stderr.String()
	}
	for _, tt := range verifyCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runBin(tt.args...)
			tt.check(t, code, stdout, stderr)
		})
	}

	t.Run("a record made by proxy mode", func(t *testing.T) {
		record := proxyRecord(t)
		code, stdout, stderr := runBin("verify", "--json", record)
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", code, clip(stdout), clip(stderr))
		}
		var report mockserver.VerifyReport
		if err := json.Unmarshal([]byte(stdout), &report); err != nil {
			t.Fatalf("--json output: %v\n%s", err, clip(stdout))
		}
		var got []string
		for _, d := range report.Drift {
			got = append(got, fmt.Sprintf("%d %d %s %s", d.Count, d.Status, d.Place(), d.RequestID))
		}
		want := []string{"2 200 /data/token up-2", "1 422 status up-3"}
		if strings.Join(got, "; ") != strings.Join(want, "; ") || report.Exchanges != 4 {
			t.Errorf("%d exchanges, drift %q; want 4, %q", report.Exchanges, got, want)
		}
	})
}

// proxyRecord runs the mock in proxy mode in front of a fake API that
// answers, in turn, a token, a token that is not a UUID, an undocumented
// 422 and a non-UUID token again, and returns the file it recorded.
func proxyRecord(t *testing.T) string {
	t.Helper()
	var n atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", fmt.Sprintf("up-%d", i))
		switch i {
		case 2, 4:
			io.WriteString(w, `{"code":"ok","data":{"token":"tok_live_42"}}`)
		case 3:
			w.WriteHeader(422)
			io.WriteString(w, `{"error":{"type":"validation"}}`)
		default:
			io.WriteString(w, `{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`)
		}
	}))
	t.Cleanup(api.Close)
	var buf bytes.Buffer
	record := &syncWriter{w: &buf}
	recorded := func() string {
		record.mu.Lock()
		defer record.mu.Unlock()
		return buf.String()
	}
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Upstream, o.Record = api.URL, record })
	for range 4 {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/verify/token/create", strings.NewReader(`{"mode":1,"display_name":"Reward Cookies"}`))
		req.Header.Set("Authorization", "Bearer staging-partner-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Each line is written just after its answer has gone out.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for strings.Count(recorded(), "\n") < 4 {
		if ctx.Err() != nil {
			t.Fatalf("the record has %d lines after 30s, want 4", strings.Count(recorded(), "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if strings.Contains(recorded(), "staging-partner-token") {
		t.Fatal("the record holds the bearer token")
	}
	path := filepath.Join(t.TempDir(), "staging.jsonl")
	if err := os.WriteFile(path, []byte(recorded()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
