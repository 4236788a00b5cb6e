package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/buildversion"
	"github.com/benjiconnect/benji/mockserver"
)

// env returns a lookupEnv that sees only vars.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestConfigDefaultsServeANewcomer(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	opts := cfg.baseOptions(nil)
	if cfg.addr != "127.0.0.1:4010" || len(opts.Tokens) != 0 || opts.DisableAdmin || opts.AdminToken != "" ||
		opts.DisableResponseValidation || opts.MaxBodyBytes != 1<<20 {
		t.Errorf("defaults: addr %q, options %+v", cfg.addr, opts)
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
	if cfg.latency != 50*time.Millisecond || cfg.admin {
		t.Errorf("latency %s admin %v, want the environment's", cfg.latency, cfg.admin)
	}

	cfg, err = parseConfig([]string{"--tokens", "x"}, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.baseOptions(nil).Tokens; !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("--tokens x over BENJI_MOCK_TOKENS=%q: tokens %q, want [x]", vars["BENJI_MOCK_TOKENS"], got)
	}
}

// TestConfigEnvironmentTwins sets each flag's twin alone and checks that the
// value arrived where it takes effect; a flag without a row fails the test.
func TestConfigEnvironmentTwins(t *testing.T) {
	tests := []struct {
		twin, flag, value string
		got               func(*config) any
		want              any
	}{
		{"BENJI_MOCK_ADDR", "addr", "0.0.0.0:9999",
			func(c *config) any { return c.addr }, "0.0.0.0:9999"},
		{"BENJI_MOCK_TOKENS", "tokens", "a, b,,c",
			func(c *config) any { return c.baseOptions(nil).Tokens }, []string{"a", "b", "c"}},
		{"BENJI_MOCK_MAX_BODY_BYTES", "max-body-bytes", "2048",
			func(c *config) any { return c.baseOptions(nil).MaxBodyBytes }, int64(2048)},
		{"BENJI_MOCK_MAX_BODY_BYTES_IN_FLIGHT", "max-body-bytes-in-flight", "2097152",
			func(c *config) any { return c.baseOptions(nil).MaxBodyBytesInFlight }, int64(2 << 20)},
		{"BENJI_MOCK_LATENCY", "latency", "50ms",
			func(c *config) any { return c.baseOptions(nil).Latency }, 50 * time.Millisecond},
		{"BENJI_MOCK_LATENCY_JITTER", "latency-jitter", "20ms",
			func(c *config) any { return c.baseOptions(nil).LatencyJitter }, 20 * time.Millisecond},
		{"BENJI_MOCK_JOURNAL_SIZE", "journal-size", "42",
			func(c *config) any { return c.baseOptions(nil).JournalSize }, 42},
		{"BENJI_MOCK_ADMIN", "admin", "false",
			func(c *config) any { return c.baseOptions(nil).DisableAdmin }, true},
		{"BENJI_MOCK_ADMIN_TOKEN", "admin-token", "s3cret",
			func(c *config) any { return c.baseOptions(nil).AdminToken }, "s3cret"},
		{"BENJI_MOCK_ADMIN_HOSTS", "admin-hosts", "devbox.example.com, mock.internal",
			func(c *config) any { return []string(c.baseOptions(nil).AdminHosts) }, []string{"devbox.example.com", "mock.internal"}},
		{"BENJI_MOCK_VALIDATE_RESPONSES", "validate-responses", "false",
			func(c *config) any { return c.baseOptions(nil).DisableResponseValidation }, true},
		{"BENJI_MOCK_LOG_FORMAT", "log-format", "json",
			func(c *config) any { return json.Valid(logLine(c)) }, true},
		{"BENJI_MOCK_LOG_LEVEL", "log-level", "debug",
			func(c *config) any { return c.logger(io.Discard).Enabled(context.Background(), slog.LevelDebug) }, true},
		{"BENJI_MOCK_SHUTDOWN_TIMEOUT", "shutdown-timeout", "1m",
			func(c *config) any { return c.baseOptions(nil).ShutdownTimeout }, time.Minute},
		{"BENJI_MOCK_PPROF_ADDR", "pprof-addr", "127.0.0.1:6060",
			func(c *config) any { return c.pprofAddr }, "127.0.0.1:6060"},
		{"BENJI_MOCK_VERSION", "version", "true",
			func(c *config) any { return c.version }, true},
		{"BENJI_MOCK_UPSTREAM", "upstream", "https://api-staging.withbenji.com",
			func(c *config) any { o, _, _ := c.options(nil); return o.Upstream }, "https://api-staging.withbenji.com"},
		{"BENJI_MOCK_UPSTREAM_TIMEOUT", "upstream-timeout", "5s",
			func(c *config) any { return c.upstreamTimeout }, 5 * time.Second},
		{"BENJI_MOCK_UPSTREAM_CA", "upstream-ca", "/etc/ca.pem",
			func(c *config) any { return c.upstreamCA }, "/etc/ca.pem"},
		{"BENJI_MOCK_UPSTREAM_ALLOW_HTTP", "upstream-allow-http", "true",
			func(c *config) any { return c.upstreamAllowHTTP }, true},
		{"BENJI_MOCK_REFUSE_INVALID", "refuse-invalid", "true",
			func(c *config) any { return c.refuseInvalid }, true},
		{"BENJI_MOCK_RECORD", "record", "/tmp/exchanges.jsonl",
			func(c *config) any { return c.record }, "/tmp/exchanges.jsonl"},
		{"BENJI_MOCK_REPLAY", "replay", "staging.jsonl, extra.jsonl",
			func(c *config) any { return c.baseOptions(nil).Replay }, []string{"staging.jsonl", "extra.jsonl"}},
	}
	rows := map[string]bool{}
	for _, tt := range tests {
		rows[tt.flag] = true
	}
	(&config{}).flagSet(io.Discard).VisitAll(func(f *flag.Flag) {
		if !rows[f.Name] {
			t.Errorf("flag --%s has no row in this table", f.Name)
		}
	})

	defaults, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.twin, func(t *testing.T) {
			if got := tt.got(defaults); reflect.DeepEqual(got, tt.want) {
				t.Fatalf("the default already gives %v: the row proves nothing", got)
			}
			cfg, err := parseConfig(nil, env(map[string]string{tt.twin: tt.value}), io.Discard)
			if err != nil {
				t.Fatalf("%s=%s: %v", tt.twin, tt.value, err)
			}
			if got := tt.got(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s=%s gave %#v, want %#v", tt.twin, tt.value, got, tt.want)
			}
		})
	}
}

