package mockserver

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/contract"
)

// Outcomes name what happened to a request, in the journal (Entry.Outcome,
// Filter.Outcome) and the log. An error answer's outcome is its error code;
// the contract's examples add the codes of injected answers (expired_token,
// rate_limited, ...).
const (
	OutcomeOK                   = "ok"
	OutcomeDropped              = "dropped"
	OutcomeInvalidRequest       = "invalid_request"
	OutcomeMalformedJSON        = "malformed_json"
	OutcomeUnauthorized         = "unauthorized"
	OutcomeUnsupportedMediaType = "unsupported_media_type"
	OutcomePayloadTooLarge      = "payload_too_large"
	OutcomeUnreadableBody       = "unreadable_body"
	OutcomeInvalidPrefer        = "invalid_prefer"
	// OutcomeRateLimited is a 429, the code of the contract's 429 example:
	// a fault's or Prefer's; the mock's own when its budget of body bytes
	// in flight is in use (Options.MaxBodyBytesInFlight); and the admin
	// API's and the inspector's answer to an admin token given while wrong
	// ones are throttled (guard_throttle.go).
	OutcomeRateLimited       = "rate_limited"
	OutcomeNotFound          = "not_found"
	OutcomeMethodNotAllowed  = "method_not_allowed"
	OutcomeInternalError     = "internal_error"
	OutcomeContractViolation = "mock_contract_violation"
	// OutcomeReset is a fault's answer cut by a connection reset.
	OutcomeReset = "reset"
	// A gateway's answers, injected by a fault or Prefer.
	OutcomeBadGateway         = "bad_gateway"
	OutcomeServiceUnavailable = "service_unavailable"
	OutcomeGatewayTimeout     = "gateway_timeout"
	// The admin API's own refusals; admin requests are logged, not journaled.
	OutcomeInvalidFault = "invalid_fault"
	OutcomeInvalidQuery = "invalid_query"
	// OutcomeCrossOrigin is the refusal (403) of a browser's request sent
	// from another site's page: to the API (journaled), the admin API or
	// the inspector.
	OutcomeCrossOrigin = "cross_origin"
	// OutcomeForbiddenHost is the open admin API's refusal of a request
	// addressed to a name a web page could point at the mock.
	OutcomeForbiddenHost = "forbidden_host"
)

// RequestIDHeader names the header that identifies a request in the journal
// and the logs. A caller's own value (printable ASCII, at most 128 bytes) is
// kept; otherwise the mock makes one.
const RequestIDHeader = "X-Request-Id"

// Cuts applied to what a request sends, before it reaches a log line, an
// answer or the journal.
const (
	maxPathBytes    = 256 // a path, or the Prefer value in Entry.Injected
	maxStringBytes  = 256 // a string of the decoded request kept in the journal
	maxActions      = 16  // actions of the decoded request kept in the journal
	maxFieldBytes   = 128 // a violation's JSON pointer (the contract's are under 50)
	maxMessageBytes = 120 // a violation's message
)

// exchange is the record of one request: begun when it arrives, filled in
// as it is answered, and written once, to the log and (for the API) to the
// journal, by finish.
type exchange struct {
	start     time.Time
	requestID string
	method    string
	path      string // cut to maxPathBytes
	// api says the request is journaled: it is for the contract's API
	// rather than the mock's own endpoints.
	api bool
	// quiet says the request is logged at debug level, unless it failed
	// with a 5xx: the inspector's page polls the mock every second or so.
	quiet bool

	status  int // 0 when no answer was delivered
	outcome string

	// What the contract check found, for the journal.
	body       []byte // as received
	valid      bool
	request    *gen.TokenRequest // decoded on first use
	violations []gen.FieldError
	omitted    int

	token    uuid.UUID // the token issued; uuid.Nil for none
	injected string
	// wouldRefuse is the code of the refusal the mock would have answered,
	// for a request that proxy mode forwards all the same.
	wouldRefuse string
	// refusal is that refusal, answered when nothing else does (replay
	// alone, and the record does not hold the request).
	refusal answer
	// upstream is the exchange with the upstream, in proxy mode; nil when
	// the mock answered itself.
	upstream *upstreamExchange
	// written says the answer's status line has gone to the connection.
	written bool
	// readError says why the body could not be read, for the log.
	readError string
	// reserved is the share of Options.MaxBodyBytesInFlight the request
	// holds, given back by finish.
	reserved int64
	// The answer that could not be delivered, for the log.
	undeliveredStatus  int
	undeliveredOutcome string
}

