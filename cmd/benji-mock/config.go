package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/benjiconnect/benji/internal/buildversion"
	"github.com/benjiconnect/benji/mockserver"
)

// config is what the flags and environment say. Each field is bound to one
// flag by flagSet.
type config struct {
	addr              string
	tokens            tokenList
	maxBodyBytes      int64
	bodyBytesInFlight int64
	latency           time.Duration
	latencyJitter     time.Duration
	journalSize       int
	admin             bool
	adminToken        secret
	adminHosts        tokenList
	validateResponses bool
	logFormat         string
	logLevel          slog.Level
	shutdown          time.Duration
	pprofAddr         string
	version           bool
	upstream          string
	upstreamTimeout   time.Duration
	upstreamCA        string
	upstreamAllowHTTP bool
	refuseInvalid     bool
	record            string
	replay            tokenList
	// fromEnv holds the names of the flags whose value came from their
	// environment twin, not the command line: errors name the twin.
	fromEnv map[string]bool
}

// errHelp is what parseConfig returns for -h: the usage is printed, and the
// command exits 0.
var errHelp = errors.New("help requested")

// envPrefix starts the name of every flag's environment twin.
const envPrefix = "BENJI_MOCK_"

// envName returns the environment twin of the flag called name:
// max-body-bytes is BENJI_MOCK_MAX_BODY_BYTES.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// flagSet returns the command's flags, bound to cfg's fields and set to their
// defaults.
func (cfg *config) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("benji-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.maxBodyBytes = mockserver.DefaultMaxBodyBytes
	cfg.bodyBytesInFlight = mockserver.DefaultMaxBodyBytesInFlight
	cfg.journalSize = mockserver.DefaultJournalSize
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:4010", "address to listen on (0.0.0.0:4010 in a container)")
	fs.Var(&cfg.tokens, "tokens", "comma-separated bearer `tokens` to accept (default: any non-empty token)")
	fs.Var(wholeNumber[int64]{&cfg.maxBodyBytes}, "max-body-bytes",
		fmt.Sprintf("largest request body accepted in `bytes`, at most %d; larger gets 413", mockserver.MaxMaxBodyBytes))
	fs.Var(wholeNumber[int64]{&cfg.bodyBytesInFlight}, "max-body-bytes-in-flight",
		fmt.Sprintf("budget of request bodies held in memory at once, in `bytes`, from --max-body-bytes to %d; past it a request gets 429 with Retry-After", mockserver.MaxMaxBodyBytesInFlight))
	fs.DurationVar(&cfg.latency, "latency", 0, "latency added to every API answer, e.g. 50ms")
	fs.DurationVar(&cfg.latencyJitter, "latency-jitter", 0,
		fmt.Sprintf("random extra latency of up to this much; with --latency at most %s", mockserver.MaxLatency))
	fs.Var(wholeNumber[int]{&cfg.journalSize}, "journal-size",
		fmt.Sprintf("how many `requests` the journal keeps, at most %d", mockserver.MaxJournalSize))
	fs.BoolVar(&cfg.admin, "admin", true, "serve the admin API and the request inspector under /__mock/")
	fs.Var(&cfg.adminToken, "admin-token", "bearer `token` the admin API and the request inspector require (default: open)")
	fs.Var(&cfg.adminHosts, "admin-hosts", "comma-separated host `names` under which the open admin API and inspector answer, beyond IP addresses, localhost and names without a dot")
	fs.BoolVar(&cfg.validateResponses, "validate-responses", true, "check every answer against the contract")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "log format: text or json")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.DurationVar(&cfg.shutdown, "shutdown-timeout", mockserver.DefaultShutdownTimeout,
		fmt.Sprintf("how long requests in flight may take after SIGTERM, at most %s; a second signal cuts them", mockserver.MaxShutdownTimeout))
	fs.StringVar(&cfg.pprofAddr, "pprof-addr", "", "serve Go's pprof endpoints on this address (off when empty; for profiling)")
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")
	fs.StringVar(&cfg.upstream, "upstream", "",
		"proxy mode: forward API requests to the real API at this `URL` (e.g. https://api-staging.withbenji.com) and check its answers")
	fs.DurationVar(&cfg.upstreamTimeout, "upstream-timeout", mockserver.DefaultUpstreamTimeout,
		fmt.Sprintf("proxy mode: longest exchange with the upstream, at most %s; past it the caller gets 504", mockserver.MaxUpstreamTimeout))
	fs.StringVar(&cfg.upstreamCA, "upstream-ca", "", "proxy mode: PEM `file` of certificate authorities trusted for the upstream, beside the system's")
	fs.BoolVar(&cfg.upstreamAllowHTTP, "upstream-allow-http", false,
		"proxy mode: allow a plain http upstream that is not on loopback (the bearer token then crosses the network in clear text)")
	fs.BoolVar(&cfg.refuseInvalid, "refuse-invalid", false, "proxy and replay mode: answer requests that break the contract with the mock's own 400/401/415 instead of forwarding them or answering them from the record")
	fs.StringVar(&cfg.record, "record", "", "proxy mode: append each exchange with the upstream, without credentials, as a JSON line to this `file`")
	fs.Var(&cfg.replay, "replay", "answer requests recorded in these comma-separated record `files` (what --record writes) with the answers recorded, checked against the contract; others as without it")
	return fs
}

