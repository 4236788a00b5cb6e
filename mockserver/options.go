package mockserver

import (
	"log/slog"
	"time"
)

// Defaults for the zero Options.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultJournalSize     = 1000
	DefaultShutdownTimeout = 10 * time.Second
)

// Options configures a Server. The zero value is a mock that accepts any
// non-empty bearer token, with validation of both directions, the journal and
// the admin API on.
type Options struct {
	// Tokens lists the bearer tokens the mock accepts. Empty means any
	// non-empty token.
	Tokens []string
	// MaxBodyBytes bounds a request body; a larger one gets 413. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Latency is added to every answer of the API, plus a uniformly random
	// extra of up to LatencyJitter.
	Latency       time.Duration
	LatencyJitter time.Duration
	// JournalSize bounds the request journal. Zero means DefaultJournalSize.
	JournalSize int
	// DisableAdmin turns off the admin API under /__mock/. The Go handles
	// on Server keep working.
	DisableAdmin bool
	// DisableResponseValidation stops checking the mock's own answers against
	// the contract. Leave it off: it is what makes a mock bug visible.
	DisableResponseValidation bool
	// Logger receives one line per request. Nil means no logs.
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Serve waits for requests in flight once
	// its context is done. Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.JournalSize <= 0 {
		o.JournalSize = DefaultJournalSize
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Latency < 0 {
		o.Latency = 0
	}
	if o.LatencyJitter < 0 {
		o.LatencyJitter = 0
	}
	return o
}
