package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The success answer around its token: gen.TokenCreated, put together by
// hand on the hot path (the answer check still checks every one).
const (
	tokenPrefix = `{"code":"ok","data":{"token":"`
	tokenSuffix = `"}}`
)

// tokenHeader is the success answer's headers, its length included (a UUID
// is 36 characters): write sets no length of its own. Shared and never
// modified.
var tokenHeader = http.Header{
	"Content-Type":   {"application/json"},
	"Content-Length": {strconv.Itoa(len(tokenPrefix) + 36 + len(tokenSuffix))},
}

// decideAnswer picks the answer to a createToken request the contract check
// let through: the first queued fault that matches it, else the Prefer
// header's choice, else a fresh token, or in proxy mode the upstream's
// answer. A request that breaks the contract, which proxy mode forwards
// all the same, takes no fault and no Prefer answer: it goes to the
// upstream, as the mock would refuse it without either.
func (s *Server) decideAnswer(r *http.Request, x *exchange) answer {
	if x.wouldRefuse != "" {
		if a, ok := s.proxy.answer(r, x); ok {
			return a
		}
		// Replay alone, and the record does not hold the request: the mock
		// refuses it, as without a record.
		x.wouldRefuse = ""
		return x.refusal
	}
	if s.faults.anyMatch() {
		x.decoded(s.cat.contract) // decoded here, not under the queue's lock
	}
	f, ok := s.faults.take(x.request)
	if !ok {
		return s.preferredAnswer(r, x)
	}
	x.injected = f.describe()
	if f.Drop {
		return answer{delay: f.Delay, drop: true, outcome: OutcomeDropped}
	}
	var a answer
	if f.Status != 0 || f.Example != "" {
		c, err := s.cat.pick(f.Status, f.Example)
		if err != nil { // checked when queued: a mock bug
			s.log.Error("queued fault", "error", err)
			return failure()
		}
		a = c.answer()
		a.reset = f.Reset
		if f.RetryAfter > 0 {
			a = a.withHeader("Retry-After", strconv.FormatInt(int64((f.RetryAfter+time.Second-1)/time.Second), 10))
		}
	} else {
		a = s.preferredAnswer(r, x) // a fault with a delay alone keeps the usual answer
	}
	a.delay = f.Delay
	return a
}

// preferredAnswer is the Prefer header's choice, else a fresh token or, in
// proxy mode, the upstream's answer.
func (s *Server) preferredAnswer(r *http.Request, x *exchange) answer {
	if prefer := strings.Join(r.Header["Prefer"], ", "); prefer != "" { // several Prefer headers are one list (RFC 7240)
		status, example, err := parsePrefer(prefer)
		var c *cannedResponse
		if err == nil && (status != 0 || example != "") {
			c, err = s.cat.pick(status, example)
		}
		if err != nil {
			return errorAnswer(http.StatusBadRequest, OutcomeInvalidPrefer, "Prefer: "+err.Error()+".")
		}
		if c != nil && x.injected == "" {
			x.injected = "prefer " + cutString(prefer, maxPathBytes)
		}
		if c != nil && (c.status != http.StatusOK || example != "") {
			return c.answer()
		}
		if c != nil {
			return s.tokenAnswer(x) // asked for: answered here, in proxy mode too
		}
	}
	if s.proxy != nil {
		if a, ok := s.proxy.answer(r, x); ok {
			return a
		}
	}
	return s.tokenAnswer(x)
}

// tokenAnswer is a 200 with a fresh token.
func (s *Server) tokenAnswer(x *exchange) answer {
	id, err := uuid.NewUUID()
	if err != nil {
		s.log.Error("new token", "error", err)
		return failure()
	}
	x.token = id
	body := make([]byte, 0, len(tokenPrefix)+36+len(tokenSuffix))
	body = appendUUID(append(body, tokenPrefix...), id)
	body = append(body, tokenSuffix...)
	return answer{status: http.StatusOK, header: tokenHeader, body: body, outcome: OutcomeOK}
}

// appendUUID appends id in its canonical form, as id.String() would make it,
// without making the string.
func appendUUID(dst []byte, id uuid.UUID) []byte {
	const digits = "0123456789abcdef"
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, digits[b>>4], digits[b&0xf])
	}
	return dst
}

// parsePrefer reads Prism's preferences from a Prefer header:
// "code=401", "example=expiredToken", or both, comma-separated. Other
// preferences are ignored, as RFC 7240 asks. Errors quote at most a short
// piece of the header.
func parsePrefer(header string) (status int, example string, err error) {
	for _, part := range strings.FieldsFunc(header, func(r rune) bool { return r == ',' || r == ';' }) {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		value = strings.Trim(strings.TrimSpace(value), `"`)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "code":
			n, convErr := strconv.Atoi(value)
			if convErr != nil || n < 100 || n > 599 {
				return 0, "", fmt.Errorf("code must be an HTTP status such as 401, got %q", cutString(value, 32))
			}
			status = n
		case "example":
			if value == "" {
				return 0, "", errors.New("example needs a name, as in example=expiredToken")
			}
			example = value
		}
	}
	return status, example, nil
}