// logLine returns one line as cfg's logger writes it.
func logLine(cfg *config) []byte {
	var buf bytes.Buffer
	cfg.logger(&buf).Info("hello", "n", 1)
	return buf.Bytes()
}

func TestConfigRejectsNonsense(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // part of the error
	}{
		{[]string{"--log-format", "xml"}, nil, "--log-format must be text or json"},
		{[]string{"stray"}, nil, `unexpected argument "stray"`},
		{nil, map[string]string{"BENJI_MOCK_LATENCY": "soon"}, `BENJI_MOCK_LATENCY="soon"`},

		{[]string{"--max-body-bytes", "0"}, nil, "--max-body-bytes must not be zero; leave it out for the default, 1048576"},
		{[]string{"--max-body-bytes", "-1"}, nil, "--max-body-bytes must be between 1 and 16777216, got -1"},
		{[]string{"--max-body-bytes", "16777217"}, nil, "--max-body-bytes must be between 1 and 16777216, got 16777217"},
		{nil, map[string]string{"BENJI_MOCK_MAX_BODY_BYTES": "16777217"}, "BENJI_MOCK_MAX_BODY_BYTES must be between 1 and 16777216, got 16777217"},
		{nil, map[string]string{"BENJI_MOCK_MAX_BODY_BYTES": "0"}, "BENJI_MOCK_MAX_BODY_BYTES must not be zero; leave it out for the default, 1048576"},
		{[]string{"--max-body-bytes", "200000000000"}, nil, "--max-body-bytes must be between 1 and 16777216, got 200000000000"},
		{[]string{"--max-body-bytes", "2e11"}, nil, `invalid value "2e11" for flag -max-body-bytes: not a whole number`},
		{nil, map[string]string{"BENJI_MOCK_MAX_BODY_BYTES": "2e11"}, `BENJI_MOCK_MAX_BODY_BYTES="2e11": not a whole number`},
		{[]string{"--max-body-bytes", "99999999999999999999"}, nil, "-max-body-bytes: out of range"},

		{[]string{"--journal-size", "0"}, nil, "--journal-size must not be zero; leave it out for the default, 1000"},
		{[]string{"--journal-size", "-1"}, nil, "--journal-size must be between 1 and 10000, got -1"},
		{[]string{"--journal-size", "10001"}, nil, "--journal-size must be between 1 and 10000, got 10001"},
		{nil, map[string]string{"BENJI_MOCK_JOURNAL_SIZE": "1000000000"}, "BENJI_MOCK_JOURNAL_SIZE must be between 1 and 10000, got 1000000000"},
		{nil, map[string]string{"BENJI_MOCK_JOURNAL_SIZE": "-5"}, "BENJI_MOCK_JOURNAL_SIZE must be between 1 and 10000, got -5"},
		// The command line wins over the environment, and the error names it.
		{[]string{"--journal-size", "20000"}, map[string]string{"BENJI_MOCK_JOURNAL_SIZE": "5"}, "--journal-size must be between 1 and 10000, got 20000"},
		{[]string{"--journal-size", "1e4"}, nil, "-journal-size: not a whole number"},

		{[]string{"--latency", "-1ms"}, nil, "--latency must not be negative, got -1ms"},
		{[]string{"--latency-jitter", "-1ms"}, nil, "--latency-jitter must not be negative, got -1ms"},
		{nil, map[string]string{"BENJI_MOCK_LATENCY_JITTER": "-1s"}, "BENJI_MOCK_LATENCY_JITTER must not be negative, got -1s"},
		{[]string{"--latency", "31s"}, nil, "--latency plus --latency-jitter must be at most 30s, got 31s + 0s"},
		{[]string{"--latency-jitter", "31s"}, nil, "--latency plus --latency-jitter must be at most 30s, got 0s + 31s"},
		{[]string{"--latency", "20s", "--latency-jitter", "10s1ns"}, nil, "must be at most 30s, got 20s + 10.000000001s"},
		{nil, map[string]string{"BENJI_MOCK_LATENCY": "20s", "BENJI_MOCK_LATENCY_JITTER": "20s"}, "must be at most 30s, got 20s + 20s"},
		// The sum of these overflows time.Duration.
		{[]string{"--latency", "10s", "--latency-jitter", "2562047h47m16s"}, nil, "--latency plus --latency-jitter must be at most 30s"},

		{[]string{"--shutdown-timeout", "0s"}, nil, "--shutdown-timeout must not be zero; leave it out for the default, 10s"},
		{[]string{"--shutdown-timeout", "-1s"}, nil, "--shutdown-timeout must be positive and at most 10m0s, got -1s"},
		{[]string{"--shutdown-timeout", "10m1s"}, nil, "--shutdown-timeout must be positive and at most 10m0s, got 10m1s"},
		{[]string{"--admin-token", " "}, nil, "--admin-token must not begin or end with spaces or hold control characters: no Authorization header could carry it"},
		{[]string{"--admin-token", "sec\x01ret"}, nil, "--admin-token must not begin or end with spaces or hold control characters: no Authorization header could carry it"},
		{nil, map[string]string{"BENJI_MOCK_ADMIN_TOKEN": "secret "}, "BENJI_MOCK_ADMIN_TOKEN must not begin or end with spaces or hold control characters: no Authorization header could carry it"},
		{nil, map[string]string{"BENJI_MOCK_SHUTDOWN_TIMEOUT": "1h"}, "BENJI_MOCK_SHUTDOWN_TIMEOUT must be positive and at most 10m0s, got 1h0m0s"},
		{nil, map[string]string{"BENJI_MOCK_SHUTDOWN_TIMEOUT": "0"}, "BENJI_MOCK_SHUTDOWN_TIMEOUT must not be zero; leave it out for the default, 10s"},
		// Every problem is said, not only the first.
		{[]string{"--journal-size", "20000", "--latency", "-1s"}, nil, "--journal-size must be between 1 and 10000, got 20000; --latency must not be negative, got -1s"},
		{[]string{"--admin-hosts", "devbox:4010"}, nil, `--admin-hosts must hold host names without a port (IP addresses pass anyway), got "devbox:4010"`},
	} {
		_, err := parseConfig(tc.args, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("args %q env %v: error %v, want one containing %q", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestConfigAcceptsTheLimits(t *testing.T) {
	for _, args := range [][]string{
		{"--max-body-bytes", "1"},
		{"--max-body-bytes", "16777216"},
		{"--max-body-bytes", "16_777_216"},
		{"--journal-size", "1"},
		{"--journal-size", "10000"},
		{"--latency", "30s"},
		{"--latency-jitter", "30s"},
		{"--latency", "10s", "--latency-jitter", "20s"},
		{"--shutdown-timeout", "1ns"},
		{"--shutdown-timeout", "10m"},
	} {
		cfg, err := parseConfig(args, env(nil), io.Discard)
		if err != nil {
			t.Errorf("%q refused: %v", args, err)
			continue
		}
		if _, err := mockserver.New(cfg.baseOptions(nil)); err != nil {
			t.Errorf("%q accepted here but mockserver.New refuses it: %v", args, err)
		}
	}
}

// TestRunRefusesBadConfigurationBeforeStarting checks the exit code and the
// message a user sees, and that the admin token is not in them. The address
// cannot be listened on, so a row that is wrongly accepted fails rather than
// serves.
func TestRunRefusesBadConfigurationBeforeStarting(t *testing.T) {
	const token = "tok-3f9a-do-not-print"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"flag", []string{"--admin-token", token, "--journal-size", "1000000000"}, nil,
			"benji-mock: --journal-size must be between 1 and 10000, got 1000000000"},
		{"environment", nil, map[string]string{"BENJI_MOCK_ADMIN_TOKEN": token, "BENJI_MOCK_MAX_BODY_BYTES": "2e11"},
			`benji-mock: BENJI_MOCK_MAX_BODY_BYTES="2e11": not a whole number`},
		{"unparsable flag prints usage", []string{"--admin-token", token, "--max-body-bytes", "2e11"}, nil,
			`benji-mock: invalid value "2e11" for flag -max-body-bytes: not a whole number`},
		{"unknown flag", []string{"--admin-token=" + token, "--admin-tokn=" + token}, nil,
			"benji-mock: flag provided but not defined: -admin-tokn"},
		{"plain http upstream elsewhere", []string{"--admin-token", token, "--upstream", "http://staging.internal:8080"}, nil,
			"plain http on a host that is not a loopback address"},
		{"upstream with tokens", []string{"--admin-token", token, "--upstream", "https://api-staging.withbenji.com", "--tokens", "a"}, nil,
			"--tokens must be empty when --upstream is set: the upstream decides which bearer tokens it accepts"},
		{"record without upstream", []string{"--admin-token", token, "--record", "x.jsonl"}, nil,
			"need --upstream"},
		{"missing CA file", []string{"--admin-token", token, "--upstream", "https://api-staging.withbenji.com", "--upstream-ca", "/nonexistent/ca.pem"}, nil,
			"--upstream-ca: open /nonexistent/ca.pem"},
		{"upstream timeout of zero", []string{"--admin-token", token, "--upstream", "https://api-staging.withbenji.com", "--upstream-timeout", "0s"}, nil,
			"--upstream-timeout must not be zero; leave it out for the default, 30s"},
		{"upstream timeout over its bound", []string{"--admin-token", token, "--upstream", "https://api-staging.withbenji.com", "--upstream-timeout", "5m"}, nil,
			"--upstream-timeout must be positive and at most 1m0s, got 5m0s"},
		{"upstream timeout and latency past the budget", []string{"--admin-token", token, "--upstream", "https://api-staging.withbenji.com", "--upstream-timeout", "1m", "--latency", "30s"}, nil,
			"--latency, --latency-jitter and --upstream-timeout must add up to at most 1m25s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stderr bytes.Buffer
			code := run(append(tt.args, "--addr", "256.0.0.1:bad"), io.Discard, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr.String(), tt.want)
			}
			if strings.Contains(stderr.String(), "tok-3f9a") {
				t.Errorf("the admin token is in stderr:\n%s", stderr.String())
			}
		})
	}
}

