package main

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/benjiconnect/benji/mockserver"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestConfigDefaultsServeANewcomer(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:4010" || len(cfg.tokens) != 0 || cfg.noAdmin || cfg.noRespCheck || cfg.maxBodyBytes != 1<<20 {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestConfigFlagsWinOverEnvironment(t *testing.T) {
	vars := map[string]string{
		"BENJI_MOCK_ADDR":    "0.0.0.0:9999",
		"BENJI_MOCK_TOKENS":  "a, b,,c",
		"BENJI_MOCK_LATENCY": "50ms",
		"BENJI_MOCK_ADMIN":   "false",
	}
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:1234"}, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:1234" {
		t.Errorf("addr = %q, want the flag's", cfg.addr)
	}
	if len(cfg.tokens) != 3 || cfg.tokens[1] != "b" {
		t.Errorf("tokens = %q, want [a b c]", cfg.tokens)
	}
	if cfg.latency != 50*time.Millisecond || !cfg.noAdmin {
		t.Errorf("latency %s noAdmin %v, want the environment's", cfg.latency, cfg.noAdmin)
	}
}

func TestConfigRejectsNonsense(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--log-format", "xml"}, nil},
		{[]string{"--max-body-bytes", "0"}, nil},
		{[]string{"--journal-size", "-1"}, nil},
		{[]string{"stray"}, nil},
		{nil, map[string]string{"BENJI_MOCK_LATENCY": "soon"}},
	} {
		if _, err := parseConfig(tc.args, env(tc.env), io.Discard); err == nil {
			t.Errorf("args %q env %v accepted", tc.args, tc.env)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	u, _ := url.Parse(ts.URL)
	var stderr bytes.Buffer
	if code := run([]string{"healthcheck", "--addr", u.Host}, io.Discard, &stderr); code != 0 {
		t.Errorf("healthcheck of a running mock exited %d: %s", code, stderr.String())
	}
	ts.Close()
	if code := run([]string{"healthcheck", "--addr", u.Host}, io.Discard, io.Discard); code != 1 {
		t.Errorf("healthcheck of a stopped mock exited %d, want 1", code)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--version"}, &out, io.Discard); code != 0 || !bytes.HasPrefix(out.Bytes(), []byte("benji-mock ")) {
		t.Errorf("--version exited %d printing %q", code, out.String())
	}
}

func TestLogWriterDeliversEveryLine(t *testing.T) {
	var out bytes.Buffer
	lw := newLogWriter(&syncWriter{w: &out})
	for i := range 1000 {
		fmt.Fprintf(lw, "line %d\n", i)
	}
	lw.Close()
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1000 {
		t.Errorf("%d lines arrived, want 1000", n)
	}
}

// syncWriter lets the test read what the flush goroutine wrote.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestGCPercentLeavesGOGCToTheUser(t *testing.T) {
	tests := []struct {
		env     map[string]string
		percent int
		set     bool
	}{
		{env: nil, percent: defaultGCPercent, set: true},
		{env: map[string]string{"GOGC": "100"}, set: false},
		{env: map[string]string{"GOGC": "off"}, set: false},
		{env: map[string]string{"GOGC": ""}, set: false},
	}
	for _, tt := range tests {
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		percent, set := gcPercent(lookup)
		if percent != tt.percent || set != tt.set {
			t.Errorf("env %v: gcPercent = %d, %v; want %d, %v", tt.env, percent, set, tt.percent, tt.set)
		}
	}
}
