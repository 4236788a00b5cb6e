// Package mockserver is a fake of the Benji Connect token API, held to the
// contract in openapi.yaml: whatever it accepts, the contract accepts;
// whatever it answers, the contract allows; and a wrong request gets an
// answer that names what is wrong.
//
// New builds a Server, an http.Handler; Serve runs it with timeouts and a
// graceful shutdown; cmd/benji-mock is the binary around it. For Go tests,
// NewTestServer starts one on a free port and closes it with the test:
//
//	ts := mockserver.NewTestServer(t)
//	ts.QueueFault(mockserver.Fault{Status: 429, Times: 2})
//	// ... point the code under test at ts.URL ...
//	for _, e := range ts.Requests(mockserver.Filter{}) { ... }
//
// Requests are checked in this order: bearer token (401), media type (415),
// size (413), JSON syntax and schema (400, with the violations in errors[],
// at most 50). A valid request gets a fresh version-1 UUID token, unless a
// queued Fault or a Prefer header ("code=429", "example=expiredToken") picks
// another answer the contract documents. The journal keeps the last
// requests, each within MaxEntryBytes, with an Outcome that says what the
// client got ("dropped" when the answer never reached it); the admin API
// under /__mock/ offers the same handles over HTTP, optionally behind
// Options.AdminToken, and GET /__mock/ is the request inspector: an HTML
// page of the journal (each violation beside the line of the body it names)
// and the fault queue, with forms to queue and clear faults. Everything
// that grows with what clients send has a bound (Options, MaxQueuedFaults,
// MaxFaultDelay, MaxHeaderBytes, ...).
//
// With Options.Upstream the server is a validating proxy in front of the
// real API: requests are checked, journaled and forwarded with the caller's
// own credentials, the upstream's answers come back unchanged, and every way
// they depart from the contract is journaled and summed up by Server.Drift.
// Faults and Prefer still answer locally. Options.Record writes each
// exchange as a line (RecordedExchange) without credentials.
//
// With Options.Replay the server answers from such a record, offline: a
// request recorded gets the answers recorded for it, in order, checked
// against the contract as the upstream's are; others get the mock's own
// answer (or the upstream's). VerifyRecord checks a record against the
// current contract, as `benji-mock verify` does in CI.
//
// Where it may differ from the real service: the contract models the error
// answers (Benji's reference documents none), so statuses, codes and messages
// are this project's; the real API may check what the contract cannot know
// (whether a partnership exists, whether a partner token has expired), and it
// may accept values the contract refuses (an action's mode and amount are
// stricter here than in the reference).
package mockserver
