package main

import (
	"io"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// --max-body-bytes-in-flight and its twin are refused at start-up outside
// [--max-body-bytes, MaxMaxBodyBytesInFlight], and what they accept
// mockserver.New accepts too.
func TestConfigBodyBytesInFlight(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // part of the error; "" for accepted
	}{
		{nil, nil, ""},
		{[]string{"--max-body-bytes-in-flight", "1048576"}, nil, ""},
		{[]string{"--max-body-bytes-in-flight", "1073741824"}, nil, ""},
		{[]string{"--max-body-bytes", "16777216", "--max-body-bytes-in-flight", "16777216"}, nil, ""},
		{[]string{"--max-body-bytes", "100", "--max-body-bytes-in-flight", "100"}, nil, ""},
		{nil, map[string]string{"BENJI_MOCK_MAX_BODY_BYTES_IN_FLIGHT": "8_388_608"}, ""},

		{[]string{"--max-body-bytes-in-flight", "0"}, nil,
			"--max-body-bytes-in-flight must not be zero; leave it out for the default, 67108864"},
		{[]string{"--max-body-bytes-in-flight", "-1"}, nil,
			"--max-body-bytes-in-flight must be between --max-body-bytes (1048576) and 1073741824, got -1"},
		{[]string{"--max-body-bytes-in-flight", "1048575"}, nil,
			"--max-body-bytes-in-flight must be between --max-body-bytes (1048576) and 1073741824, got 1048575"},
		{[]string{"--max-body-bytes-in-flight", "1073741825"}, nil,
			"--max-body-bytes-in-flight must be between --max-body-bytes (1048576) and 1073741824, got 1073741825"},
		{[]string{"--max-body-bytes", "16777216"}, map[string]string{"BENJI_MOCK_MAX_BODY_BYTES_IN_FLIGHT": "16777215"},
			"BENJI_MOCK_MAX_BODY_BYTES_IN_FLIGHT must be between --max-body-bytes (16777216) and 1073741824, got 16777215"},
		{nil, map[string]string{"BENJI_MOCK_MAX_BODY_BYTES_IN_FLIGHT": "64MiB"},
			`BENJI_MOCK_MAX_BODY_BYTES_IN_FLIGHT="64MiB": not a whole number`},
	} {
		cfg, err := parseConfig(tc.args, env(tc.env), io.Discard)
		if tc.want != "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("args %q env %v: error %v, want one containing %q", tc.args, tc.env, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("args %q env %v refused: %v", tc.args, tc.env, err)
			continue
		}
		if _, err := mockserver.New(cfg.baseOptions(nil)); err != nil {
			t.Errorf("args %q env %v accepted here but mockserver.New refuses it: %v", tc.args, tc.env, err)
		}
	}
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.baseOptions(nil).MaxBodyBytesInFlight; got != mockserver.DefaultMaxBodyBytesInFlight {
		t.Errorf("the default budget is %d, want mockserver's %d", got, mockserver.DefaultMaxBodyBytesInFlight)
	}
}

// The binary refuses a budget under one body before it starts, exit 2.
func TestRunRefusesABudgetUnderOneBody(t *testing.T) {
	var stderr strings.Builder
	code := run([]string{"--addr", "256.0.0.1:0", "--max-body-bytes-in-flight", "1000"}, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--max-body-bytes-in-flight must be between") {
		t.Errorf("exit %d, stderr %.300q; want 2 and the reason", code, stderr.String())
	}
}