// decoded returns the decoded body of x, a valid request, decoding it once.
func (x *exchange) decoded(c *contract.Contract) *gen.TokenRequest {
	if x.request == nil && x.valid {
		var r gen.TokenRequest
		if c.DecodeBody(x.body, &r) == nil {
			x.request = &r
		}
	}
	return x.request
}

// begin starts the record of a request. Records are reused: finish puts
// this one back once it has written it out.
func (s *Server) begin(r *http.Request, api bool) *exchange {
	s.active.Add(1)
	x := s.exchanges.Get().(*exchange)
	*x = exchange{
		start:     time.Now(),
		requestID: requestID(headerValue(r.Header, RequestIDHeader)),
		method:    r.Method,
		path:      cutString(r.URL.Path, maxPathBytes),
		api:       api,
	}
	return x
}

func requestID(given string) string {
	if given != "" && len(given) <= 128 && !strings.ContainsFunc(given, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return given
	}
	return formatRequestID(rand.Uint64())
}

// formatRequestID writes n as the 16 hex digits of a request id the mock
// makes, leading zeros kept.
func formatRequestID(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return hex.EncodeToString(b[:])
}

// finish is deferred by every handler: it turns a panic into the 500
// envelope (or a dropped answer, when the answer had begun), then writes the
// journal entry, sends the answer out, and writes the log line, exactly
// once.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, x *exchange) {
	defer func() {
		// Whatever happens below, the record goes back, its share of the
		// body budget too, and the request no longer counts as in flight.
		if x.reserved > 0 {
			s.bodies.Release(x.reserved)
		}
		*x = exchange{}
		s.exchanges.Put(x)
		s.active.Add(-1)
	}()
	p := recover()
	if p != nil {
		if p != http.ErrAbortHandler {
			s.log.Error("panic", "request_id", x.requestID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
		if x.written || p == http.ErrAbortHandler {
			x.status, x.outcome = 0, OutcomeDropped
		} else {
			s.deliver(w, r, x, failure())
		}
	}
	var seq uint64
	if x.api {
		seq = s.journal.add(s.journaled(r, x)) // without r's credentials
	}
	// The answer goes out now: after the journal has it, so that a client
	// that reads the journal once it has its answer finds its request
	// there; before the log line and the record, so that they say whether
	// it went, and a slow disk does not hold it up. With its length set
	// (see write), nothing is left for net/http to send after this: no
	// answer is called delivered that a client did not get whole.
	if x.status != 0 && x.outcome != OutcomeReset {
		if err := flushAnswer(w); err != nil {
			s.log.Debug("answer not delivered", "request_id", x.requestID, "error", err)
			x.undelivered(x.status, x.outcome)
			if x.api {
				s.journal.dropped(seq)
			}
		}
	}
	s.logRequest(x)
	if s.proxy != nil {
		s.proxy.record(r, x)
	}
	if p == http.ErrAbortHandler {
		panic(p) // net/http's way to cut a connection; it logs nothing for it
	}
}

// logRequest writes the one line a request gets. It hands the record to the
// handler itself: slog.Logger would look up the caller on every call, which
// the line does not show and which costs as much as formatting it.
func (s *Server) logRequest(x *exchange) {
	level := slog.LevelInfo
	switch {
	case x.status >= 500:
		level = slog.LevelError
	case x.quiet:
		level = slog.LevelDebug
	}
	ctx := context.Background()
	h := s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	now := time.Now()
	r := slog.NewRecord(now, level, "request", 0)
	if x.method == http.MethodPost && x.path == contract.CreateTokenPath {
		h = s.createTokenLog // method and path formatted once, at start-up
	} else {
		r.AddAttrs(slog.String("method", x.method), slog.String("path", x.path))
	}
	r.AddAttrs(
		slog.String("request_id", x.requestID),
		slog.Int("status", x.status),
		slog.Duration("duration", now.Sub(x.start)),
	)
	if x.outcome != OutcomeOK {
		r.AddAttrs(slog.String("outcome", x.outcome))
	}
	if len(x.violations) > 0 {
		fields := make([]string, len(x.violations))
		for i, v := range x.violations {
			fields[i] = v.Field
		}
		r.AddAttrs(slog.Any("fields", fields))
		if x.omitted > 0 {
			r.AddAttrs(slog.Int("fields_omitted", x.omitted))
		}
	}
	if x.injected != "" {
		r.AddAttrs(slog.String("injected", x.injected))
	}
	if x.wouldRefuse != "" {
		r.AddAttrs(slog.String("would_refuse", x.wouldRefuse))
	}
	if u := x.upstream; u != nil {
		r.AddAttrs(slog.Int("upstream_status", u.status), slog.Duration("upstream_duration", u.duration))
		if u.requestID != "" {
			r.AddAttrs(slog.String("upstream_request_id", u.requestID))
		}
		if u.failure != "" {
			r.AddAttrs(slog.String("upstream_error", u.failure))
		}
	}
	if x.readError != "" {
		r.AddAttrs(slog.String("read_error", cutString(x.readError, maxPathBytes)))
	}
	if x.undeliveredStatus != 0 {
		r.AddAttrs(slog.Int("undelivered_status", x.undeliveredStatus), slog.String("undelivered_outcome", x.undeliveredOutcome))
	}
	_ = h.Handle(ctx, r) // a failed log write must not fail the request
}

// entry makes the journal entry of a request, within MaxEntryBytes: the
// body is cut at 4 KiB, and a request decoded from a longer body has its
// strings and actions cut.
func (x *exchange) entry(c *contract.Contract) Entry {
	e := Entry{
		RequestID:         x.requestID,
		Time:              x.start,
		Method:            x.method,
		Path:              x.path,
		Status:            x.status,
		Outcome:           x.outcome,
		Violations:        x.violations,
		ViolationsOmitted: x.omitted,
		token:             x.token,
		Injected:          x.injected,
		WouldRefuse:       x.wouldRefuse,
	}
	if x.upstream != nil {
		e.Upstream = x.upstream.answer()
	}
	// A body kept whole is under maxJournalBody once JSON-encoded; a short
	// one always is.
	whole := len(x.body) <= maxJournalBody/6
	var kept string
	if !whole {
		kept = cutString(string(x.body[:min(len(x.body), maxJournalBody)]), maxJournalBody)
		whole = len(kept) == len(x.body)
	}
	switch {
	case !whole:
		// Too long to keep whole: keep a cut copy (a slice of the
		// request's buffer would keep all of it) and the decoded request,
		// cut.
		e.raw, e.Truncated = []byte(kept), true
		if r := x.decoded(c); r != nil {
			e.Request = cutRequest(*r)
		}
	case x.request != nil:
		e.raw, e.Request = x.body, cutRequest(*x.request)
	default:
		// Decoded only if someone reads the journal.
		e.raw, e.decode = x.body, x.valid
	}
	return e
}

// cutRequest bounds a decoded request for the journal: its strings within
// maxStringBytes once encoded, its actions to maxActions.
func cutRequest(r gen.TokenRequest) *gen.TokenRequest {
	r.DisplayName = cutString(r.DisplayName, maxStringBytes)
	if r.UserExternalId != nil {
		v := cutString(*r.UserExternalId, maxStringBytes)
		r.UserExternalId = &v
	}
	if r.PartnershipId != nil {
		if id, err := r.PartnershipId.AsPartnershipID0(); err == nil && cutString(id, maxStringBytes) != id {
			var p gen.PartnershipID
			if p.FromPartnershipID0(cutString(id, maxStringBytes)) == nil {
				r.PartnershipId = &p
			}
		}
	}
	if r.CustomAttributes != nil && r.CustomAttributes.Actions != nil && len(*r.CustomAttributes.Actions) > maxActions {
		actions := append([]gen.Action(nil), (*r.CustomAttributes.Actions)[:maxActions]...)
		r.CustomAttributes = &gen.CustomAttributes{Actions: &actions}
	}
	return &r
}
