package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"unicode/utf8"
)

// ReplayState is how far the answers of a replayed record have been
// served.
type ReplayState struct {
	// Requests lists each distinct request of the record, in the order
	// they were first recorded.
	Requests []ReplayedRequest `json:"requests"`
}

// ReplayedRequest is one distinct request of a replayed record: what a
// request must have to be answered from the record, where it was recorded,
// and how many of its answers are left.
type ReplayedRequest struct {
	// Method and Path are the request's, as recorded (Path with its query).
	Method string `json:"method"`
	Path   string `json:"path"`
	// Recorded is where the request was first recorded: "file:line".
	Recorded string `json:"recorded"`
	// WouldRefuse, when set, is the refusal the request's headers earned
	// (unauthorized, unsupported_media_type): its answers go only to
	// requests whose headers earn the same.
	WouldRefuse string `json:"would_refuse,omitempty"`
	// Answers counts the answers recorded for the request; Left, those
	// not served yet. Once none is left, the last is served again.
	Answers int `json:"answers"`
	Left    int `json:"left"`
}

// replay answers requests from a record: a request with the same method,
// path and body as one recorded gets the answers recorded for it, in the
// order they were recorded, the last one again once they run out. Bodies
// that are JSON are compared as values (key order and whitespace aside),
// others byte for byte. Exchanges that failed (no answer) are not
// replayed. Safe for concurrent use.
type replay struct {
	mu sync.Mutex
	// requests holds each distinct request, in the order first recorded;
	// byKey finds them.
	requests []*replaySequence
	byKey    map[replayKey]*replaySequence
}

// replayKey tells requests apart: the same method, path and canonical body
// make the same request.
type replayKey struct {
	method, path, body string
	// refused is the refusal the request's headers earn, if any
	// (headerRefusal): recorded for a request without a token, an answer
	// is for such requests only.
	refused string
}

// headerRefusal is the part of a request's would-be refusal (its first,
// exchange.wouldRefuse or RecordedExchange.WouldRefuse) that its headers,
// not its body, decide: what the body decides is in the body compared.
func headerRefusal(wouldRefuse string) string {
	switch wouldRefuse {
	case OutcomeUnauthorized, OutcomeUnsupportedMediaType:
		return wouldRefuse
	}
	return ""
}

// replaySequence is the answers recorded for one distinct request.
type replaySequence struct {
	method, path string
	refused      string
	first        recordPlace
	answers      []replayAnswer
	next         int // the index of the next answer; len(answers) once all are served
}

// replayAnswer is an answer as recorded, ready to send: its status, its
// headers less those of one connection, and its body.
type replayAnswer struct {
	status int
	// header is shared by every request the answer is served to: never
	// modified.
	header http.Header
	body   []byte
	// at is where the answer was recorded.
	at recordPlace
	// id is the recorded answer's X-Request-Id, the upstream's.
	id string
}

// newReplay prepares the exchanges of rec for replay.
func newReplay(rec *loadedRecord) *replay {
	rp := &replay{byKey: map[replayKey]*replaySequence{}}
	for _, l := range rec.exchanges {
		x := l.exchange
		if x.Response == nil {
			continue // the exchange failed: there is no answer to replay
		}
		key := replayKey{x.Request.Method, x.Request.Path, canonicalBody(recordedBytes(x.Request.Body, x.Request.BodyText)), headerRefusal(x.WouldRefuse)}
		seq := rp.byKey[key]
		if seq == nil {
			seq = &replaySequence{method: key.method, path: key.path, refused: key.refused, first: l.at}
			rp.byKey[key] = seq
			rp.requests = append(rp.requests, seq)
		}
		header := passedBack(x.Response.Header)
		// The mock's own date and request id, not those of the recording:
		// the recorded id is kept as the upstream's (Entry.Upstream).
		recordedID := headerValue(header, RequestIDHeader)
		delete(header, "Date")
		delete(header, RequestIDHeader)
		seq.answers = append(seq.answers, replayAnswer{
			status: x.Response.Status,
			header: header,
			body:   recordedBytes(x.Response.Body, x.Response.BodyText),
			at:     l.at,
			id:     recordedID,
		})
	}
	return rp
}

// match returns the next answer recorded for a request with this method,
// path and body that its headers would have the mock refuse for refused
// (headerRefusal; "" for none), and whether there is one.
func (rp *replay) match(method, path string, body []byte, refused string) (replayAnswer, bool) {
	key := replayKey{method, path, canonicalBody(body), refused}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	seq := rp.byKey[key]
	if seq == nil {
		return replayAnswer{}, false
	}
	a := seq.answers[min(seq.next, len(seq.answers)-1)]
	if seq.next < len(seq.answers) {
		seq.next++
	}
	return a, true
}

// rewind makes every request's answers start again from the first.
func (rp *replay) rewind() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for _, seq := range rp.requests {
		seq.next = 0
	}
}

// state returns how far each request's answers have been served.
func (rp *replay) state() ReplayState {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	st := ReplayState{Requests: make([]ReplayedRequest, len(rp.requests))}
	for i, seq := range rp.requests {
		st.Requests[i] = ReplayedRequest{
			Method:      seq.method,
			Path:        seq.path,
			Recorded:    seq.first.String(),
			WouldRefuse: seq.refused,
			Answers:     len(seq.answers),
			Left:        len(seq.answers) - seq.next,
		}
	}
	return st
}

// recordedBytes is a recorded body as it was sent: the JSON one, or the
// text.
func recordedBytes(body json.RawMessage, text string) []byte {
	if len(body) > 0 {
		return body
	}
	return []byte(text)
}

// canonicalBody is the form in which bodies are compared for replay: a
// JSON body (one value, valid UTF-8) decoded and encoded again, which sorts
// object keys and drops whitespace while keeping numbers as written; any
// other body as it is. A JSON body and a text body cannot be confused:
// every canonical JSON body is valid JSON, and an other body is one only
// when it is not JSON.
func canonicalBody(body []byte) string {
	if len(body) == 0 || !utf8.Valid(body) {
		return string(body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return string(body)
	}
	if _, err := dec.Token(); err != io.EOF {
		return string(body)
	}
	canonical, err := json.Marshal(v)
	if err != nil {
		return string(body)
	}
	return string(canonical)
}