// parseConfig reads flags, each with a BENJI_MOCK_* environment twin; a flag
// given on the command line wins over its twin. It refuses values outside
// mockserver's bounds, so that a typo fails at start-up and not under load.
func parseConfig(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (*config, error) {
	cfg := &config{fromEnv: map[string]bool{}}
	fs := cfg.flagSet(stderr)
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v, ok := lookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
			cfg.fromEnv[f.Name] = true
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { delete(cfg.fromEnv, f.Name) }) // the command line wins
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// check refuses what the flags alone get wrong (a log format it does not
// know, a zero where the flag has a default), then asks mockserver about
// the rest, so that a configuration is refused at start-up and every bound
// is checked in one place (mockserver.Options.Validate), its errors naming
// the flags.
func (cfg *config) check() error {
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return fmt.Errorf("%s must be text or json, got %q", cfg.flagName("log-format"), cfg.logFormat)
	}
	// mockserver.Options reads zero as its default; on the command line a
	// zero is a mistake.
	for _, z := range []struct {
		flag      string
		zero      bool
		byDefault any
	}{
		{"max-body-bytes", cfg.maxBodyBytes == 0, mockserver.DefaultMaxBodyBytes},
		{"max-body-bytes-in-flight", cfg.bodyBytesInFlight == 0, mockserver.DefaultMaxBodyBytesInFlight},
		{"journal-size", cfg.journalSize == 0, mockserver.DefaultJournalSize},
		{"shutdown-timeout", cfg.shutdown == 0, mockserver.DefaultShutdownTimeout},
		{"upstream-timeout", cfg.upstreamTimeout == 0, mockserver.DefaultUpstreamTimeout},
	} {
		if z.zero {
			return fmt.Errorf("%s must not be zero; leave it out for the default, %v", cfg.flagName(z.flag), z.byDefault)
		}
	}
	return cfg.explain(cfg.proxyOptions(cfg.baseOptions(nil)).Validate())
}

// explain returns err with each mockserver.OptionError in it said in terms
// of the flags, or err itself when it holds none.
func (cfg *config) explain(err error) error {
	if err == nil {
		return nil
	}
	var problems []string
	for _, oe := range mockserver.OptionErrors(err) {
		problems = append(problems, oe.Explain(cfg.optionName))
	}
	if len(problems) == 0 {
		return err
	}
	return errors.New(strings.Join(problems, "; "))
}

// optionName names a mockserver.Options field by the flag that sets it, or
// by the flag's environment twin when the value came from there; a field
// no flag sets keeps its own name.
func (cfg *config) optionName(option string) string {
	flags := map[string]string{
		"MaxBodyBytes": "max-body-bytes", "MaxBodyBytesInFlight": "max-body-bytes-in-flight",
		"Latency": "latency", "LatencyJitter": "latency-jitter", "JournalSize": "journal-size",
		"AdminToken": "admin-token", "AdminHosts": "admin-hosts", "ShutdownTimeout": "shutdown-timeout",
		"Tokens": "tokens", "Upstream": "upstream", "UpstreamTimeout": "upstream-timeout",
		"UpstreamRootCAs": "upstream-ca", "UpstreamAllowHTTP": "upstream-allow-http",
		"RefuseInvalid": "refuse-invalid", "Record": "record", "Replay": "replay",
	}
	if flag, ok := flags[option]; ok {
		return cfg.flagName(flag)
	}
	return option
}

// flagName names the flag as the user gave it: "--journal-size", or
// BENJI_MOCK_JOURNAL_SIZE when its value came from the environment.
func (cfg *config) flagName(flag string) string {
	if cfg.fromEnv[flag] {
		return envName(flag)
	}
	return "--" + flag
}

