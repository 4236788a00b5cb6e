package mockserver

import (
	"net/http"
	"time"

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
