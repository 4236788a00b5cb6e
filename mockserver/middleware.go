package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/benjiconnect/benji/gen"
)

// exchange is what the middleware learns about one request, for the log
// line and the journal.
type exchange struct {
	outcome    string
	violations []gen.FieldError
	body       []byte
	valid      bool              // the body matched the contract
	request    *gen.TokenRequest // decoded from body on first use
	token      string
	injected   string
	dropped    bool
	requestID  string
}

// typed returns the decoded body of a valid request, decoding it once.
func (x *exchange) typed() *gen.TokenRequest {
	if x.request == nil && x.valid {
		x.request = decodeValid(x.body)
	}
	return x.request
}

// mockContext carries the exchange with the echo context, which saves echo's
// per-request context map.
type mockContext struct {
	echo.Context
	x exchange
	// requestIDHeader backs the X-Request-Id header value, saving an
	// allocation.
	requestIDHeader [1]string
}

// RequestIDHeader names the header that identifies a request in the journal
// and the logs. A caller's own value (printable, at most 128 bytes) is kept;
// otherwise the mock makes one.
const RequestIDHeader = "X-Request-Id"

func requestID(given string) string {
	if given != "" && len(given) <= 128 && !strings.ContainsFunc(given, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return given
	}
	return strconv.FormatUint(rand.Uint64(), 16)
}

// exchangeOf returns the exchange of the request c serves. Every handler
// runs inside observe, which makes it; the fallback only keeps a stray
// context from crashing.
func exchangeOf(c echo.Context) *exchange {
	if mc, ok := c.(*mockContext); ok {
		return &mc.x
	}
	return &exchange{}
}

const adminPrefix = "/__mock"

// isAPI reports whether a path belongs to the contract's API rather than to
// the mock's own endpoints; only API requests are journaled and have their
// answers validated.
func isAPI(path string) bool {
	return path != "/healthz" && path != "/openapi.yaml" &&
		path != adminPrefix && !strings.HasPrefix(path, adminPrefix+"/")
}

// middleware runs around every request, in this order: observe (headers,
// log line, journal), recoverPanics, validateResponses, errorsAsResponses.
// They are plain calls in one echo middleware because echo wraps each of
// its middleware anew on every request.
func (s *Server) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error { return s.observe(c, next) }
}

// observe stamps the contract header, logs one line per request and
// journals API requests.
func (s *Server) observe(ec echo.Context, next echo.HandlerFunc) error {
	start := time.Now()
	c := &mockContext{Context: ec}
	x := &c.x
	x.requestID = requestID(headerValue(c.Request().Header, RequestIDHeader))
	h := c.Response().Header()
	h[ContractHeader] = s.contractHeader // shared and never modified
	c.requestIDHeader[0] = x.requestID
	h[RequestIDHeader] = c.requestIDHeader[:]
	if err := s.recoverPanics(c, next); err != nil {
		// Every error was answered further in; this is a last resort.
		c.Error(err)
	}
	req := c.Request()
	status := c.Response().Status
	if x.dropped {
		status = 0
		x.outcome = "dropped"
	} else if x.outcome == "" {
		x.outcome = "ok"
	}
	s.logRequest(req, status, start, x)

	if isAPI(req.URL.Path) {
		body := x.body
		var request *gen.TokenRequest
		if len(body) > maxJournalBody {
			// Too long to keep whole: decode it now, keep the start.
			request = x.typed()
			// A copy: a slice of the request's buffer would keep all of it.
			body = append([]byte(nil), body[:maxJournalBody]...)
		} else if x.request != nil {
			request = x.request
		}
		s.journal.add(Entry{
			RequestID:  x.requestID,
			Time:       start,
			Method:     req.Method,
			Path:       req.URL.Path,
			Status:     status,
			Outcome:    x.outcome,
			Violations: x.violations,
			Request:    request,
			decode:     request == nil && x.valid,
			raw:        body,
			Token:      x.token,
			Injected:   x.injected,
		})
	}
	return nil
}

// logRequest writes the one line a request gets. It builds the record itself
// (no caller lookup, which the line does not show) and only when the level
// is enabled.
func (s *Server) logRequest(req *http.Request, status int, start time.Time, x *exchange) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	ctx := req.Context()
	h := s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	now := time.Now()
	r := slog.NewRecord(now, level, "request", 0)
	r.AddAttrs(
		slog.String("request_id", x.requestID),
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", now.Sub(start)),
	)
	if x.outcome != "ok" {
		// Five attributes fit in a record without an allocation; a success
		// says enough with its status.
		r.AddAttrs(slog.String("outcome", x.outcome))
	}
	if len(x.violations) > 0 {
		fields := make([]string, len(x.violations))
		for i, v := range x.violations {
			fields[i] = v.Field
		}
		r.AddAttrs(slog.Any("fields", fields))
	}
	if x.injected != "" {
		r.AddAttrs(slog.String("injected", x.injected))
	}
	_ = h.Handle(ctx, r) // a failed log write must not fail the request
}

// recoverPanics turns a panic into the 500 envelope and an error log line
// with the stack.
func (s *Server) recoverPanics(c echo.Context, next echo.HandlerFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = nil
			if !c.Response().Committed {
				err = s.writeError(c, http.StatusInternalServerError, "internal_error", "The mock failed to handle the request.", nil)
			}
		}
	}()
	return s.validateResponses(c, next)
}

