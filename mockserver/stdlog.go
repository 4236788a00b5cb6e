package mockserver

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Other packages log through the standard log package, not slog: net/http's
// Transport prints "Unsolicited response received on idle HTTP channel
// starting with ..." quoting up to 4 KiB of what an upstream sent past its
// answer, on a connection whose exchange has ended, and http.Server prints
// its own errors. Server.LogWriter takes those lines into the mock's log.

// Bounds of what LogWriter remembers and logs.
const (
	// maxRecentCredentials is how many credentials of recent exchanges with
	// the upstream LogWriter redacts, counting each form credentialsOf
	// makes (up to 8 for one Authorization header): those of about the
	// last 32 distinct callers. The oldest is dropped first.
	maxRecentCredentials = 256
	// maxRecentCredentialBytes is the longest credential remembered: the
	// most of an upstream's bytes the Transport quotes is 4 KiB. A longer
	// one is not remembered; the Authorization pattern still applies.
	maxRecentCredentialBytes = 4 << 10
	// maxForeignLineBytes bounds a line logged through LogWriter, once
	// JSON-encoded, after redaction.
	maxForeignLineBytes = 16 << 10
)

// recentCredentials are the credentials of the latest exchanges with the
// upstream, safe for concurrent use.
type recentCredentials struct {
	mu   sync.Mutex
	list credentials // the oldest first
}

// remember adds c, or makes it the newest when it is there already.
func (rc *recentCredentials) remember(c credentials) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, secret := range c {
		if len(secret) > maxRecentCredentialBytes {
			continue
		}
		if i := slices.Index(rc.list, secret); i >= 0 {
			if i == len(rc.list)-1 {
				continue
			}
			rc.list = slices.Delete(rc.list, i, i+1)
		}
		rc.list = append(rc.list, secret)
		if len(rc.list) > maxRecentCredentials {
			rc.list = slices.Delete(rc.list, 0, len(rc.list)-maxRecentCredentials)
		}
	}
}

// snapshot returns the credentials, longest first, as credentials.text
// wants them.
func (rc *recentCredentials) snapshot() credentials {
	rc.mu.Lock()
	c := slices.Clone(rc.list)
	rc.mu.Unlock()
	slices.SortStableFunc(c, func(a, b string) int { return len(b) - len(a) })
	return c
}

// authorizationValue matches the credentials of an Authorization-style
// value in a line, as it is or quoted by %q (a tab as \t): after
// "Authorization:" (and a scheme, if any), or after a scheme name.
var authorizationValue = regexp.MustCompile(`(?i)(authorization:[ \t]*(?:[a-z0-9_-]+(?:[ \t]+|\\t)+)?|(?:bearer|basic|digest|negotiate)(?:[ \t]+|\\t)+)([^\s"'\\,;]+)`)

// LogWriter returns a writer for the log output of other packages: each
// line written to it is logged through Options.Logger at warn level, in its
// format, with credentials redacted: those of recent exchanges with the
// upstream, and any Authorization-style value (Bearer, Basic, Digest,
// Negotiate). Each Write holds whole lines, as log.Logger's do.
//
// cmd/benji-mock points the standard log package at it, because net/http's
// Transport writes there: an upstream that sends bytes past its answer gets
// them quoted in the log. Serve gives it to its http.Server as ErrorLog.
func (s *Server) LogWriter() io.Writer { return foreignLog{s} }

// foreignLog is the writer LogWriter returns.
type foreignLog struct{ s *Server }

// Write logs each line of p; it is safe for concurrent use.
func (w foreignLog) Write(p []byte) (int, error) {
	h := w.s.log.Handler()
	ctx := context.Background()
	if !h.Enabled(ctx, slog.LevelWarn) {
		return len(p), nil
	}
	var recent credentials
	if p := w.s.proxy; p != nil && p.upstream != nil {
		recent = p.upstream.recent.snapshot()
	}
	for line := range strings.Lines(string(p)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		line = recent.text(line)
		line = authorizationValue.ReplaceAllString(line, "${1}"+redacted)
		_ = h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelWarn, cutString(line, maxForeignLineBytes), 0))
	}
	return len(p), nil
}
