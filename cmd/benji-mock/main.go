// Command benji-mock runs the contract-validated fake Benji Connect API.
//
//	benji-mock [flags]              serve (default 127.0.0.1:4010)
//	benji-mock healthcheck [flags]  exit 0 when the mock at --addr is healthy
//	benji-mock verify [--json] FILE...  check a record against the contract
//	benji-mock --version            print the version
//
// Every flag has an environment twin: --max-body-bytes is
// BENJI_MOCK_MAX_BODY_BYTES. Flags win over the environment.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime/debug"

	"github.com/benjiconnect/benji/internal/profiling"
	"github.com/benjiconnect/benji/mockserver"
)

// main sets the GC target and the memory limit, and exits with run's code.
func main() {
	if percent, ok := gcPercent(os.LookupEnv); ok {
		debug.SetGCPercent(percent)
	}
	if limit, ok := memoryLimit(os.LookupEnv); ok {
		debug.SetMemoryLimit(limit)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// defaultGCPercent is the mock's garbage-collection target when GOGC is not
// set. With Go's default, 100, the heap target sits at its 4 MB floor while
// the contract and the journal take a good part of it, so a loaded mock
// collects hundreds of times a second. 400 makes that about seven times
// fewer, for a 16 MB heap target (about 32 MB resident under load);
// docs/performance.md has the figures.
const defaultGCPercent = 400

// gcPercent returns the GC percent to set: defaultGCPercent, unless GOGC
// is in the environment, where Go's runtime has already read it.
func gcPercent(lookupEnv func(string) (string, bool)) (int, bool) {
	if _, set := lookupEnv("GOGC"); set {
		return 0, false
	}
	return defaultGCPercent, true
}

// defaultMemoryLimit is the mock's soft memory limit when GOMEMLIMIT is not
// set. GOGC=400 lets the heap grow to five times what is live, which is
// 32 MB under ordinary load but would be gigabytes while many clients send
// bodies of a megabyte at once; near this limit the collector runs sooner
// instead. docs/reliability.md has the figures.
const defaultMemoryLimit = 256 << 20

// memoryLimit returns the soft memory limit to set: defaultMemoryLimit,
// unless GOMEMLIMIT is in the environment, where Go's runtime has already
// read it.
func memoryLimit(lookupEnv func(string) (string, bool)) (int64, bool) {
	if _, set := lookupEnv("GOMEMLIMIT"); set {
		return 0, false
	}
	return defaultMemoryLimit, true
}

// run is the command with its arguments and outputs, returning the exit code:
// 2 for a configuration it refuses, before anything starts. Every path that
// logs closes the log writer before it returns, so no line is lost.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "verify" {
		return runVerify(context.Background(), args[1:], stdout, stderr)
	}
	healthcheck := len(args) > 0 && args[0] == "healthcheck"
	if healthcheck {
		args = args[1:]
	}
	cfg, err := parseConfig(args, os.LookupEnv, stderr)
	if err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "benji-mock:", err)
		return 2
	}
	switch {
	case cfg.version:
		fmt.Fprintln(stdout, "benji-mock", version())
		return 0
	case healthcheck:
		if err := checkHealth(cfg.addr); err != nil {
			fmt.Fprintln(stderr, "benji-mock healthcheck:", err)
			return 1
		}
		return 0
	}

	logs := newLogWriter(stderr)
	defer logs.Close()
	logger := cfg.logger(logs)
	opts, record, err := cfg.options(logger)
	if err != nil {
		logger.Error("start", "error", err)
		return 2
	}
	defer record.Close()
	server, err := mockserver.New(opts)
	if err != nil {
		logger.Error("start", "error", err)
		if errors.Is(err, mockserver.ErrInvalidOptions) {
			return 2
		}
		return 1
	}
	// Every line goes through the mock's logger, in its format and
	// redacted: net/http's Transport, among others, writes to the standard
	// log package.
	restoreLog := redirectStandardLog(server.LogWriter())
	defer restoreLog()
	if cfg.pprofAddr != "" {
		if err := profiling.Start(cfg.pprofAddr); err != nil {
			logger.Error("pprof", "addr", cfg.pprofAddr, "error", err)
			return 1
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		logger.Error("listen", "addr", cfg.addr, "error", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := watchSignals(logger, cancel, server.Stop)
	defer release()
	logger.Info("benji-mock listening", cfg.listeningAttrs(ln.Addr().String(), server.ContractID())...)
	if err := server.Serve(ctx, ln); err != nil {
		logger.Error("serve", "error", err)
		return 1
	}
	logger.Info("benji-mock stopped")
	return 0
}

// redirectStandardLog points the standard log package at w, without its
// date and time (the logger adds its own), and returns what puts it back.
func redirectStandardLog(w io.Writer) (restore func()) {
	out, flags, prefix := log.Writer(), log.Flags(), log.Prefix()
	log.SetOutput(w)
	log.SetFlags(0)
	log.SetPrefix("")
	return func() {
		log.SetOutput(out)
		log.SetFlags(flags)
		log.SetPrefix(prefix)
	}
}
