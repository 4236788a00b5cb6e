package mockserver

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/benjiconnect/benji/gen"
)

// MaxAdminBodyBytes bounds the body of an admin request (a fault); a larger
// one gets 413.
const MaxAdminBodyBytes = 64 << 10

// The admin API serves the Go handles over HTTP, for services that run the
// mock in docker-compose:
//
//	GET    /__mock/requests          the journal, newest first (?status=&outcome=&user_external_id=&limit=)
//	DELETE /__mock/requests          empty the journal
//	GET    /__mock/tokens/{token}    the request that was issued a token
//	POST   /__mock/faults            queue a fault (a Fault as JSON); answers with it
//	GET    /__mock/faults            the faults still queued
//	DELETE /__mock/faults            drop every queued fault
//	GET    /__mock/drift             proxy mode: how the upstream's answers depart from the contract
//	DELETE /__mock/drift             empty the drift report
//
// server.go routes them; each takes the request and returns its answer.

// adminOnly answers h's answer when the request may use the admin API
// (adminAllowed), and 401 otherwise.
func (s *Server) adminOnly(r *http.Request, h func(*http.Request) answer) answer {
	if !s.adminAllowed(r) {
		return s.errorAnswer(http.StatusUnauthorized, OutcomeUnauthorized,
			`The admin API needs "Authorization: Bearer <admin token>" (see BENJI_MOCK_ADMIN_TOKEN).`).
			withHeader("Www-Authenticate", `Bearer realm="benji-mock admin"`)
	}
	return h(r)
}

// adminAllowed reports whether the request may use the admin API: always
// when Options.AdminToken is empty; else with that bearer token, or with the
// inspector's session cookie (see inspectorSession). A browser sends the
// cookie by itself, so a request it carries that changes something must
// also come from the mock's own pages (http.CrossOriginProtection): the
// cookie is SameSite=Strict, but another port of the same host is the same
// site.
func (s *Server) adminAllowed(r *http.Request) bool {
	if s.opts.AdminToken == "" {
		return true
	}
	if token, bearer := bearerToken(headerValue(r.Header, "Authorization")); bearer {
		return subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.AdminToken)) == 1
	}
	return s.inspector.validSession(r) && s.inspector.crossOrigin.Check(r) == nil
}

// journalQuery lists the query parameters GET /__mock/requests takes.
var journalQuery = []string{"limit", "outcome", "status", "user_external_id"}

func (s *Server) adminListRequests(r *http.Request) answer {
	f, bad := s.parseFilter(r.URL.Query())
	if len(bad) > 0 {
		msg := "The query parameters are not valid."
		if most := s.cat.contract.MaxViolations; len(bad) > most {
			msg = fmt.Sprintf("The query parameters are not valid (%d problems; errors lists the first %d).", len(bad), most)
			bad = bad[:most]
		}
		return s.errorAnswer(http.StatusBadRequest, OutcomeInvalidQuery, msg, bad...)
	}
	return s.jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(map[string][]Entry{"requests": s.Requests(f)}))
}

// parseFilter reads a journal filter from query parameters (journalQuery),
// as the admin API and the inspector take it, and lists what is wrong with
// them.
func (s *Server) parseFilter(q url.Values) (Filter, []gen.FieldError) {
	var f Filter
	var bad []gen.FieldError
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(journalQuery, name) {
			bad = append(bad, gen.FieldError{Field: cutString(name, 64), Message: "is not a filter; the filters are " + strings.Join(journalQuery, ", ")})
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"status", &f.Status}, {"limit", &f.Limit}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				bad = append(bad, gen.FieldError{Field: p.name, Message: "must be a whole number, got " + strconv.Quote(cutString(v, 32))})
				continue
			}
			*p.dst = n
		}
	}
	f.Outcome = q.Get("outcome")
	if f.Outcome != "" && !slices.Contains(s.cat.outcomes, f.Outcome) {
		bad = append(bad, gen.FieldError{Field: "outcome", Message: fmt.Sprintf("must be one of %s, got %q", strings.Join(s.cat.outcomes, ", "), cutString(f.Outcome, 32))})
	}
	f.UserExternalID = q.Get("user_external_id")
	return f, bad
}

func (s *Server) adminResetRequests(*http.Request) answer {
	s.ResetRequests()
	return answer{status: http.StatusNoContent, outcome: OutcomeOK}
}

func (s *Server) adminRequestForToken(token string) answer {
	e, ok := s.RequestForToken(token)
	if !ok {
		return s.errorAnswer(http.StatusNotFound, OutcomeNotFound, "No journaled request was issued this token.")
	}
	return s.jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(e))
}

func (s *Server) adminQueueFault(r *http.Request) answer {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxAdminBodyBytes+1))
	switch {
	case err != nil:
		return s.errorAnswer(http.StatusBadRequest, OutcomeUnreadableBody, "The request body could not be read.")
	case len(body) > MaxAdminBodyBytes:
		return s.errorAnswer(http.StatusRequestEntityTooLarge, OutcomePayloadTooLarge,
			fmt.Sprintf("An admin request body may be at most %d bytes.", MaxAdminBodyBytes))
	}
	var f Fault
	if err := json.Unmarshal(body, &f); err != nil {
		return s.errorAnswer(http.StatusBadRequest, OutcomeInvalidFault, "The fault is not valid: "+err.Error()+".")
	}
	queued, err := s.queueFault(f)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, ErrInvalidFault) {
			msg = "The fault is not valid" + strings.TrimPrefix(msg, ErrInvalidFault.Error())
		}
		return s.errorAnswer(http.StatusBadRequest, OutcomeInvalidFault, msg+".")
	}
	return s.jsonAnswer(http.StatusCreated, OutcomeOK, encodeJSON(queued))
}

func (s *Server) adminListFaults(*http.Request) answer {
	return s.jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(map[string][]Fault{"faults": s.Faults()}))
}

func (s *Server) adminClearFaults(*http.Request) answer {
	s.ClearFaults()
	return answer{status: http.StatusNoContent, outcome: OutcomeOK}
}

func (s *Server) adminDrift(*http.Request) answer {
	return s.jsonAnswer(http.StatusOK, OutcomeOK, encodeJSON(s.Drift()))
}

func (s *Server) adminResetDrift(*http.Request) answer {
	s.ResetDrift()
	return answer{status: http.StatusNoContent, outcome: OutcomeOK}
}
