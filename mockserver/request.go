package mockserver

import (
	"crypto/subtle"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/benjiconnect/benji/gen"
)

// Why a bearer token was refused; the messages never repeat the token.
const (
	msgNoToken      = `Send the partner access token as "Authorization: Bearer <token>".`
	msgNotBearer    = `The Authorization header must use the Bearer scheme: "Authorization: Bearer <token>".`
	msgUnknownToken = "The bearer token is not one of the tokens the mock was started with (Options.Tokens, --tokens or BENJI_MOCK_TOKENS)."
)

// bigBody is the size over which at most cap(Server.bigChecks) bodies are
// checked at once.
const bigBody = 64 << 10

// checkRequest holds a createToken request to the contract, in the order a
// client fixes things, after the mock's own refusal of a browser's
// cross-site request (403 cross_origin, see crossSite): credentials (401),
// media type (415), size (413), JSON syntax (400 malformed_json), schema
// (400 invalid_request). It returns
// the refusal, or ok with the body recorded in x. In proxy mode, unless
// Options.RefuseInvalid, what breaks the contract is recorded in x and the
// request goes on to the upstream, which decides; a body too large or
// unreadable is refused all the same, as there is nothing whole to forward.
func (s *Server) checkRequest(r *http.Request, x *exchange) (refusal answer, ok bool) {
	if a, refused := s.crossSite(r); refused {
		return a, false // never forwarded, even in proxy mode
	}
	if msg, token := checkBearer(headerValue(r.Header, "Authorization"), s.tokens); msg != "" {
		challenge := "Bearer"
		if token {
			challenge = `Bearer error="invalid_token"`
		}
		if a := s.errorAnswer(http.StatusUnauthorized, OutcomeUnauthorized, msg).withHeader("Www-Authenticate", challenge); !s.forwardsInvalid(x, a) {
			return a, false
		}
	}
	if ct := headerValue(r.Header, "Content-Type"); !s.cat.contract.AcceptsMediaType(ct) {
		msg := "Send the body as application/json"
		if ct != "" {
			msg += fmt.Sprintf("; got %q", cutString(ct, 64))
		}
		if a := s.errorAnswer(http.StatusUnsupportedMediaType, OutcomeUnsupportedMediaType, msg+"."); !s.forwardsInvalid(x, a) {
			return a, false
		}
	}
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return s.tooLarge(), false
	}
	if !s.reserveBody(r, x) {
		return s.bodiesInFlight(r, x), false
	}
	body, err := readBody(r.Body, r.ContentLength, limit)
	if err != nil {
		x.readError = err.Error()
		return s.errorAnswer(http.StatusBadRequest, OutcomeUnreadableBody, "The request body could not be read."), false
	}
	if int64(len(body)) > limit {
		return s.tooLarge(), false
	}
	x.body = body
	if len(body) > bigBody {
		// Checking a body that is not quickly shown valid decodes it, which
		// takes up to about 50 times its size, and so does decoding it for
		// the journal (below): bound how many at once.
		select {
		case s.bigChecks <- struct{}{}:
			defer func() { <-s.bigChecks }()
		case <-r.Context().Done():
			return answer{}, false // the client is gone: deliver records it
		}
	}
	check := s.cat.contract.CheckBody(body)
	switch {
	case check.Syntax != "":
		if a := s.errorAnswer(http.StatusBadRequest, OutcomeMalformedJSON, "The request body is not valid JSON: "+check.Syntax+"."); !s.forwardsInvalid(x, a) {
			return a, false
		}
		return answer{}, true
	case len(check.Violations) > 0:
		x.violations = make([]gen.FieldError, len(check.Violations))
		creds := s.keptCredentials(r)
		for i, v := range check.Violations {
			// Bounded once encoded: a message may quote what the body sent,
			// which is redacted before it is cut.
			x.violations[i] = gen.FieldError{Field: cutString(creds.text(v.Field), maxFieldBytes), Message: cutString(creds.text(v.Message), maxMessageBytes)}
		}
		x.omitted = check.Omitted
		msg := "The request body does not match the contract: " + check.Violations[0].String()
		if n := len(check.Violations) + check.Omitted - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more", n)
			if check.Omitted > 0 {
				msg += fmt.Sprintf("; errors lists the first %d", len(check.Violations))
			}
			msg += ")"
		}
		if a := s.errorAnswer(http.StatusBadRequest, OutcomeInvalidRequest, msg+".", x.violations...); !s.forwardsInvalid(x, a) {
			return a, false
		}
		return answer{}, true
	}
	x.valid = true
	if len(body) > maxJournalBody {
		s.decoded(x) // now, within the bound: the journal keeps it cut, not the body
	}
	return answer{}, true
}

