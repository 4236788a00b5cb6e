package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/benjiconnect/benji/gen"
)

// FieldError is one violation of the contract, named by a JSON pointer into
// the request body ("/custom_attributes/actions/0/mode").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String returns "field: message", or "body: message" for the body itself
// (the wording of the mock's messages).
func (f FieldError) String() string {
	if f.Field == "" {
		return "body: " + f.Message
	}
	return f.Field + ": " + f.Message
}

// APIError is a failure Benji answered: any status but 200, or a 200 that
// held no token.
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
func newAPIError(resp *http.Response, raw []byte, requestID, message string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RequestID: requestID, Message: message}
	e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if message != "" {
		return e
	}
	var env gen.Error
	if json.Unmarshal(raw, &env) == nil && env.Code != "" {
		e.Code, e.Message = env.Code, env.Message
		if env.Errors != nil {
			for _, f := range *env.Errors {
				e.Fields = append(e.Fields, FieldError(f))
			}
		}
		return e
	}
	e.Message = http.StatusText(resp.StatusCode)
	if text := strings.Join(strings.Fields(string(raw)), " "); text != "" {
		const max = 200
		if len(text) > max {
			text = text[:max] + "…"
		}
		e.Message += fmt.Sprintf(" (%s body: %q)", resp.Header.Get("Content-Type"), text)
	}
	return e
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
