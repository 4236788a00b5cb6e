package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The zero RetryPolicy's values.
const (
	defaultMaxAttempts = 3
	defaultBaseDelay   = 200 * time.Millisecond
	defaultMaxDelay    = 5 * time.Second
)

// RetryPolicy says how CreateToken retries: on 429, 502, 503 and 504, and on
// transport failures where no answer arrived; never on another status. The
// zero RetryPolicy is the default: 3 attempts, 200ms base, 5s cap. Waits
// grow exponentially with full jitter, a Retry-After from the server is
// honoured up to MaxDelay, and no wait outlasts the caller's deadline.
type RetryPolicy struct {
	// MaxAttempts counts every request, the first included; 1 turns
	// retrying off. Zero means 3.
	MaxAttempts int
	// BaseDelay is the cap of the first backoff; each retry doubles it.
	// Zero means 200ms.
	BaseDelay time.Duration
	// MaxDelay caps any single wait, Retry-After included. Zero means 5s.
	MaxDelay time.Duration
}

func (p RetryPolicy) attempts() int {
	if p.MaxAttempts <= 0 {
		return defaultMaxAttempts
	}
	return p.MaxAttempts
}

// backoff is the wait before attempt+1: the server's Retry-After when it
// gave one, else a uniformly random wait up to BaseDelay·2^(attempt-1);
// either is capped by MaxDelay.
func (p RetryPolicy) backoff(attempt int, retryAfter time.Duration) time.Duration {
	base, ceiling := p.BaseDelay, p.MaxDelay
	if base <= 0 {
		base = defaultBaseDelay
	}
	if ceiling <= 0 {
		ceiling = defaultMaxDelay
	}
	if retryAfter > 0 {
		return min(retryAfter, ceiling)
	}
	limit := ceiling
	if shift := attempt - 1; shift < 32 && base<<shift > 0 && base<<shift < ceiling {
		limit = base << shift
	}
	return rand.N(limit + 1)
}

// retryable reports whether another attempt may help.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false // the caller gave up
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	// No answer arrived: a refused or dropped connection, or the attempt's
	// own timeout.
	return true
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}
