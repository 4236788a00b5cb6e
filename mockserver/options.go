package mockserver

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
)

// Defaults for the zero Options.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultJournalSize     = 1000
	DefaultShutdownTimeout = 10 * time.Second
)

// Bounds on Options: New refuses a configuration outside them, so that a
// typo cannot make the mock allocate gigabytes or hold requests past the
// server's write timeout.
const (
	// MaxMaxBodyBytes is the largest MaxBodyBytes: each request in flight may
	// hold a body this large in memory.
	MaxMaxBodyBytes = 16 << 20
	// MaxJournalSize is the largest JournalSize. An entry keeps at most
	// MaxEntryBytes, so a full journal holds at most about 160 MB.
	MaxJournalSize = 10_000
	// MaxLatency bounds Latency+LatencyJitter. The latency is waited after
	// the body is read, within the write timeout; what is left of it bounds
	// a queued fault's delay (Server.MaxFaultDelay).
	MaxLatency = 30 * time.Second
	// MaxShutdownTimeout bounds ShutdownTimeout.
	MaxShutdownTimeout = 10 * time.Minute
)

// Options configures a Server. The zero value is a mock that accepts any
// non-empty bearer token, with validation of both directions, the journal and
// the admin API on.
type Options struct {
	// Tokens lists the bearer tokens the mock accepts. Empty means any
	// non-empty token.
	Tokens []string
	// MaxBodyBytes bounds a request body; a larger one gets 413. Zero means
	// DefaultMaxBodyBytes; at most MaxMaxBodyBytes.
	MaxBodyBytes int64
	// Latency is added to every answer of the API, plus a uniformly random
	// extra of up to LatencyJitter. Together at most MaxLatency.
	Latency       time.Duration
	LatencyJitter time.Duration
	// JournalSize bounds the request journal in entries. Zero means
	// DefaultJournalSize; at most MaxJournalSize.
	JournalSize int
	// DisableAdmin turns off the admin API and the request inspector
	// under /__mock/. The Go handles on Server keep working.
	DisableAdmin bool
	// AdminToken, when set, protects the admin API: its requests must send
	// "Authorization: Bearer <AdminToken>", or the session cookie the
	// request inspector's token form sets. Empty leaves it open, which is
	// fine on loopback; Serve logs a warning when it is open on another
	// address.
	AdminToken string
	// DisableResponseValidation stops checking the mock's own answers against
	// the contract. Leave it off: it is what makes a mock bug visible.
	DisableResponseValidation bool
	// Logger receives one line per request. Nil means no logs.
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Serve waits for requests in flight once
	// its context is done. Zero means DefaultShutdownTimeout; at most
	// MaxShutdownTimeout.
	ShutdownTimeout time.Duration
}

// ErrInvalidOptions is wrapped by the error New returns for Options outside
// their bounds.
var ErrInvalidOptions = errors.New("invalid options")

// withDefaults fills in the zero fields and checks the bounds.
func (o Options) withDefaults() (Options, error) {
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.JournalSize == 0 {
		o.JournalSize = DefaultJournalSize
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var problems []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Errorf(format, args...))
		}
	}
	check(o.MaxBodyBytes > 0 && o.MaxBodyBytes <= MaxMaxBodyBytes,
		"MaxBodyBytes must be between 1 and %d, got %d", MaxMaxBodyBytes, o.MaxBodyBytes)
	check(o.JournalSize > 0 && o.JournalSize <= MaxJournalSize,
		"JournalSize must be between 1 and %d, got %d", MaxJournalSize, o.JournalSize)
	check(o.Latency >= 0 && o.LatencyJitter >= 0 && o.Latency <= MaxLatency && o.LatencyJitter <= MaxLatency-o.Latency,
		"Latency and LatencyJitter must not be negative and add up to at most %s, got %s and %s", MaxLatency, o.Latency, o.LatencyJitter)
	check(o.AdminToken == strings.TrimSpace(o.AdminToken) && !strings.ContainsFunc(o.AdminToken, unicode.IsControl),
		"AdminToken must not hold spaces at its ends or control characters: no Authorization header could carry it")
	check(o.ShutdownTimeout > 0 && o.ShutdownTimeout <= MaxShutdownTimeout,
		"ShutdownTimeout must be positive and at most %s, got %s", MaxShutdownTimeout, o.ShutdownTimeout)
	if len(problems) > 0 {
		return o, fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(problems...))
	}
	return o, nil
}