func TestListeningLineShowsWhetherButNeverWhichAdminToken(t *testing.T) {
	const token = "tok-3f9a-do-not-print"
	tests := []struct {
		format, token, want string
	}{
		{"text", token, " admin_token=true "},
		{"text", "", " admin_token=false "},
		{"json", token, `"admin_token":true,`},
		{"json", "", `"admin_token":false,`},
	}
	for _, tt := range tests {
		cfg, err := parseConfig([]string{"--log-format", tt.format, "--admin-token", tt.token}, env(nil), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		cfg.logger(&buf).Info("benji-mock listening", cfg.listeningAttrs("127.0.0.1:4010", "contract-1")...)
		line := buf.String()
		if !strings.Contains(line, tt.want) || !strings.Contains(line, "127.0.0.1:4010") {
			t.Errorf("%s, token %q: line %q, want %q and the address", tt.format, tt.token, line, tt.want)
		}
		if strings.Contains(line, "tok-3f9a") {
			t.Errorf("%s: the admin token is in the line %q", tt.format, line)
		}
	}
}

func TestSecretHidesItselfWhereverItIsPrinted(t *testing.T) {
	var s secret
	if err := s.Set("tok-3f9a-do-not-print"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "token", s, "ptr", &s)
	for name, out := range map[string]string{
		"%v":   fmt.Sprintf("%v", s),
		"%s":   fmt.Sprintf("%s", &s), //lint:ignore S1025 the test is of what fmt prints for %s
		"%#v":  fmt.Sprintf("%#v", s),
		"%+v":  fmt.Sprintf("%+v", s),
		"slog": logs.String(),
	} {
		if strings.Contains(out, "tok-3f9a") {
			t.Errorf("%s prints the secret: %q", name, out)
		}
	}
	// Any handler, not only slog's own, sees what LogValue gives.
	if v := slog.AnyValue(s).Resolve(); v.Kind() != slog.KindString || v.String() != "[redacted]" {
		t.Errorf("slog resolves a secret to %s %q, want the string [redacted]", v.Kind(), v.String())
	}
	if s.reveal() != "tok-3f9a-do-not-print" || !s.set() {
		t.Errorf("reveal() = %q, set() = %v; want the token, true", s.reveal(), s.set())
	}
}

func TestHealthcheckExitsZeroOnlyForARunningMock(t *testing.T) {
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

func TestVersionFlagPrintsTheBuildsVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--version"}, &out, io.Discard); code != 0 || out.String() != "benji-mock "+buildversion.Current()+"\n" {
		t.Errorf("--version exited %d printing %q, want the build's version", code, out.String())
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

func TestMemoryLimitLeavesGOMEMLIMITToTheUser(t *testing.T) {
	tests := []struct {
		env   map[string]string
		limit int64
		set   bool
	}{
		{env: nil, limit: defaultMemoryLimit, set: true},
		{env: map[string]string{"GOGC": "100"}, limit: defaultMemoryLimit, set: true},
		{env: map[string]string{"GOMEMLIMIT": "1GiB"}, set: false},
		{env: map[string]string{"GOMEMLIMIT": "off"}, set: false},
	}
	for _, tt := range tests {
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		limit, set := memoryLimit(lookup)
		if limit != tt.limit || set != tt.set {
			t.Errorf("env %v: memoryLimit = %d, %v; want %d, %v", tt.env, limit, set, tt.limit, tt.set)
		}
	}
}

// Every field of mockserver.Options that a flag sets is named by that flag
// in an error (optionName), and the flag exists: a field added to Options
// and given a flag must be added to optionName too.
func TestEveryOptionWithAFlagIsNamedByIt(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	fs := cfg.flagSet(io.Discard)
	noFlagOfItsOwn := map[string]bool{"DisableAdmin": true, "DisableResponseValidation": true, "Logger": true} // --admin, --validate-responses; no error names them
	options := reflect.TypeFor[mockserver.Options]()
	for i := range options.NumField() {
		field := options.Field(i).Name
		if noFlagOfItsOwn[field] {
			continue
		}
		name := cfg.optionName(field)
		if !strings.HasPrefix(name, "--") || fs.Lookup(strings.TrimPrefix(name, "--")) == nil {
			t.Errorf("Options.%s is named %q in errors, want a flag of benji-mock", field, name)
		}
	}
}
