package client

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/benjiconnect/benji"
	"github.com/benjiconnect/benji/gen"
)

// FieldError is one violation of the contract, named by a JSON pointer into
// the request body ("/custom_attributes/actions/0/mode"): Field and Message,
// and String, which reads "field: message" ("body: message" for the body
// itself). It is the contract's own type, shared with the generated models
// and the mock.
type FieldError = benji.FieldError

// APIError is a failure Benji answered: any status but 200 (a redirect
// included, which the client does not follow), or a 200 that held no token.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the error envelope's machine-readable code ("invalid_request",
	// "expired_token"); empty when the body was not the envelope, as with a
	// proxy's HTML error page.
	Code string
	// Message is the envelope's message, or a description of the body when
	// it was not the envelope.
	Message string
	// Fields lists the violations of a 400.
	Fields []FieldError
	// RetryAfter is the wait the server asked for, from Retry-After.
	RetryAfter time.Duration
	// RequestID is the answer's X-Request-Id, to quote to Benji's support.
	RequestID string
	// Location is where a redirect (a 3xx) pointed, resolved against the
	// request's URL; empty for any other answer. The client follows no
	// redirect, so that the partner access token goes to the base URL
	// only: point WithBaseURL at the final address instead.
	Location string
	// Attempts counts the requests sent, retries included.
	Attempts int
}

// Error reads like "benji: 400 invalid_request: The request body ... [request abc]".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "benji: %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.String()
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// newAPIError reads an answer that is not a token. A body that is not the
// envelope (an HTML 502 from a proxy, say) still yields the status and a
// short quote of the body.
// The partner token is taken out of everything quoted (raw is scrubbed
// already; the Location and what the envelope decodes to are scrubbed here).
func newAPIError(resp *http.Response, raw []byte, token *secret, requestID, message string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RequestID: requestID, Message: message}
	e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if message != "" {
		return e
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Location = token.scrubString(location(resp))
		e.Message = cmp.Or(http.StatusText(resp.StatusCode), "Redirect")
		if e.Location != "" {
			e.Message += " to " + cut(e.Location, maxQuote)
		}
		e.Message += ", not followed: the client sends the partner access token to its base URL only"
		return e
	}
	var env gen.Error
	if json.Unmarshal(raw, &env) == nil && env.Code != "" {
		e.Code, e.Message = env.Code, token.scrubString(env.Message)
		if env.Errors != nil {
			for _, f := range *env.Errors {
				f.Field, f.Message = token.scrubString(f.Field), token.scrubString(f.Message)
				e.Fields = append(e.Fields, f)
			}
		}
		return e
	}
	e.Message = http.StatusText(resp.StatusCode)
	if text := strings.Join(strings.Fields(string(raw)), " "); text != "" {
		e.Message += fmt.Sprintf(" (%s body: %q)", resp.Header.Get("Content-Type"), cut(text, maxQuote))
	}
	return e
}

// maxQuote bounds what an error quotes of an answer's body or Location, in
// bytes.
const maxQuote = 200

// cut shortens s to at most max bytes, at a rune's start, and an ellipsis.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

// location is where a redirect pointed, resolved against the request's
// URL; the header as sent when it does not parse, "" when there is none.
func location(resp *http.Response) string {
	if u, err := resp.Location(); err == nil {
		return u.String()
	}
	return resp.Header.Get("Location")
}

// ValidationError is a request the client refused to send because the
// check given to WithRequestCheck (the contract's, say) refused it.
type ValidationError struct {
	Fields []FieldError
}

// Error lists the violations.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return "benji: invalid request: " + strings.Join(parts, "; ")
}

// IsUnauthorized reports whether err is a 401: a missing, unknown or expired
// partner access token.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsRateLimited reports whether err is a 429 (after the retries, if any).
func IsRateLimited(err error) bool { return hasStatus(err, http.StatusTooManyRequests) }

// IsInvalidRequest reports whether err says the request itself was wrong:
// a 400 from the API or a *ValidationError from the client.
func IsInvalidRequest(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve) || hasStatus(err, http.StatusBadRequest)
}

func hasStatus(err error, status int) bool {
	var e *APIError
	return errors.As(err, &e) && e.StatusCode == status
}
