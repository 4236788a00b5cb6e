package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/benjiconnect/benji/internal/loghandler"
	"github.com/benjiconnect/benji/mockserver"
)

// config is what the flags and environment say.
type config struct {
	addr          string
	tokens        []string
	maxBodyBytes  int64
	latency       time.Duration
	latencyJitter time.Duration
	journalSize   int
	noAdmin       bool
	noRespCheck   bool
	logFormat     string
	logLevel      slog.Level
	shutdown      time.Duration
	pprofAddr     string
	version       bool
}

var errHelp = errors.New("help requested")

// parseConfig reads flags, each with a BENJI_MOCK_* environment twin; a flag
// given on the command line wins over its twin.
func parseConfig(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("benji-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tokens string
	admin, validateResponses := true, true
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:4010", "address to listen on (0.0.0.0:4010 in a container)")
	fs.StringVar(&tokens, "tokens", "", "comma-separated bearer tokens to accept (default: any non-empty token)")
	fs.Int64Var(&cfg.maxBodyBytes, "max-body-bytes", mockserver.DefaultMaxBodyBytes, "largest request body accepted; larger gets 413")
	fs.DurationVar(&cfg.latency, "latency", 0, "latency added to every API answer, e.g. 50ms")
	fs.DurationVar(&cfg.latencyJitter, "latency-jitter", 0, "random extra latency of up to this much")
	fs.IntVar(&cfg.journalSize, "journal-size", mockserver.DefaultJournalSize, "how many requests the journal keeps")
	fs.BoolVar(&admin, "admin", true, "serve the admin API under /__mock/")
	fs.BoolVar(&validateResponses, "validate-responses", true, "check every answer against the contract")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "log format: text or json")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.DurationVar(&cfg.shutdown, "shutdown-timeout", mockserver.DefaultShutdownTimeout, "how long requests in flight may take after SIGTERM")
	fs.StringVar(&cfg.pprofAddr, "pprof-addr", "", "serve Go's pprof endpoints on this address (off when empty; for profiling)")
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")

	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "BENJI_MOCK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := lookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
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
	for _, t := range strings.Split(tokens, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.tokens = append(cfg.tokens, t)
		}
	}
	cfg.noAdmin, cfg.noRespCheck = !admin, !validateResponses
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return nil, fmt.Errorf("--log-format must be text or json, got %q", cfg.logFormat)
	}
	if cfg.maxBodyBytes <= 0 {
		return nil, fmt.Errorf("--max-body-bytes must be positive, got %d", cfg.maxBodyBytes)
	}
	if cfg.journalSize <= 0 {
		return nil, fmt.Errorf("--journal-size must be positive, got %d", cfg.journalSize)
	}
	return cfg, nil
}

func (cfg *config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	// loghandler writes what slog's handlers write, faster for the
	// per-request line.
	if cfg.logFormat == "json" {
		return slog.New(loghandler.NewJSON(w, opts))
	}
	return slog.New(loghandler.NewText(w, opts))
}

func (cfg *config) options(logger *slog.Logger) mockserver.Options {
	return mockserver.Options{
		Tokens:                    cfg.tokens,
		MaxBodyBytes:              cfg.maxBodyBytes,
		Latency:                   cfg.latency,
		LatencyJitter:             cfg.latencyJitter,
		JournalSize:               cfg.journalSize,
		DisableAdmin:              cfg.noAdmin,
		DisableResponseValidation: cfg.noRespCheck,
		Logger:                    logger,
		ShutdownTimeout:           cfg.shutdown,
	}
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

// version is the module version the binary was built from ("(devel)" for a
// build from a checkout), plus the VCS revision when the build recorded it.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
