package mockserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// A request's body: read within MaxBodyBytes, and within the budget of
// body bytes in flight (Options.MaxBodyBytesInFlight).

// maxDeclaredPrealloc is the most a declared Content-Length sizes a body's
// first buffer.
const maxDeclaredPrealloc = 16 << 10

// readBody reads at most limit+1 bytes, so that a body over the limit shows.
// The buffer grows with what arrives: a declared length only sizes the first
// allocation, and at most to maxDeclaredPrealloc, so a false one costs nothing.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	size := int64(512)
	if declared >= 0 {
		size = min(declared, limit, maxDeclaredPrealloc) + 1 // +1: to see a body longer than declared
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), limit+1)])
		buf = buf[:len(buf)+n]
		switch {
		case int64(len(buf)) > limit:
			return buf, nil
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}

// reserveBody takes the request's share of the budget of body bytes in
// flight (Options.MaxBodyBytesInFlight) before its body is read: its
// Content-Length, or MaxBodyBytes when it declares none. It reports false
// when the share is not left; finish gives back what x holds.
func (s *Server) reserveBody(r *http.Request, x *exchange) bool {
	share := s.opts.MaxBodyBytes
	if r.ContentLength >= 0 {
		share = r.ContentLength // within MaxBodyBytes: checked before
	}
	if share == 0 {
		return true // nothing to hold
	}
	if !s.bodies.TryAcquire(share) {
		return false
	}
	x.reserved = share
	return true
}

// bodiesInFlight is the answer to a request refused because the budget of
// body bytes in flight is in use: 429 rate_limited with Retry-After. The
// body is read first, in small pieces and dropped, up to MaxBodyBytes: a
// client still sending would otherwise find the connection closed under it
// and miss the answer.
func (s *Server) bodiesInFlight(r *http.Request, x *exchange) answer {
	if _, err := io.CopyN(io.Discard, r.Body, s.opts.MaxBodyBytes+1); err != nil && err != io.EOF {
		x.readError = err.Error()
	}
	return errorAnswer(http.StatusTooManyRequests, OutcomeRateLimited, fmt.Sprintf(
		"The mock's budget of request bodies in flight (%d bytes: Options.MaxBodyBytesInFlight, --max-body-bytes-in-flight) is in use; retry after %d second.",
		s.opts.MaxBodyBytesInFlight, bodiesRetryAfter)).withHeader("Retry-After", strconv.Itoa(bodiesRetryAfter))
}

// bodiesRetryAfter is the Retry-After, in seconds, of a request refused
// because the budget of body bytes in flight is in use.
const bodiesRetryAfter = 1

// tooLarge is the answer to a body over limit (Options.MaxBodyBytes).
func tooLarge(limit int64) answer {
	return errorAnswer(http.StatusRequestEntityTooLarge, OutcomePayloadTooLarge,
		fmt.Sprintf("The request body is larger than %d bytes.", limit))
}

// slots bounds work done at once: a slot is taken before the work and given
// back after it. Server.bigChecks is one, for bodies over bigBody.
type slots chan struct{}

// take waits for a slot until ctx is done (ok false); release gives it
// back.
func (s slots) take(ctx context.Context) (release func(), ok bool) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, true
	case <-ctx.Done():
		return nil, false
	}
}

// tryTake takes a slot if one is free, without waiting (ok false when
// none is); release gives it back.
func (s slots) tryTake() (release func(), ok bool) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, true
	default:
		return nil, false
	}
}