// logger returns the logger for every line the command writes, in the
// configured format and at the configured level.
func (cfg *config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// options returns the mockserver.Options the configuration asks for. The
// record file is opened, or created, for appending; the caller closes it.
func (cfg *config) options(logger *slog.Logger) (mockserver.Options, io.Closer, error) {
	opts := cfg.proxyOptions(cfg.baseOptions(logger))
	if cfg.upstream == "" {
		// Said here, before the CA file is read or the record file made.
		if cfg.upstreamCA != "" || cfg.record != "" || cfg.refuseInvalid && len(cfg.replay) == 0 || cfg.upstreamAllowHTTP {
			return opts, nil, errors.New("--upstream-ca, --upstream-allow-http and --record need --upstream; --refuse-invalid needs --upstream or --replay")
		}
		return opts, io.NopCloser(nil), nil
	}
	if cfg.upstreamCA != "" {
		pem, err := os.ReadFile(cfg.upstreamCA)
		if err != nil {
			return opts, nil, fmt.Errorf("--upstream-ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return opts, nil, fmt.Errorf("--upstream-ca: %s holds no PEM certificate", cfg.upstreamCA)
		}
		opts.UpstreamRootCAs = pool
	}
	if cfg.record == "" {
		return opts, io.NopCloser(nil), nil
	}
	f, err := os.OpenFile(cfg.record, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return opts, nil, fmt.Errorf("--record: %w", err)
	}
	opts.Record = f
	return opts, f, nil
}

// proxyOptions returns opts with the proxy mode's flags that need no file,
// when --upstream is given.
func (cfg *config) proxyOptions(opts mockserver.Options) mockserver.Options {
	if cfg.upstream != "" {
		opts.Upstream = cfg.upstream
		opts.UpstreamTimeout = cfg.upstreamTimeout
		opts.UpstreamAllowHTTP = cfg.upstreamAllowHTTP
	}
	if cfg.upstream != "" || len(cfg.replay) > 0 {
		opts.RefuseInvalid = cfg.refuseInvalid
	}
	return opts
}

// baseOptions returns the Options of the flags every mode has.
func (cfg *config) baseOptions(logger *slog.Logger) mockserver.Options {
	return mockserver.Options{
		Tokens:                    cfg.tokens,
		MaxBodyBytes:              cfg.maxBodyBytes,
		MaxBodyBytesInFlight:      cfg.bodyBytesInFlight,
		Latency:                   cfg.latency,
		LatencyJitter:             cfg.latencyJitter,
		JournalSize:               cfg.journalSize,
		DisableAdmin:              !cfg.admin,
		AdminToken:                cfg.adminToken.reveal(),
		AdminHosts:                cfg.adminHosts,
		DisableResponseValidation: !cfg.validateResponses,
		Logger:                    logger,
		ShutdownTimeout:           cfg.shutdown,
		Replay:                    cfg.replay,
	}
}

// listeningAttrs returns the attributes of the "benji-mock listening" line:
// what a reader of the log needs to know about the running mock. It says
// whether an admin token is set, never the token.
func (cfg *config) listeningAttrs(addr, contract string) []any {
	attrs := []any{
		"addr", addr,
		"version", version(),
		"contract", contract,
		"admin", cfg.admin,
		"admin_token", cfg.adminToken.set(),
		"tokens", len(cfg.tokens),
	}
	if cfg.upstream != "" { // proxy mode; the URL holds no credentials (refused)
		attrs = append(attrs, "upstream", cfg.upstream, "upstream_timeout", cfg.upstreamTimeout, "refuse_invalid", cfg.refuseInvalid, "record", cfg.record)
	}
	if len(cfg.replay) > 0 {
		attrs = append(attrs, "replay", cfg.replay)
	}
	return attrs
}

// tokenList is a comma-separated list flag (--tokens, --admin-hosts, --replay),
// blanks dropped. Each Set replaces the list, so the flag wins over its
// twin.
type tokenList []string

// String returns the tokens joined by commas.
func (l *tokenList) String() string { return strings.Join(*l, ",") }

// Set replaces the list with the tokens in s.
func (l *tokenList) Set(s string) error {
	*l = nil
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			*l = append(*l, t)
		}
	}
	return nil
}

// secret is a flag value that must not reach a log or an error message:
// String and LogValue hide it, and Set never fails, so no parse error can
// quote it. reveal returns it for the one place that needs it.
type secret struct{ value string }

// String returns "[redacted]" for a set secret and "" for an empty one, so
// that -h shows no default.
func (s secret) String() string {
	if s.value == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the secret from %#v.
func (s secret) GoString() string { return s.String() }

// LogValue hides the secret from slog.
func (s secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Set stores v.
func (s *secret) Set(v string) error { s.value = v; return nil }

// set reports whether the secret is not empty.
func (s secret) set() bool { return s.value != "" }

// reveal returns the secret itself.
func (s secret) reveal() string { return s.value }

// wholeNumber is a flag value for an integer flag whose parse error says
// what is wanted: flag's own says only "parse error" for 2e11.
type wholeNumber[T int | int64] struct{ p *T }

// String returns the number in decimal; flag calls it on a zero value too.
func (n wholeNumber[T]) String() string {
	if n.p == nil {
		return "0"
	}
	return strconv.FormatInt(int64(*n.p), 10)
}

// Set parses s as Go's flag package does for integers, 1_000 and 0x10
// included.
func (n wholeNumber[T]) Set(s string) error {
	v, err := strconv.ParseInt(s, 0, 64)
	if errors.Is(err, strconv.ErrRange) || (err == nil && int64(T(v)) != v) {
		return errors.New("out of range")
	}
	if err != nil {
		return errors.New("not a whole number")
	}
	*n.p = T(v)
	return nil
}

// checkHealth asks the mock at addr for /healthz; a wildcard listen address
// is reached through loopback.
func checkHealth(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

// version names the build: the Docker image's VERSION build argument when
// it was linked in, else the module version Go recorded (v1.2.0 from
// go install ...@v1.2.0, a pseudo-version from a checkout).
func version() string { return buildversion.Current() }
