package mockserver

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/benjiconnect/benji/gen"
)

// MaxRecordBytes bounds what a server writes to Options.Record over its
// life: past it, recording stops and a warning is logged once. A line holds
// at most a request body (MaxBodyBytes) and an answer's (MaxUpstreamBodyBytes).
const MaxRecordBytes = 1 << 30

// RecordedExchange is one line of Options.Record: a request forwarded to the
// upstream and what came back, without credentials. The lines can be
// attached to a bug report, or their bodies turned into contract examples.
type RecordedExchange struct {
	Time      time.Time       `json:"time"`
	RequestID string          `json:"request_id"`
	Request   RecordedRequest `json:"request"`
	// Response is the upstream's answer; nil when the exchange failed.
	Response *RecordedResponse `json:"response,omitempty"`
	// Error says why the exchange failed.
	Error string `json:"error,omitempty"`
	// Duration is how long the exchange with the upstream took.
	Duration time.Duration `json:"duration_ns"`
	// Violations lists how the request broke the contract, as a 400 would.
	Violations []gen.FieldError `json:"violations,omitempty"`
	// WouldRefuse is the code of the refusal the mock would have answered
	// (unauthorized, unsupported_media_type, malformed_json,
	// invalid_request) for a request forwarded all the same. A replayed
	// record answers a request only with lines that agree with it on the
	// refusals its headers earn (unauthorized, unsupported_media_type):
	// the record keeps no credentials, so this is how an answer recorded
	// for a caller without a token stays apart from the answers to callers
	// with one.
	WouldRefuse string `json:"would_refuse,omitempty"`
	// Drift lists every way the answer departs from the contract.
	Drift []Departure `json:"drift,omitempty"`
}

// RecordedRequest is a request as forwarded. Header has no header that
// carries a credential (Authorization, Cookie, X-Api-Key, ...: those the
// journal shows redacted), and the request's credentials are redacted
// wherever else they appear.
type RecordedRequest struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
	// Body is the body when it is JSON; BodyText holds any other.
	Body     json.RawMessage `json:"body,omitempty"`
	BodyText string          `json:"body_text,omitempty"`
}

// RecordedResponse is the upstream's answer. Header has no Set-Cookie; the
// bodies have the request's bearer token replaced by "[redacted]".
type RecordedResponse struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	// Body is the body when it is JSON; BodyText holds any other.
	Body     json.RawMessage `json:"body,omitempty"`
	BodyText string          `json:"body_text,omitempty"`
}

// recorder writes the record, a line at a time, up to limit bytes
// (MaxRecordBytes).
type recorder struct {
	mu      sync.Mutex
	w       io.Writer
	log     *slog.Logger
	limit   int64
	written int64
	stopped bool
}

func (rec *recorder) write(line []byte) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	switch {
	case rec.stopped:
		return
	case rec.written+int64(len(line)) > rec.limit:
		rec.stopped = true
		rec.log.Warn("recording stopped: the record reached its bound", "max_bytes", rec.limit)
		return
	}
	n, err := rec.w.Write(line)
	rec.written += int64(n)
	if err != nil {
		rec.stopped = true
		rec.log.Warn("recording stopped: the record could not be written", "error", err.Error())
	}
}

// record writes the record's line for a request forwarded to the
// upstream, when there is a record.
func (p *proxy) record(r *http.Request, x *exchange) {
	if p.recorder == nil || x.upstream == nil || x.upstream.replayed {
		return
	}
	u, creds := x.upstream, x.upstream.creds
	line := RecordedExchange{
		Time:        x.start,
		RequestID:   x.requestID,
		Request:     RecordedRequest{Method: x.method, Path: creds.text(r.URL.RequestURI()), Header: creds.header(withoutCredentialHeaders(u.requestHeader))},
		Error:       u.failure,
		Duration:    u.duration,
		Violations:  x.violations,
		WouldRefuse: x.wouldRefuse,
	}
	line.Request.Body, line.Request.BodyText = recordedBody(x.body) // without credentials since forward
	if u.failure == "" {
		line.Response = &RecordedResponse{Status: u.status, Header: withoutCredentials(u.header, "Set-Cookie")}
		line.Response.Body, line.Response.BodyText = recordedBody(u.body)
	}
	for _, d := range u.departures {
		line.Drift = append(line.Drift, Departure(d))
	}
	p.recorder.write(append(encodeJSON(line), '\n'))
}

// recordedBody puts a body in a record line: as JSON when it is, so that it
// reads as sent, else as text.
func recordedBody(b []byte) (json.RawMessage, string) {
	switch {
	case len(b) == 0:
		return nil, ""
	case json.Valid(b):
		return json.RawMessage(b), ""
	}
	return nil, string(b)
}

// withoutCredentials copies h less the named headers.
func withoutCredentials(h http.Header, names ...string) http.Header {
	out := h.Clone() // a header map of its own: the redaction may change it
	for _, name := range names {
		delete(out, name)
	}
	if out == nil {
		out = http.Header{}
	}
	return out
}