// errorsAsResponses writes the answer for an error returned further in, so
// that response validation sees it like any other answer.
func (s *Server) errorsAsResponses(c echo.Context, next echo.HandlerFunc) error {
	if err := next(c); err != nil {
		s.answerError(err, c)
	}
	return nil
}

// answerError is echo's error handler: routing failures and stray errors
// become the contract's error envelope.
func (s *Server) answerError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		he = echo.NewHTTPError(http.StatusInternalServerError)
		s.log.Error("handler failed", "error", err)
	}
	var werr error
	switch he.Code {
	case http.StatusNotFound:
		werr = s.writeError(c, http.StatusNotFound, "not_found", "No operation at "+c.Request().URL.Path+".", nil)
	case http.StatusMethodNotAllowed:
		allow := c.Response().Header().Get("Allow") // echo's, for the mock's own paths
		if isAPI(c.Request().URL.Path) {
			// The contract's methods, not echo's list, which adds OPTIONS.
			allow = s.cat.allow
			c.Response().Header().Set("Allow", allow)
		}
		werr = s.writeError(c, http.StatusMethodNotAllowed, "method_not_allowed", "This path takes "+allow+".", nil)
	default:
		werr = s.writeError(c, http.StatusInternalServerError, "internal_error", "The mock failed to handle the request.", nil)
	}
	if werr != nil {
		s.log.Error("write error response", "error", werr)
	}
}

// writeError answers with the contract's error envelope.
func (s *Server) writeError(c echo.Context, status int, code, message string, fields []gen.FieldError) error {
	exchangeOf(c).outcome = code
	body := gen.Error{Code: code, Message: message}
	if len(fields) > 0 {
		body.Errors = &fields
	}
	return s.writeJSON(c, status, body)
}

// writeJSON answers with v as JSON. Unlike echo's c.JSON it leaves <, > and &
// alone: messages quote "Authorization: Bearer <token>".
func (s *Server) writeJSON(c echo.Context, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	return s.writeJSONBytes(c, status, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// writeJSONBytes answers with a JSON body, as echo's c.Blob does, but sets
// the Content-Type (unless the answer already has one) without
// canonicalising its name on every call.
func (s *Server) writeJSONBytes(c echo.Context, status int, body []byte) error {
	res := c.Response()
	h := res.Header()
	if _, ok := h[echo.HeaderContentType]; !ok {
		h[echo.HeaderContentType] = s.jsonContentType // shared and never modified
	}
	res.WriteHeader(status)
	_, err := res.Write(body)
	return err
}

// validateResponses holds each API answer back until it has been checked
// against the contract. An answer the contract does not allow is a bug in
// the mock: it is logged and replaced by a 500 that says so.
func (s *Server) validateResponses(c echo.Context, next echo.HandlerFunc) error {
	if s.opts.DisableResponseValidation || !isAPI(c.Request().URL.Path) {
		return s.errorsAsResponses(c, next)
	}
	res := c.Response()
	held := heldWriters.Get().(*heldWriter)
	held.ResponseWriter, held.status, held.hijacked = res.Writer, http.StatusOK, false
	held.body.Reset()
	res.Writer = held
	defer func() {
		res.Writer = held.ResponseWriter
		held.ResponseWriter = nil
		if held.body.Cap() <= 64<<10 {
			heldWriters.Put(held)
		}
	}()
	if err := s.errorsAsResponses(c, next); err != nil {
		return err
	}
	if held.hijacked {
		return nil
	}
	var verr error
	if !s.cat.contract.QuickValidResponse(held.status, headerValue(res.Header(), echo.HeaderContentType), held.body.Bytes()) {
		verr = s.checkResponse(c.Request(), held.status, res.Header(), held.body.Bytes())
	}
	res.Writer = held.ResponseWriter
	if verr == nil {
		held.ResponseWriter.WriteHeader(held.status)
		_, err := held.ResponseWriter.Write(held.body.Bytes())
		return err
	}
	s.log.Error("the mock answered outside the contract", "status", held.status, "error", verr.Error())
	for k := range res.Header() {
		if k != ContractHeader {
			res.Header().Del(k)
		}
	}
	body, _ := json.Marshal(gen.Error{
		Code:    "mock_contract_violation",
		Message: fmt.Sprintf("benji-mock produced a %d answer that the contract does not allow; this is a bug in the mock.", held.status),
	})
	exchangeOf(c).outcome = "mock_contract_violation"
	res.Status = http.StatusInternalServerError
	res.Header().Set("Content-Type", "application/json")
	held.ResponseWriter.WriteHeader(http.StatusInternalServerError)
	_, err := held.ResponseWriter.Write(body)
	return err
}

func (s *Server) checkResponse(req *http.Request, status int, header http.Header, body []byte) error {
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req,
			Route:   s.cat.contract.Route,
			Options: s.filter,
		},
		Status:  status,
		Header:  header,
		Options: s.filter,
	}
	input.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.WithoutCancel(req.Context()), input)
}

var heldWriters = sync.Pool{New: func() any { return new(heldWriter) }}

// heldWriter keeps an answer in memory until it has been validated.
type heldWriter struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (w *heldWriter) WriteHeader(status int)      { w.status = status }
func (w *heldWriter) Write(p []byte) (int, error) { return w.body.Write(p) }

// Hijack hands the connection over for a dropped-connection fault.
func (w *heldWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
