package mockserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/benjiconnect/benji/gen"
)

// Why a bearer token was refused; the messages never repeat the token.
var (
	errNoToken      = errors.New(`send the partner access token as "Authorization: Bearer <token>"`)
	errNotBearer    = errors.New(`the Authorization header must use the Bearer scheme: "Authorization: Bearer <token>"`)
	errUnknownToken = errors.New("the bearer token is not one this mock accepts (see BENJI_MOCK_TOKENS)")
)

// authenticate is kin-openapi's AuthenticationFunc for the contract's bearer
// scheme: kin-openapi never reads the header itself.
func (s *Server) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	return s.checkBearer(in.RequestValidationInput.Request.Header.Get("Authorization"))
}

// checkBearer checks an Authorization header value.
func (s *Server) checkBearer(header string) error {
	if header == "" {
		return errNoToken
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return errNotBearer
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return errNoToken
	}
	if s.tokens == nil {
		return nil
	}
	given := []byte(token)
	for _, known := range s.tokens {
		if subtle.ConstantTimeCompare(known, given) == 1 {
			return nil
		}
	}
	return errUnknownToken
}

// beforeCreateToken runs before the createToken handler: the configured
// latency, then request validation.
func (s *Server) beforeCreateToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.addLatency(c)
		return s.validateRequest(c, next)
	}
}

// addLatency waits the configured latency before the API answers.
func (s *Server) addLatency(c echo.Context) {
	d := s.opts.Latency
	if s.opts.LatencyJitter > 0 {
		d += rand.N(s.opts.LatencyJitter + 1)
	}
	sleep(c.Request().Context(), d)
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// validateRequest checks a createToken request against the contract before
// the handler sees it, in the order a client fixes things: credentials,
// media type, size, JSON syntax, then the schema.
func (s *Server) validateRequest(c echo.Context, next echo.HandlerFunc) error {
	req := c.Request()
	x := exchangeOf(c)
	if err := s.checkSecurity(req); err != nil {
		return s.writeError(c, http.StatusUnauthorized, "unauthorized", sentence(err.Error()), nil)
	}
	if ct := headerValue(req.Header, "Content-Type"); !s.cat.contract.AcceptsMediaType(ct) {
		msg := "Send the body as application/json"
		if ct != "" {
			msg += fmt.Sprintf("; got %q", ct)
		}
		return s.writeError(c, http.StatusUnsupportedMediaType, "unsupported_media_type", msg+".", nil)
	}
	limit := s.opts.MaxBodyBytes
	if req.ContentLength > limit {
		return s.tooLarge(c)
	}
	body, err := readBody(req.Body, req.ContentLength, limit)
	if err != nil {
		return s.writeError(c, http.StatusBadRequest, "unreadable_body", "The request body could not be read.", nil)
	}
	if int64(len(body)) > limit {
		return s.tooLarge(c)
	}
	x.body = body
	if len(body) == 0 {
		return s.writeError(c, http.StatusBadRequest, "invalid_request", "The request body is required.",
			[]gen.FieldError{{Field: "", Message: "is required"}})
	}
	if s.cat.contract.QuickValidBody(body) {
		// Shown valid without decoding; the typed value is decoded
		// only if something asks for it (a fault's match, the journal).
		x.valid = true
		return next(c)
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return s.writeError(c, http.StatusBadRequest, "malformed_json", "The request body is not valid JSON: "+jsonProblem(err)+".", nil)
	}
	if violations := s.cat.contract.ValidateBody(value); len(violations) > 0 {
		fields := make([]gen.FieldError, len(violations))
		for i, v := range violations {
			fields[i] = gen.FieldError(v)
		}
		x.violations = fields
		msg := "The request body does not match the contract: " + violations[0].String()
		if n := len(violations) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
		return s.writeError(c, http.StatusBadRequest, "invalid_request", msg+".", fields)
	}
	x.valid = true
	return next(c)
}

// checkSecurity checks the operation's security requirements. When the
// contract asks for one bearer scheme and nothing else, kin-openapi's walk of
// the requirements would call authenticate once and do nothing more, so the
// header is checked directly; otherwise kin-openapi walks them.
func (s *Server) checkSecurity(req *http.Request) error {
	if s.cat.contract.BearerOnly {
		return s.checkBearer(headerValue(req.Header, "Authorization"))
	}
	input := &openapi3filter.RequestValidationInput{Request: req, Route: s.cat.contract.Route, Options: s.filter}
	err := openapi3filter.ValidateSecurityRequirements(req.Context(), input, *s.cat.contract.Operation.Security)
	if err == nil {
		return nil
	}
	var sre *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sre) && len(sre.Errors) > 0 {
		return sre.Errors[0]
	}
	return errNoToken
}

