package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
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
//	GET    /__mock/requests          the journal, newest first (?status=&outcome=&user_external_id=&header=&limit=)
//	DELETE /__mock/requests          empty the journal
//	GET    /__mock/tokens/{token}    the request that was issued a token
//	POST   /__mock/faults            queue a fault (a Fault as JSON); answers with it
//	GET    /__mock/faults            the faults still queued
//	DELETE /__mock/faults            drop every queued fault
//	GET    /__mock/drift             proxy mode: how the upstream's answers depart from the contract
//	DELETE /__mock/drift             empty the drift report
//
// server.go routes them; each takes the request and returns its answer.

// adminOnly answers h's answer when the request may use the admin API:
// adminGuard lets it through and adminAccess allows it (401 otherwise, 429
// while wrong admin tokens are throttled).
func (s *Server) adminOnly(r *http.Request, h func(*http.Request) answer) answer {
	if outcome, why := s.adminGuard(r); outcome != "" {
		return s.errorAnswer(http.StatusForbidden, outcome, why)
	}
	allowed, wait := s.adminAccess(r)
	if wait > 0 {
		return s.throttledAPI(wait)
	}
	if !allowed {
		return s.errorAnswer(http.StatusUnauthorized, OutcomeUnauthorized,
			`The admin API needs "Authorization: Bearer <admin token>" (see BENJI_MOCK_ADMIN_TOKEN).`).
			withHeader("Www-Authenticate", `Bearer realm="benji-mock admin"`)
	}
	return h(r)
}

// adminGuard keeps web pages out of the admin API and the inspector, which
// a browser on the developer's machine can reach:
//   - a request that changes something must come from the mock's own pages
//     (http.CrossOriginProtection, by Sec-Fetch-Site or Origin): curl and
//     Go clients send neither header and pass; another site's page, which
//     may post a fault as text/plain without asking, does not (403);
//   - without an admin token, the Host must be one no web page can point
//     its own name at (DNS rebinding): an IP address, localhost, a name
//     without a dot (a compose service), or one of Options.AdminHosts
//     (403 otherwise). With a token, the token protects.
//
// It returns the refusal's outcome and why, for a 403; "" lets r through.
func (s *Server) adminGuard(r *http.Request) (outcome, why string) {
	if err := s.inspector.crossOrigin.Check(r); err != nil {
		return OutcomeCrossOrigin, "The admin API and the inspector refuse changes sent from another site's page (" + err.Error() + ")."
	}
	if s.opts.AdminToken == "" && !s.adminHost(r.Host) {
		return OutcomeForbiddenHost, fmt.Sprintf(
			"The admin API is open (no admin token), so it answers only requests addressed to an IP address, localhost or a name without a dot, not to %q, which a web page could point at this mock; "+
				"use one of those, allow the name (--admin-hosts), or set an admin token (--admin-token).", cutString(r.Host, 64))
	}
	return "", ""
}

// adminHost reports whether host (a Host header, port included) may reach
// the open admin API: see adminGuard.
func (s *Server) adminHost(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	lower := strings.ToLower(name)
	switch {
	case net.ParseIP(name) != nil, !strings.Contains(name, "."), lower == "localhost", strings.HasSuffix(lower, ".localhost"):
		return true
	}
	for _, allowed := range s.opts.AdminHosts {
		if strings.EqualFold(allowed, name) {
			return true
		}
	}
	return false
}

// journalQuery lists the query parameters GET /__mock/requests takes.
var journalQuery = []string{"header", "limit", "outcome", "status", "user_external_id"}

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
	if f.Header = q.Get("header"); headerFilterProblem(f.Header) != "" {
		bad = append(bad, gen.FieldError{Field: "header", Message: headerFilterProblem(f.Header)})
	}
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
	err = json.Unmarshal(body, &f)
	var queued Fault
	if err == nil {
		queued, err = s.queueFault(f)
	}
	if err != nil {
		return s.errorAnswer(http.StatusBadRequest, OutcomeInvalidFault, faultRefusal(err))
	}
	return s.jsonAnswer(http.StatusCreated, OutcomeOK, encodeJSON(queued))
}

// faultRefusal words why a fault was refused, for the admin API and the
// inspector's form alike: "The fault is not valid: ...".
func faultRefusal(err error) string {
	msg := err.Error()
	if errors.Is(err, ErrInvalidFault) {
		msg = strings.TrimPrefix(strings.TrimPrefix(msg, ErrInvalidFault.Error()), ": ")
	}
	return "The fault is not valid: " + msg + "."
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
