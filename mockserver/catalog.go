package mockserver

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/benjiconnect/benji/internal/contract"
)

// cannedResponse is an answer taken from one of the contract's examples.
type cannedResponse struct {
	status int
	name   string
	body   []byte
	header http.Header
	// code is the body's error code, the journal's outcome; "" for a 200.
	code string
	// gateway says the answer is a gateway's in front of the API (502,
	// 503, 504), not the API's: the contract does not describe it.
	gateway bool
}

// gatewayAnswers are what a load balancer in front of the real API answers
// when the service is down or slow: a short HTML page, not the API's
// envelope. The contract does not document them, since the API never sends
// them; clients must still cope, so faults and Prefer can ask for them.
var gatewayAnswers = map[int]string{
	http.StatusBadGateway:         OutcomeBadGateway,
	http.StatusServiceUnavailable: OutcomeServiceUnavailable,
	http.StatusGatewayTimeout:     OutcomeGatewayTimeout,
}

func gatewayResponse(status int) *cannedResponse {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return &cannedResponse{
		status:  status,
		body:    []byte("<html><head><title>" + text + "</title></head><body><h1>" + text + "</h1></body></html>\n"),
		header:  http.Header{"Content-Type": {"text/html; charset=utf-8"}},
		code:    gatewayAnswers[status],
		gateway: true,
	}
}

// catalog is everything the mock derives from the contract, prepared once
// per process: parsing the spec and marshalling its examples per request or
// per test server would make each test server slow to start.
type catalog struct {
	contract *contract.Contract
	// statuses lists the statuses createToken documents, ascending.
	statuses []int
	// byStatus holds the default answer of each documented status (the
	// example named first in alphabetical order), and a gateway's page for
	// 502, 503 and 504.
	byStatus map[int]*cannedResponse
	// byName holds every named example of every response.
	byName map[string]*cannedResponse
	// contractID is "version+hash", sent on every answer.
	contractID string
	// allow is the Allow header value for the API's path.
	allow string
	// codes holds the error codes of the contract's examples: the outcomes
	// of injected answers.
	codes map[string]bool
	// outcomes lists every outcome a journal entry can have, sorted.
	outcomes []string
}

// answer is the canned response as an answer value; its header map is
// shared, and never modified.
func (r *cannedResponse) answer() answer {
	outcome := r.code
	if outcome == "" {
		outcome = OutcomeOK
	}
	return answer{status: r.status, header: r.header, body: r.body, outcome: outcome, gateway: r.gateway}
}

var loadCatalog = sync.OnceValues(func() (*catalog, error) {
	c, err := contract.Load()
	if err != nil {
		return nil, err
	}
	return newCatalog(c)
})

func newCatalog(c *contract.Contract) (*catalog, error) {
	cat := &catalog{
		contract:   c,
		byStatus:   map[int]*cannedResponse{},
		byName:     map[string]*cannedResponse{},
		contractID: c.Version + "+" + c.Hash,
		allow:      strings.Join(slices.Sorted(slices.Values(c.Methods)), ", "),
		codes:      map[string]bool{},
	}
	if !c.BearerOnly {
		return nil, fmt.Errorf("contract: the mock checks one HTTP bearer scheme, and createToken asks for other security")
	}
	for code, ref := range c.Operation.Responses.Map() {
		status, err := strconv.Atoi(code)
		if err != nil {
			return nil, fmt.Errorf("contract: response %q is not a status code", code)
		}
		media := ref.Value.Content.Get("application/json")
		if media == nil {
			return nil, fmt.Errorf("contract: response %d has no application/json body", status)
		}
		header := http.Header{"Content-Type": {"application/json"}}
		for name, h := range ref.Value.Headers {
			if h.Value.Schema != nil && h.Value.Schema.Value.Example != nil {
				header.Set(name, fmt.Sprint(h.Value.Schema.Value.Example))
			}
		}
		examples := map[string]any{}
		for name, ex := range media.Examples {
			examples[name] = ex.Value.Value
		}
		if media.Example != nil {
			examples[""] = media.Example
		}
		if len(examples) == 0 {
			return nil, fmt.Errorf("contract: response %d has no example for the mock to answer with", status)
		}
		for _, name := range slices.Sorted(maps.Keys(examples)) {
			body, err := json.Marshal(examples[name])
			if err != nil {
				return nil, fmt.Errorf("contract: response %d example %q: %w", status, name, err)
			}
			r := &cannedResponse{status: status, name: name, body: body, header: header}
			if code, ok := examples[name].(map[string]any)["code"].(string); ok && status != http.StatusOK {
				r.code = code
				cat.codes[code] = true
				if status == http.StatusUnauthorized && code != OutcomeUnauthorized {
					// A 401 for a token that was sent but refused (expired,
					// say) says so, as RFC 6750 section 3.1 has it.
					r.header = header.Clone()
					r.header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				}
			}
			if _, ok := cat.byStatus[status]; !ok {
				cat.byStatus[status] = r
			}
			if name != "" {
				if _, dup := cat.byName[name]; dup {
					return nil, fmt.Errorf("contract: example name %q is used twice", name)
				}
				cat.byName[name] = r
			}
		}
		cat.statuses = append(cat.statuses, status)
	}
	for status := range gatewayAnswers {
		if _, documented := cat.byStatus[status]; !documented {
			cat.byStatus[status] = gatewayResponse(status)
		}
	}
	cat.outcomes = []string{OutcomeOK, OutcomeDropped, OutcomeInvalidRequest, OutcomeMalformedJSON, OutcomeUnauthorized,
		OutcomeUnsupportedMediaType, OutcomePayloadTooLarge, OutcomeUnreadableBody, OutcomeInvalidPrefer,
		OutcomeNotFound, OutcomeMethodNotAllowed, OutcomeInternalError, OutcomeContractViolation,
		OutcomeReset, OutcomeBadGateway, OutcomeServiceUnavailable, OutcomeGatewayTimeout,
		OutcomeProxied, OutcomeReplayed, OutcomeUpstreamFailed, OutcomeUpstreamTimeout, OutcomeCrossOrigin}
	for code := range cat.codes {
		cat.outcomes = append(cat.outcomes, code)
	}
	slices.Sort(cat.outcomes)
	cat.outcomes = slices.Compact(cat.outcomes)
	slices.Sort(cat.statuses)
	return cat, nil
}

// documented lists the documented statuses for messages: "200, 400, 401".
func (cat *catalog) documented() string {
	parts := make([]string, len(cat.statuses))
	for i, s := range cat.statuses {
		parts[i] = strconv.Itoa(s)
	}
	return strings.Join(parts, ", ")
}

// exampleNames lists the named examples for messages.
func (cat *catalog) exampleNames() string {
	return strings.Join(slices.Sorted(maps.Keys(cat.byName)), ", ")
}

// pick resolves a status and an example name, either of which may be empty,
// to a canned answer. The error is a sentence for the caller.
func (cat *catalog) pick(status int, example string) (*cannedResponse, error) {
	if example != "" {
		r, ok := cat.byName[example]
		if !ok {
			return nil, fmt.Errorf("example %q is not in the contract; it has %s", cutString(example, 64), cat.exampleNames())
		}
		if status != 0 && r.status != status {
			return nil, fmt.Errorf("example %q belongs to status %d, not %d", example, r.status, status)
		}
		return r, nil
	}
	r, ok := cat.byStatus[status]
	if !ok {
		return nil, fmt.Errorf("status %d is not documented for createToken; the contract documents %s, and a gateway's 502, 503 and 504 can be injected too",
			status, cat.documented())
	}
	return r, nil
}
