package mockserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// MaxAdminBodyBytes bounds the body of an admin request (a fault); a larger
// one gets 413.
const MaxAdminBodyBytes = 64 << 10

// The admin API serves the Go handles over HTTP, for services that run the
// mock in docker-compose:
//
//	GET    /__mock/requests          the journal, newest first (?status=&outcome=&user_external_id=&header=&limit=)
//	DELETE /__mock/requests          empty the journal
//	GET    /__mock/tokens/{token}    the request that was issued a token
//	POST   /__mock/faults            queue a fault (a Fault as JSON); answers with it
//	GET    /__mock/faults            the faults still queued
//	DELETE /__mock/faults            drop every queued fault
//	GET    /__mock/drift             proxy mode: how the upstream's answers depart from the contract
//	DELETE /__mock/drift             empty the drift report
//	GET    /__mock/replay            replay: each recorded request, its answers and those left
//	POST   /__mock/replay/rewind     replay: start every request's answers again from the first
//
// routes.go routes them to admin's methods; each takes the request and
// returns its answer.

// admin is the admin API: a method for each route, over the Server's Go
// handles (srv), behind the guard it shares with the inspector.
type admin struct {
	srv   *Server
	guard *guard
}

// only answers h's answer when the request may use the admin API: the
// guard lets it through and allows it (401 otherwise, 429 while wrong admin
// tokens are throttled).
func (a *admin) only(r *http.Request, h func(*http.Request) answer) answer {
	if outcome, why := a.guard.refusal(r); outcome != "" {
		return errorAnswer(http.StatusForbidden, outcome, why)
	}
	allowed, wait := a.guard.access(r)
	if wait > 0 {
		return throttledAPI(wait)
	}
	if !allowed {
		return errorAnswer(http.StatusUnauthorized, OutcomeUnauthorized,
			`The admin API needs "Authorization: Bearer <admin token>" (see BENJI_MOCK_ADMIN_TOKEN).`).
			withHeader("Www-Authenticate", `Bearer realm="benji-mock admin"`)
	}
	return h(r)
}

func (a *admin) listRequests(r *http.Request) answer {
	f, bad := parseFilter(r.URL.Query(), a.srv.cat.outcomes)
	if len(bad) > 0 {
		msg := "The query parameters are not valid."
		if most := a.srv.cat.contract.MaxViolations; len(bad) > most {
			msg = fmt.Sprintf("The query parameters are not valid (%d problems; errors lists the first %d).", len(bad), most)
			bad = bad[:most]
		}
		return errorAnswer(http.StatusBadRequest, OutcomeInvalidQuery, msg, bad...)
	}
	return jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(map[string][]Entry{"requests": a.srv.Requests(f)}))
}

func (a *admin) resetRequests(*http.Request) answer {
	a.srv.ResetRequests()
	return answer{status: http.StatusNoContent, outcome: OutcomeOK}
}

func (a *admin) requestForToken(token string) answer {
	e, ok := a.srv.RequestForToken(token)
	if !ok {
		return errorAnswer(http.StatusNotFound, OutcomeNotFound, "No journaled request was issued this token.")
	}
	return jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(e))
}

func (a *admin) queueFault(r *http.Request) answer {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxAdminBodyBytes+1))
	switch {
	case err != nil:
		return errorAnswer(http.StatusBadRequest, OutcomeUnreadableBody, "The request body could not be read.")
	case len(body) > MaxAdminBodyBytes:
		return errorAnswer(http.StatusRequestEntityTooLarge, OutcomePayloadTooLarge,
			fmt.Sprintf("An admin request body may be at most %d bytes.", MaxAdminBodyBytes))
	}
	var f Fault
	err = json.Unmarshal(body, &f)
	var queued Fault
	if err == nil {
		queued, err = a.srv.queueFault(f)
	}
	if err != nil {
		return errorAnswer(http.StatusBadRequest, OutcomeInvalidFault, faultRefusal(err))
	}
	return jsonAnswer(http.StatusCreated, OutcomeOK, encodeJSON(queued))
}

func (a *admin) listFaults(*http.Request) answer {
	return jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(map[string][]Fault{"faults": a.srv.Faults()}))
}

func (a *admin) clearFaults(*http.Request) answer {
	a.srv.ClearFaults()
	return answer{status: http.StatusNoContent, outcome: OutcomeOK}
}

func (a *admin) drift(*http.Request) answer {
	return jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(a.srv.Drift()))
}

func (a *admin) resetDrift(*http.Request) answer {
	a.srv.ResetDrift()
	return answer{status: http.StatusNoContent, outcome: OutcomeOK}
}

func (a *admin) replay(*http.Request) answer {
	return jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(a.srv.Replay()))
}

func (a *admin) rewindReplay(*http.Request) answer {
	a.srv.RewindReplay()
	return answer{status: http.StatusNoContent, outcome: OutcomeOK}
}
