package mockserver

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Defaults for the zero Options.
const (
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxBodyBytesInFlight holds 64 bodies of DefaultMaxBodyBytes
	// at once: about 64 MB of bodies, which keeps a mock under load within
	// its 256 MiB memory limit (cmd/benji-mock).
	DefaultMaxBodyBytesInFlight = 64 << 20
	DefaultJournalSize          = 1000
	DefaultShutdownTimeout      = 10 * time.Second
	DefaultUpstreamTimeout      = 30 * time.Second
)

// Bounds on Options: New refuses a configuration outside them, so that a
// typo cannot make the mock allocate gigabytes or hold requests past the
// server's write timeout.
const (
	// MaxMaxBodyBytes is the largest MaxBodyBytes: each request in flight may
	// hold a body this large in memory.
	MaxMaxBodyBytes = 16 << 20
	// MaxMaxBodyBytesInFlight is the largest MaxBodyBytesInFlight: the
	// bodies of the requests in flight may together take this much memory.
	MaxMaxBodyBytesInFlight = 1 << 30
	// MaxJournalSize is the largest JournalSize. An entry keeps at most
	// MaxEntryBytes, so a full journal holds at most about 280 MB.
	MaxJournalSize = 10_000
	// MaxLatency bounds Latency+LatencyJitter. The latency is waited after
	// the body is read, within the write timeout; what is left of it bounds
	// a queued fault's delay (Server.MaxFaultDelay).
	MaxLatency = 30 * time.Second
	// MaxShutdownTimeout bounds ShutdownTimeout.
	MaxShutdownTimeout = 10 * time.Minute
	// MaxUpstreamTimeout bounds UpstreamTimeout. With the latency, it must
	// also leave time to answer within the server's write timeout: together
	// at most WriteTimeout - ReadTimeout - 5s (85s).
	MaxUpstreamTimeout = time.Minute
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
	// MaxBodyBytesInFlight is the budget of request bodies held in memory
	// at once. An API request reserves its share before its body is read
	// (its Content-Length, or MaxBodyBytes for a body sent without one)
	// and gives it back once it is answered (in proxy mode, after the
	// upstream's answer). A request whose share is not left gets 429
	// rate_limited with Retry-After, its body read and dropped. Zero means
	// DefaultMaxBodyBytesInFlight; at least MaxBodyBytes, so that one
	// whole body always fits, and at most MaxMaxBodyBytesInFlight.
	MaxBodyBytesInFlight int64
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
	// address, or when the token is shorter than 16 bytes. Wrong tokens are
	// slowed: 10, then one a second (429 with Retry-After in between).
	AdminToken string
	// AdminHosts lists host names, beyond IP addresses, localhost and names
	// without a dot, under which the open admin API and the inspector answer
	// (devbox.example.com, say). Without an admin token, a request addressed
	// to another name gets 403: a web page could point such a name at the
	// mock (DNS rebinding). With an admin token it is not needed.
	AdminHosts []string
	// DisableResponseValidation stops checking the mock's own answers against
	// the contract. Leave it off: it is what makes a mock bug visible.
	DisableResponseValidation bool
	// Logger receives one line per request. Nil means no logs.
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Serve waits for requests in flight once
	// its context is done. Zero means DefaultShutdownTimeout; at most
	// MaxShutdownTimeout.
	ShutdownTimeout time.Duration

	// Upstream, when set, makes the mock a validating proxy in front of the
	// real API at this base URL (https://api-staging.withbenji.com, say).
	// Each API request is checked and journaled, then forwarded with the
	// caller's own Authorization header; the upstream's answer goes back
	// unchanged and is checked against the contract, and what departs from
	// it is journaled, logged and summed up by Server.Drift. Queued faults
	// and Prefer still answer locally, without contacting the upstream.
	// Plain http is refused unless the host is a loopback address or
	// UpstreamAllowHTTP is set. Tokens must be empty: the upstream decides.
	Upstream string
	// UpstreamTimeout bounds one exchange with the upstream, from sending
	// the request to the last byte of the answer; past it the caller gets
	// 504 upstream_timeout. Zero means DefaultUpstreamTimeout; at most
	// MaxUpstreamTimeout.
	UpstreamTimeout time.Duration
	// UpstreamRootCAs, when set, replaces the system's certificate
	// authorities for verifying the upstream (a private staging endpoint).
	// The upstream's certificate is always verified.
	UpstreamRootCAs *x509.CertPool
	// UpstreamAllowHTTP allows a plain http Upstream on a host that is not a
	// loopback address (another container in docker-compose, say). The
	// partner's bearer token then crosses the network in clear text.
	UpstreamAllowHTTP bool
	// RefuseInvalid, with an Upstream or a Replay, answers a request that
	// breaks the contract (credentials, media type, JSON, schema) with the
	// mock's own 401, 415 or 400 instead of forwarding it or answering it
	// from the record. Without either the mock always does.
	RefuseInvalid bool
	// Record, with an Upstream, receives one JSON line per exchange with the
	// upstream (a RecordedExchange), without credentials, up to
	// MaxRecordBytes. Writes are serialised; the writer need not be safe for
	// concurrent use.
	Record io.Writer
	// Replay lists the files of a record (what Record writes: a
	// RecordedExchange a line, or a shorter line written by hand; see
	// docs/record.md) to answer from. A request with the same method, path
	// (with its query) and body as one recorded (a JSON body compared as a
	// value: key order and whitespace aside) gets the answers recorded for
	// it, in recorded order, the last again once they run out; queued faults
	// and Prefer come first. Replayed answers are checked against the
	// contract as proxy mode's are (Server.Drift). Other requests are
	// answered as without Replay: by the Upstream when there is one, else by
	// the mock. New reads the files, within MaxRecordFileBytes and
	// MaxRecordLines, and fails with a *RecordError naming the file and line
	// it cannot read; credentials found in them are dropped, with a warning.
	Replay []string
}

