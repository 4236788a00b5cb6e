package mockserver

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Delivery, step 6 of a request: the latency, the answer written once with
// its length, a fault's drop or reset, and what the client did not get.

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
	if !bodyAllowed(a.status) {
		body = nil // a recorded 204 or 304 may have one; net/http refuses to send it
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

// latency is a request's latency: base (Options.Latency) and up to jitter
// (Options.LatencyJitter) more, at random.
func latency(base, jitter time.Duration) time.Duration {
	if jitter > 0 {
		base += rand.N(jitter + 1)
	}
	return base
}
