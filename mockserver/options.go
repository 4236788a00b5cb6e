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
	// RefuseInvalid, with an Upstream, answers a request that breaks the
	// contract (credentials, media type, JSON, schema) with the mock's own
	// 401, 415 or 400 instead of forwarding it. Without an Upstream the mock
	// always does.
	RefuseInvalid bool
	// Record, with an Upstream, receives one JSON line per exchange with the
	// upstream (a RecordedExchange), without credentials, up to
	// MaxRecordBytes. Writes are serialised; the writer need not be safe for
	// concurrent use.
	Record io.Writer
}

// ErrInvalidOptions is wrapped by the error New returns for Options outside
// their bounds.
var ErrInvalidOptions = errors.New("invalid options")

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
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Errorf(format, args...))
		}
	}
	check(o.MaxBodyBytes > 0 && o.MaxBodyBytes <= MaxMaxBodyBytes,
		"MaxBodyBytes must be between 1 and %d, got %d", MaxMaxBodyBytes, o.MaxBodyBytes)
	check(o.MaxBodyBytesInFlight >= o.MaxBodyBytes && o.MaxBodyBytesInFlight <= MaxMaxBodyBytesInFlight,
		"MaxBodyBytesInFlight must be between MaxBodyBytes (%d) and %d, got %d", o.MaxBodyBytes, MaxMaxBodyBytesInFlight, o.MaxBodyBytesInFlight)
	check(o.JournalSize > 0 && o.JournalSize <= MaxJournalSize,
		"JournalSize must be between 1 and %d, got %d", MaxJournalSize, o.JournalSize)
	check(o.Latency >= 0 && o.LatencyJitter >= 0 && o.Latency <= MaxLatency && o.LatencyJitter <= MaxLatency-o.Latency,
		"Latency and LatencyJitter must not be negative and add up to at most %s, got %s and %s", MaxLatency, o.Latency, o.LatencyJitter)
	check(o.AdminToken == strings.TrimSpace(o.AdminToken) && !strings.ContainsFunc(o.AdminToken, unicode.IsControl),
		"AdminToken must not hold spaces at its ends or control characters: no Authorization header could carry it")
	for _, h := range o.AdminHosts {
		check(h != "" && !strings.ContainsAny(h, ":/[] ") && net.ParseIP(h) == nil,
			"AdminHosts holds host names without a port (IP addresses pass anyway), got %q", cutString(h, 64))
	}
	check(o.ShutdownTimeout > 0 && o.ShutdownTimeout <= MaxShutdownTimeout,
		"ShutdownTimeout must be positive and at most %s, got %s", MaxShutdownTimeout, o.ShutdownTimeout)
	if o.Upstream == "" {
		check(o.Record == nil && o.UpstreamTimeout == 0 && o.UpstreamRootCAs == nil && !o.UpstreamAllowHTTP && !o.RefuseInvalid,
			"Record, UpstreamTimeout, UpstreamRootCAs, UpstreamAllowHTTP and RefuseInvalid need an Upstream")
	} else {
		_, problem := parseUpstream(o.Upstream, o.UpstreamAllowHTTP)
		check(problem == "", "Upstream %s", problem)
		check(len(o.Tokens) == 0, "Tokens must be empty with an Upstream: the upstream decides which bearer tokens it accepts")
		check(o.UpstreamTimeout > 0 && o.UpstreamTimeout <= MaxUpstreamTimeout,
			"UpstreamTimeout must be positive and at most %s, got %s", MaxUpstreamTimeout, o.UpstreamTimeout)
		check(o.Latency+o.LatencyJitter+o.UpstreamTimeout <= upstreamBudget,
			"Latency, LatencyJitter and UpstreamTimeout must add up to at most %s, to answer within the server's write timeout; got %s",
			upstreamBudget, o.Latency+o.LatencyJitter+o.UpstreamTimeout)
	}
	if len(problems) > 0 {
		return o, fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(problems...))
	}
	return o, nil
}