// forwardsInvalid reports whether a request that the mock would refuse
// with a goes to the upstream all the same (proxy mode, without
// Options.RefuseInvalid), and records a's code in x if so.
func (s *Server) forwardsInvalid(x *exchange, a answer) bool {
	if s.upstream == nil || s.opts.RefuseInvalid {
		return false
	}
	if x.wouldRefuse == "" {
		x.wouldRefuse = a.outcome
	}
	return true
}

// checkAnswer holds an answer of createToken to the contract. One it does
// not allow is a bug in the mock: it is logged, and replaced by a 500 that
// says so. A dropped connection has nothing to check. The upstream's answer,
// in proxy mode, is not the mock's to change: it is passed on, and what
// departs from the contract is recorded.
func (s *Server) checkAnswer(r *http.Request, x *exchange, a answer) answer {
	if a.upstream {
		s.checkUpstreamAnswer(r, x, a)
		return a
	}
	if a.drop || a.gateway || s.opts.DisableResponseValidation {
		return a
	}
	err := s.cat.contract.CheckResponse(a.status, a.header, a.body)
	if err == nil {
		return a
	}
	s.log.Error("the mock answered outside the contract", "request_id", x.requestID, "status", a.status, "error", err.Error())
	x.token = uuid.Nil
	violation := s.errorAnswer(http.StatusInternalServerError, OutcomeContractViolation,
		fmt.Sprintf("benji-mock produced a %d answer that the contract does not allow; this is a bug in the mock.", a.status))
	violation.delay = a.delay
	return violation
}

// latency is the configured latency with its jitter.
func (s *Server) latency() time.Duration {
	d := s.opts.Latency
	if s.opts.LatencyJitter > 0 {
		d += rand.N(s.opts.LatencyJitter + 1)
	}
	return d
}

// checkBearer checks an Authorization header value against the accepted
// tokens (nil: any non-empty token). It returns why the header is refused,
// or "", and whether a token was given.
func checkBearer(header string, accepted [][]byte) (refusal string, token bool) {
	given, bearer := bearerToken(header)
	switch {
	case header == "" || bearer && given == "":
		return msgNoToken, false
	case !bearer:
		return msgNotBearer, false
	}
	if accepted == nil {
		return "", true
	}
	for _, known := range accepted {
		if subtle.ConstantTimeCompare(known, []byte(given)) == 1 {
			return "", true
		}
	}
	return msgUnknownToken, true
}

// bearerToken reads an Authorization header value: whether it uses the
// Bearer scheme, and the token it carries ("" for none).
func bearerToken(header string) (token string, bearer bool) {
	scheme, token, _ := strings.Cut(header, " ")
	return strings.TrimSpace(token), strings.EqualFold(scheme, "Bearer")
}

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
	return s.errorAnswer(http.StatusTooManyRequests, OutcomeRateLimited, fmt.Sprintf(
		"The mock's budget of request bodies in flight (%d bytes: Options.MaxBodyBytesInFlight, --max-body-bytes-in-flight) is in use; retry after %d second.",
		s.opts.MaxBodyBytesInFlight, bodiesRetryAfter)).withHeader("Retry-After", strconv.Itoa(bodiesRetryAfter))
}

// bodiesRetryAfter is the Retry-After, in seconds, of a request refused
// because the budget of body bytes in flight is in use.
const bodiesRetryAfter = 1

func (s *Server) tooLarge() answer {
	return s.errorAnswer(http.StatusRequestEntityTooLarge, OutcomePayloadTooLarge,
		fmt.Sprintf("The request body is larger than %d bytes.", s.opts.MaxBodyBytes))
}

// headerValue is h.Get(name) for a name in canonical form, without Get's
// canonicalisation on every call: a server's request headers are stored
// under canonical names.
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
