package mockserver

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

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
// (400 invalid_request). It returns the refusal, or ok with the body
// recorded in x. In proxy and replay mode, unless Options.RefuseInvalid,
// what breaks the contract is recorded in x and the request goes on to the
// upstream or the record, which decide; a body too large or unreadable is
// refused all the same, as there is nothing whole to forward.
func (s *Server) checkRequest(r *http.Request, x *exchange) (refusal answer, ok bool) {
	if a, refused := s.guard.crossSite(r); refused {
		return a, false // never forwarded, even in proxy mode
	}
	if msg, token := checkBearer(headerValue(r.Header, "Authorization"), s.tokens); msg != "" {
		challenge := "Bearer"
		if token {
			challenge = `Bearer error="invalid_token"`
		}
		if a := errorAnswer(http.StatusUnauthorized, OutcomeUnauthorized, msg).withHeader("Www-Authenticate", challenge); !s.forwardsInvalid(x, a) {
			return a, false
		}
	}
	if ct := headerValue(r.Header, "Content-Type"); !s.cat.contract.AcceptsMediaType(ct) {
		msg := "Send the body as application/json"
		if ct != "" {
			msg += fmt.Sprintf("; got %q", cutString(ct, 64))
		}
		if a := errorAnswer(http.StatusUnsupportedMediaType, OutcomeUnsupportedMediaType, msg+"."); !s.forwardsInvalid(x, a) {
			return a, false
		}
	}
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return tooLarge(limit), false
	}
	if !s.reserveBody(r, x) {
		return s.bodiesInFlight(r, x), false
	}
	body, err := readBody(r.Body, r.ContentLength, limit)
	if err != nil {
		x.readError = err.Error()
		return errorAnswer(http.StatusBadRequest, OutcomeUnreadableBody, "The request body could not be read."), false
	}
	if int64(len(body)) > limit {
		return tooLarge(limit), false
	}
	x.body = body
	if len(body) > bigBody {
		// Checking a body that is not quickly shown valid decodes it, which
		// takes up to about 50 times its size, and so does decoding it for
		// the journal (below): bound how many at once.
		release, ok := s.bigChecks.take(r.Context())
		if !ok {
			return answer{}, false // the client is gone: deliver records it
		}
		defer release()
	}
	check := s.cat.contract.CheckBody(body)
	switch {
	case check.Syntax != "":
		if a := errorAnswer(http.StatusBadRequest, OutcomeMalformedJSON, "The request body is not valid JSON: "+check.Syntax+"."); !s.forwardsInvalid(x, a) {
			return a, false
		}
		return answer{}, true
	case len(check.Violations) > 0:
		x.violations = make([]gen.FieldError, len(check.Violations))
		creds := s.proxy.credentialsToRedact(r)
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
		if a := errorAnswer(http.StatusBadRequest, OutcomeInvalidRequest, msg+".", x.violations...); !s.forwardsInvalid(x, a) {
			return a, false
		}
		return answer{}, true
	}
	x.valid = true
	if len(body) > maxJournalBody {
		x.decoded(s.cat.contract) // now, within the bound: the journal keeps it cut, not the body
	}
	return answer{}, true
}

// forwardsInvalid reports whether a request that the mock would refuse
// with a goes on all the same, to the record (Options.Replay) or the
// upstream (Options.Upstream), without Options.RefuseInvalid, and records
// a in x if so: the refusal is answered when neither answers.
func (s *Server) forwardsInvalid(x *exchange, a answer) bool {
	if s.proxy == nil || s.opts.RefuseInvalid {
		return false
	}
	if x.wouldRefuse == "" {
		x.wouldRefuse, x.refusal = a.outcome, a
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
		s.proxy.checkAnswer(r, x, a)
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
	violation := errorAnswer(http.StatusInternalServerError, OutcomeContractViolation,
		fmt.Sprintf("benji-mock produced a %d answer that the contract does not allow; this is a bug in the mock.", a.status))
	violation.delay = a.delay
	return violation
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