// ErrInvalidOptions is wrapped by the error New returns for Options outside
// their bounds. Each problem is also an *OptionError.
var ErrInvalidOptions = errors.New("invalid options")

// OptionError is one problem with Options: a field outside its bounds, or
// at odds with another field. The error New (and Validate) returns for
// Options it refuses wraps one for each problem; errors.As finds the first,
// and every one is ErrInvalidOptions (errors.Is).
type OptionError struct {
	// Option names the Options field that is wrong ("JournalSize"); when
	// the rule binds several fields, the first one the message names.
	Option string
	// Value is what the field held, after defaults; nil for AdminToken,
	// a secret.
	Value any
	// text is the message: strings, and optionNames that Explain renders.
	text []any
}

// optionName is a field of Options named in an OptionError's message.
type optionName string

// Error says what is wrong with the Options fields' own names:
// "JournalSize must be between 1 and 10000, got 20000".
func (e *OptionError) Error() string {
	return e.Explain(func(option string) string { return option })
}

// Explain says what is wrong with every Options field named by name(field),
// so that a command can speak of its flags: with a name that maps
// "JournalSize" to "--journal-size", "--journal-size must be between 1 and
// 10000, got 20000".
func (e *OptionError) Explain(name func(option string) string) string {
	var b strings.Builder
	for _, part := range e.text {
		if option, ok := part.(optionName); ok {
			b.WriteString(name(string(option)))
		} else {
			fmt.Fprint(&b, part)
		}
	}
	return b.String()
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// OptionErrors returns every *OptionError in err (as New and Validate
// return it), in the order of the fields; errors.As finds only the first.
func OptionErrors(err error) []*OptionError {
	var found []*OptionError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *OptionError:
			found = append(found, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return found
}

// Validate returns the error New would return for these Options: nil, or
// an error that wraps ErrInvalidOptions and an *OptionError for each
// problem. It builds nothing, so a command can check its configuration
// before it opens files or listens.
func (o Options) Validate() error {
	_, err := o.withDefaults()
	return err
}

// withDefaults fills in the zero fields and checks the bounds.
func (o Options) withDefaults() (Options, error) {
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxBodyBytesInFlight == 0 {
		o.MaxBodyBytesInFlight = DefaultMaxBodyBytesInFlight
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
	o.AdminHosts = slices.Clone(o.AdminHosts)
	for i, h := range o.AdminHosts {
		o.AdminHosts[i] = strings.TrimSuffix(h, ".")
	}
	if o.Upstream != "" && o.UpstreamTimeout == 0 {
		o.UpstreamTimeout = DefaultUpstreamTimeout
	}
	var problems []error
	// refuse adds a problem with option, whose value is value; the message
	// is text, with the Options fields it names as optionNames.
	refuse := func(option string, value any, text ...any) {
		problems = append(problems, &OptionError{Option: option, Value: value, text: text})
	}
	name := func(option string) optionName { return optionName(option) }
	if o.MaxBodyBytes <= 0 || o.MaxBodyBytes > MaxMaxBodyBytes {
		refuse("MaxBodyBytes", o.MaxBodyBytes, name("MaxBodyBytes"),
			fmt.Sprintf(" must be between 1 and %d, got %d", MaxMaxBodyBytes, o.MaxBodyBytes))
	}
	if o.MaxBodyBytesInFlight < o.MaxBodyBytes || o.MaxBodyBytesInFlight > MaxMaxBodyBytesInFlight {
		refuse("MaxBodyBytesInFlight", o.MaxBodyBytesInFlight, name("MaxBodyBytesInFlight"), " must be between ", name("MaxBodyBytes"),
			fmt.Sprintf(" (%d) and %d, got %d", o.MaxBodyBytes, MaxMaxBodyBytesInFlight, o.MaxBodyBytesInFlight))
	}
	if o.JournalSize <= 0 || o.JournalSize > MaxJournalSize {
		refuse("JournalSize", o.JournalSize, name("JournalSize"),
			fmt.Sprintf(" must be between 1 and %d, got %d", MaxJournalSize, o.JournalSize))
	}
	switch {
	case o.Latency < 0:
		refuse("Latency", o.Latency, name("Latency"), fmt.Sprintf(" must not be negative, got %s", o.Latency))
	case o.LatencyJitter < 0:
		refuse("LatencyJitter", o.LatencyJitter, name("LatencyJitter"), fmt.Sprintf(" must not be negative, got %s", o.LatencyJitter))
	// Written as a difference: the sum of two huge durations overflows.
	case o.Latency > MaxLatency || o.LatencyJitter > MaxLatency-o.Latency:
		refuse("Latency", o.Latency, name("Latency"), " plus ", name("LatencyJitter"),
			fmt.Sprintf(" must be at most %s, got %s + %s", MaxLatency, o.Latency, o.LatencyJitter))
	}
	if o.AdminToken != strings.TrimSpace(o.AdminToken) || strings.ContainsFunc(o.AdminToken, unicode.IsControl) {
		// Said without the value, which is a secret.
		refuse("AdminToken", nil, name("AdminToken"),
			" must not begin or end with spaces or hold control characters: no Authorization header could carry it")
	}
	for _, h := range o.AdminHosts {
		if h == "" || strings.ContainsAny(h, ":/[] ") || net.ParseIP(h) != nil {
			refuse("AdminHosts", h, name("AdminHosts"),
				fmt.Sprintf(" must hold host names without a port (IP addresses pass anyway), got %q", cutString(h, 64)))
		}
	}
	if o.ShutdownTimeout <= 0 || o.ShutdownTimeout > MaxShutdownTimeout {
		refuse("ShutdownTimeout", o.ShutdownTimeout, name("ShutdownTimeout"),
			fmt.Sprintf(" must be positive and at most %s, got %s", MaxShutdownTimeout, o.ShutdownTimeout))
	}
	if o.Upstream == "" {
		for _, proxyOnly := range []struct {
			option string
			set    bool
		}{
			{"Record", o.Record != nil}, {"UpstreamTimeout", o.UpstreamTimeout != 0}, {"UpstreamRootCAs", o.UpstreamRootCAs != nil},
			{"UpstreamAllowHTTP", o.UpstreamAllowHTTP}, {"RefuseInvalid", o.RefuseInvalid && len(o.Replay) == 0},
		} {
			if proxyOnly.set {
				refuse(proxyOnly.option, nil, name("Record"), ", ", name("UpstreamTimeout"), ", ", name("UpstreamRootCAs"), ", ",
					name("UpstreamAllowHTTP"), " and ", name("RefuseInvalid"), " need an ", name("Upstream"), " (", name("RefuseInvalid"), " or a ", name("Replay"), ")")
				break
			}
		}
	} else {
		// The value is not quoted: the URL may hold credentials (refused).
		if _, problem := parseUpstream(o.Upstream, o.UpstreamAllowHTTP); problem != "" {
			refuse("Upstream", nil, name("Upstream"), " "+problem)
		}
		if len(o.Tokens) > 0 {
			refuse("Tokens", nil, name("Tokens"), " must be empty when ", name("Upstream"),
				" is set: the upstream decides which bearer tokens it accepts")
		}
		if o.UpstreamTimeout <= 0 || o.UpstreamTimeout > MaxUpstreamTimeout {
			refuse("UpstreamTimeout", o.UpstreamTimeout, name("UpstreamTimeout"),
				fmt.Sprintf(" must be positive and at most %s, got %s", MaxUpstreamTimeout, o.UpstreamTimeout))
		}
		if o.Latency+o.LatencyJitter+o.UpstreamTimeout > upstreamBudget {
			refuse("Latency", o.Latency, name("Latency"), ", ", name("LatencyJitter"), " and ", name("UpstreamTimeout"),
				fmt.Sprintf(" must add up to at most %s, to answer within the server's write timeout; got %s",
					upstreamBudget, o.Latency+o.LatencyJitter+o.UpstreamTimeout))
		}
	}
	if len(problems) > 0 {
		return o, fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(problems...))
	}
	return o, nil
}
