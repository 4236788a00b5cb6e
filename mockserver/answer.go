package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/benjiconnect/benji/gen"
)

// answer is what the mock decided to send: a value, checked against the
// contract before it is written, once, by deliver.
type answer struct {
	status int
	// header holds the answer's own headers, Content-Type included. It may
	// be shared between answers and is never modified.
	header  http.Header
	body    []byte
	outcome string
	// delay is waited before the answer is written, or the connection
	// dropped.
	delay time.Duration
	// drop closes the connection without an answer.
	drop bool
	// reset sends the status, the headers and half the body, then resets
	// the connection.
	reset bool
	// gateway says the answer stands for a gateway's in front of the API,
	// which the contract does not describe: it is not checked.
	gateway bool
	// upstream says the answer came from the upstream, in proxy mode: it is
	// passed on as it is, and checked for the drift report.
	upstream bool
}

// asGateway marks a as a gateway's answer, which the contract does not
// describe.
func (a answer) asGateway() answer {
	a.gateway = true
	return a
}

// jsonHeader is the headers of a JSON answer, shared and never modified.
var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// jsonAnswer is a JSON answer with no headers of its own.
func jsonAnswer(status int, outcome string, body []byte) answer {
	return answer{status: status, header: jsonHeader, body: body, outcome: outcome}
}

// errorAnswer answers with the contract's error envelope; code is also the
// outcome.
func errorAnswer(status int, code, message string, fields ...gen.FieldError) answer {
	return jsonAnswer(status, code, encodeJSON(gen.Error{Code: code, Message: message, Errors: nonEmpty(fields)}))
}

// withHeader returns a with one more header; a's own map is copied, not
// modified.
func (a answer) withHeader(name, value string) answer {
	h := make(http.Header, len(a.header)+1)
	for k, v := range a.header {
		h[k] = v
	}
	h[name] = []string{value}
	a.header = h
	return a
}

// failure is the answer to a request the mock failed to handle.
func failure() answer {
	return errorAnswer(http.StatusInternalServerError, OutcomeInternalError, "The mock failed to handle the request.")
}

func nonEmpty(fields []gen.FieldError) *[]gen.FieldError {
	if len(fields) == 0 {
		return nil
	}
	return &fields
}

// encodeJSON encodes v without escaping <, > and &: messages quote
// "Authorization: Bearer <token>". The values encoded are the mock's own
// types, which always encode.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"code":"internal_error","message":"The mock failed to encode its answer."}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// deliver writes a, after its delay, and records in x what the client got:
// the answer, or nothing ("dropped") when the client went away or the server
// cut the request at its shutdown deadline (either ends the request's
// context), when a fault drops the connection, or when the write failed.
// Delays are bounded so that an answer is always written before the
// server's write timeout (MaxFaultDelay).
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, x *exchange, a answer) {
	ctx := r.Context()
	sleep(ctx, a.delay)
	if ctx.Err() == nil && !a.drop && s.write(w, r, x, a) == nil {
		x.status, x.outcome = a.status, a.outcome
		if a.reset {
			x.outcome = OutcomeReset
			s.reset(w, x)
		}
		return
	}
	if !x.written {
		// Close the connection, or net/http would answer an empty 200
		// of its own.
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		} else {
			s.log.Debug("close without an answer", "request_id", x.requestID, "error", err)
		}
	}
	x.undelivered(a.status, a.outcome)
}

// undelivered records in x that the answer (status, outcome) did not reach
// the client.
func (x *exchange) undelivered(status int, outcome string) {
	x.status, x.outcome, x.token = 0, OutcomeDropped, uuid.Nil // the token reached nobody
	x.undeliveredStatus, x.undeliveredOutcome = status, outcome
}

// write sends a's status, headers and body.
func (s *Server) write(w http.ResponseWriter, r *http.Request, x *exchange, a answer) error {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	if a.upstream {
		sandbox(h)
	}
	h[ContractHeader] = s.contractHeader // shared and never modified
	if _, own := a.header[RequestIDHeader]; !own {
		h[RequestIDHeader] = []string{x.requestID} // not backed by x, which is reused
	}
	x.written = true
	body := a.body
	if _, own := a.header["Content-Length"]; !own && bodyAllowed(a.status) {
		// Always the length, never chunks: once the handler has written the
		// body, net/http has nothing left to send that finish's flush does
		// not push out and see fail (see finish). For a fault's reset the
		// whole length is announced, and half of it sent.
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	if a.reset {
		body = body[:len(body)/2]
	}
	w.WriteHeader(a.status)
	if r.Method == http.MethodHead {
		return nil
	}
	// All but the last byte now; the last stays in net/http's buffer until
	// finish has journaled the request and flushes it. The length being
	// set, a client has its answer only once it has that byte: one that
	// reads the journal once it has its answer finds its request there. An
	// error here means the connection is already gone.
	most := max(len(body)-1, 0)
	_, err := w.Write(body[:most])
	if err == nil && most < len(body) {
		_, err = w.Write(body[most:])
	}
	if err != nil {
		s.log.Debug("answer not delivered", "request_id", x.requestID, "error", err)
	}
	return err
}

// bodyAllowed reports whether an answer with status has a body (RFC 9110
// section 6.4.1), and so a Content-Length.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// flushAnswer pushes what w still holds of the answer to the connection,
// and says whether it could. A writer that cannot flush holds nothing back.
// It is http.ResponseController's Flush, less the error that one makes on
// every call for a writer that cannot flush.
func flushAnswer(w http.ResponseWriter) error {
	for {
		switch f := w.(type) {
		case interface{ FlushError() error }:
			return f.FlushError()
		case http.Flusher:
			f.Flush()
			return nil
		case interface{ Unwrap() http.ResponseWriter }:
			w = f.Unwrap()
		default:
			return nil
		}
	}
}

// reset sends what is written so far and resets the connection (a TCP
// RST, not an orderly close), as a proxy that fails mid-answer does.
func (s *Server) reset(w http.ResponseWriter, x *exchange) {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil { // the status, the headers and the half body, to the client
		s.log.Debug("reset", "request_id", x.requestID, "error", err)
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		s.log.Debug("reset", "request_id", x.requestID, "error", err)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// sleep waits d, or until ctx is done.
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
