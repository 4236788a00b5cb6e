package mockserver

import (
	"github.com/labstack/echo/v4"

	"github.com/benjiconnect/benji/gen/echoserver"
)

// The API's one operation, CreateToken, top to bottom: each numbered step
// names the file that holds it (exchange.go, check.go, decide.go,
// delivery.go; proxy.go in proxy mode).

// api implements the generated server interface.
type api struct{ s *Server }

var _ echoserver.ServerInterface = (*api)(nil)

// CreateToken is the API's one operation, top to bottom. internal_test.go's
// postDecided takes the same steps with an answer of its own in step 4:
// change both together.
func (a *api) CreateToken(c echo.Context) error {
	s := a.s
	w, r := c.Response().Writer, c.Request()
	// 1. Begin the record; finish writes the log line and the journal
	// entry once, whatever happens, and recovers a panic.
	x := s.begin(r, true)
	defer s.finish(w, r, x)
	// 2. The configured latency. It is waited in step 6, after the body
	// is read: a wait before would eat into the read timeout, and a
	// client that hangs up is only noticed once its body is in.
	latency := latency(s.opts.Latency, s.opts.LatencyJitter)
	// 3. The contract checks the request.
	ans, ok := s.checkRequest(r, x)
	if ok {
		// 4. Decide the answer: a queued fault, else Prefer, else a token (in
		// replay and proxy mode, the record's or the upstream's answer).
		ans = s.decideAnswer(r, x)
	}
	// 5. The contract checks the answer: the mock's own is replaced when it
	// breaks the contract; the upstream's, in proxy mode, is recorded.
	ans = s.checkAnswer(r, x, ans)
	// 6. Wait the latency and any fault's delay, then write it, once.
	ans.delay += latency
	s.deliver(w, r, x, ans)
	return nil
}