// readBody reads at most limit+1 bytes, in one allocation when the length
// is declared.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	if declared < 0 || declared > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	// One byte more than declared, to notice a body longer than its header.
	buf := make([]byte, declared+1)
	n, err := io.ReadFull(r, buf)
	switch {
	case (err == io.ErrUnexpectedEOF || err == io.EOF) && int64(n) == declared:
		return buf[:n], nil // the whole body, as declared
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return buf[:n], fmt.Errorf("body ended after %d of %d bytes: %w", n, declared, io.ErrUnexpectedEOF)
	case err != nil:
		return buf[:n], err
	}
	rest, err := io.ReadAll(io.LimitReader(r, limit+1-int64(n)))
	return append(buf, rest...), err
}

func (s *Server) tooLarge(c echo.Context) error {
	return s.writeError(c, http.StatusRequestEntityTooLarge, "payload_too_large",
		fmt.Sprintf("The request body is larger than %d bytes.", s.opts.MaxBodyBytes), nil)
}

// decodeValid decodes a body that the schema accepted into the generated
// type. The schema admits integers that encoding/json will not put in an
// int64 directly (1e3), so a failed decode retries through a generic value,
// which re-encodes them plainly.
func decodeValid(body []byte) *gen.TokenRequest {
	var r gen.TokenRequest
	if json.Unmarshal(body, &r) == nil {
		return &r
	}
	var value any
	if json.Unmarshal(body, &value) != nil {
		return nil
	}
	plain, err := json.Marshal(value)
	if err != nil {
		return nil
	}
	r = gen.TokenRequest{}
	if json.Unmarshal(plain, &r) != nil {
		return nil
	}
	return &r
}

// jsonProblem words an encoding/json syntax error with its offset.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

// headerValue is h.Get(name) for a name in canonical form, without Get's
// canonicalisation on every call: a server's request headers and the
// mock's own response headers are stored under canonical names.
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// The success answer around its token: gen.TokenCreated, encoded by hand on
// the hot path (response validation still checks every answer).
const (
	tokenPrefix = `{"code":"ok","data":{"token":"`
	tokenSuffix = `"}}`
)

// api implements the generated server interface.
type api struct{ s *Server }

// CreateToken answers a request that passed validation: a queued fault
// first, then a Prefer preference, else a fresh token.
func (a *api) CreateToken(c echo.Context) error {
	s := a.s
	x := exchangeOf(c)
	if f, ok := s.faults.take(x.typed); ok {
		x.injected = f.describe()
		sleep(c.Request().Context(), f.Delay)
		if f.Drop {
			return drop(c, x)
		}
		if f.Status != 0 || f.Example != "" {
			r, err := s.cat.pick(f.Status, f.Example)
			if err != nil {
				return err // checked when queued
			}
			return s.writeCanned(c, r)
		}
	}
	if prefer := headerValue(c.Request().Header, "Prefer"); prefer != "" {
		status, example, err := parsePrefer(prefer)
		if err == nil && (status != 0 || example != "") {
			var r *cannedResponse
			if r, err = s.cat.pick(status, example); err == nil {
				x.injected = "prefer " + prefer
				if r.status != http.StatusOK || example != "" {
					return s.writeCanned(c, r)
				}
			}
		}
		if err != nil {
			return s.writeError(c, http.StatusBadRequest, "invalid_prefer", sentence("Prefer: "+err.Error()), nil)
		}
	}
	id, err := uuid.NewUUID()
	if err != nil {
		return fmt.Errorf("new token: %w", err)
	}
	x.token = id.String()
	body := make([]byte, 0, len(tokenPrefix)+len(x.token)+len(tokenSuffix))
	body = append(append(append(body, tokenPrefix...), x.token...), tokenSuffix...)
	return s.writeJSONBytes(c, http.StatusOK, body)
}

func (s *Server) writeCanned(c echo.Context, r *cannedResponse) error {
	h := c.Response().Header()
	for k, v := range r.header {
		h[k] = v
	}
	if r.code != "" {
		exchangeOf(c).outcome = r.code
	}
	return s.writeJSONBytes(c, r.status, r.body)
}

// drop closes the connection without an answer.
func drop(c echo.Context, x *exchange) error {
	conn, _, err := http.NewResponseController(c.Response()).Hijack()
	if err != nil {
		return fmt.Errorf("drop connection: %w", err)
	}
	x.dropped = true
	return conn.Close()
}

// parsePrefer reads Prism's preferences from a Prefer header:
// "code=401", "example=expiredToken", or both, comma-separated. Other
// preferences are ignored, as RFC 7240 asks.
func parsePrefer(header string) (status int, example string, err error) {
	for _, part := range strings.FieldsFunc(header, func(r rune) bool { return r == ',' || r == ';' }) {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		value = strings.Trim(strings.TrimSpace(value), `"`)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "code":
			n, convErr := strconv.Atoi(value)
			if convErr != nil || n < 100 || n > 599 {
				return 0, "", fmt.Errorf("code must be an HTTP status such as 401, got %q", value)
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
