package mockserver

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/benjiconnect/benji/internal/contract"
)

// Bounds of what proxy mode keeps about the upstream's answers.
const (
	// MaxDriftEntries bounds the distinct departures Server.Drift sums up;
	// departures of another kind seen after that are only counted
	// (DriftReport.Omitted). With its request ids (the mock's and the
	// upstream's), the report stays under about 1 MB.
	MaxDriftEntries = 500
	// maxDriftRequestIDs is how many request ids a Drift keeps: the first.
	maxDriftRequestIDs = 5
	// maxEntryDepartures is how many departures a journal entry lists.
	maxEntryDepartures = 10
	// maxEntryUpstreamBody bounds the upstream's body in a journal entry,
	// once JSON-encoded.
	maxEntryUpstreamBody = 2 << 10
)

// Kinds of Departure.
const (
	DepartureStatus = contract.DepartureStatus // a status the contract does not document
	DepartureHeader = contract.DepartureHeader // a documented header missing or wrong, or an undocumented Content-Type
	DepartureBody   = contract.DepartureBody   // a body that is not JSON or breaks its schema
)

// Departure is one way an upstream's answer departs from the contract.
// Kind, Where and Rule name it; Got is what the answer had.
type Departure struct {
	// Kind is DepartureStatus, DepartureHeader or DepartureBody.
	Kind string `json:"kind"`
	// Where is the JSON pointer into the body ("" for the body itself), or
	// the header's name; empty for a status.
	Where string `json:"where,omitempty"`
	// Rule is what the contract wants there.
	Rule string `json:"rule"`
	// Got is what the answer had, cut short; empty when the rule says it
	// all (a value missing, say).
	Got string `json:"got,omitempty"`
}

// String returns the departure as "where: rule, got value".
func (d Departure) String() string { return contract.Departure(d).String() }

// Place names where the departure is: "status", "header NAME", a JSON
// pointer, or "body" for the body itself.
func (d Departure) Place() string { return contract.Departure(d).Place() }

// UpstreamAnswer is what became of a request forwarded to the upstream, in
// proxy mode (Entry.Upstream).
type UpstreamAnswer struct {
	// Status is the upstream's status; 0 when the exchange failed.
	Status int `json:"status"`
	// RequestID is the upstream's X-Request-Id, when it is not the one
	// forwarded (the entry's): the caller got this one.
	RequestID string `json:"request_id,omitempty"`
	// Duration is how long the exchange with the upstream took.
	Duration time.Duration `json:"duration_ns"`
	// Error says why the exchange failed: the upstream unreachable, too
	// slow, or answering something that is not HTTP.
	Error string `json:"error,omitempty"`
	// Header holds the answer's headers that matter: Content-Type,
	// X-Request-Id, Retry-After and any header a departure names, each
	// with its first value (the one the contract checks), cut at 128 bytes
	// once encoded, credentials redacted.
	Header http.Header `json:"header,omitempty"`
	// Body is the upstream's body, cut at 2 KiB once encoded, with the
	// request's bearer token replaced by "[redacted]".
	Body string `json:"body,omitempty"`
	// Truncated says the body was longer than Body keeps.
	Truncated bool `json:"truncated,omitempty"`
	// Replayed says the answer was served from a record (replay mode)
	// rather than by the upstream: Status, Header, Body and RequestID are
	// the recorded ones.
	Replayed bool `json:"replayed,omitempty"`
	// Recorded, for a replayed answer, is where it was recorded:
	// "file:line".
	Recorded string `json:"recorded,omitempty"`
	// Drift lists how the answer departs from the contract: the first 10.
	Drift []Departure `json:"drift,omitempty"`
	// DriftOmitted counts the departures beyond those listed.
	DriftOmitted int `json:"drift_omitted,omitempty"`
}

// Drift is one way the upstream's answers departed from the contract, summed
// up over every answer that departed in that way.
type Drift struct {
	Departure
	// Status is the status of the answers that departed so.
	Status int `json:"status"`
	// Count is how many answers departed so.
	Count int `json:"count"`
	// FirstSeen and LastSeen are when the first and the last of them
	// arrived; Got (in Departure) is what the first had.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// RequestIDs are the request ids of the first five, to find them in the
	// journal and the logs.
	RequestIDs []string `json:"request_ids"`
	// UpstreamRequestIDs holds, for each of RequestIDs in turn, the
	// X-Request-Id the upstream answered with when it was not the one it
	// was sent ("" when it was, or when it sent none): the id its
	// operators know the request by. Nil when there is none of those.
	UpstreamRequestIDs []string `json:"upstream_request_ids,omitempty"`
}

// DriftReport sums up how the upstream's answers departed from the
// contract: what a partner sends to Benji, or to the contract's authors.
type DriftReport struct {
	// Upstream is the upstream's URL; empty when the mock is not a proxy.
	Upstream string `json:"upstream"`
	// Replay lists the record files replayed (Options.Replay), whose
	// answers are checked as the upstream's are.
	Replay []string `json:"replay,omitempty"`
	// Contract is the contract checked against (ContractHeader's value).
	Contract string `json:"contract"`
	// Answers counts the upstream answers checked; Departed, those that
	// departed from the contract.
	Answers  int `json:"answers"`
	Departed int `json:"departed"`
	// Drift lists each distinct departure, the most frequent first.
	Drift []Drift `json:"drift"`
	// Omitted counts departures of kinds not listed: past MaxDriftEntries
	// distinct ones, or past the contract's MaxViolations in one answer.
	Omitted int `json:"omitted,omitempty"`
}

// driftKey tells departures apart: the same rule broken at the same place
// in answers of the same status is one Drift.
type driftKey struct {
	status            int
	kind, where, rule string
}

// driftReport is the running sum behind Server.Drift, safe for concurrent
// use.
type driftReport struct {
	mu sync.Mutex
	// changes counts the answers added and the resets: the inspector's
	// fragment changes with it.
	changes  uint64
	answers  int
	departed int
	omitted  int
	byKey    map[driftKey]*Drift
}

// add sums up one answer; upstreamRequestID is the id the upstream
// answered with, when it was not requestID.
func (d *driftReport) add(status int, departures []contract.Departure, omitted int, requestID, upstreamRequestID string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.changes++
	d.answers++
	if len(departures) == 0 {
		return
	}
	d.departed++
	d.omitted += omitted
	for _, dep := range departures {
		key := driftKey{status, dep.Kind, dep.Where, dep.Rule}
		e := d.byKey[key]
		if e == nil {
			if len(d.byKey) >= MaxDriftEntries {
				d.omitted++
				continue
			}
			if d.byKey == nil {
				d.byKey = map[driftKey]*Drift{}
			}
			e = &Drift{Departure: cutDeparture(dep), Status: status, FirstSeen: at}
			d.byKey[key] = e
		}
		e.Count++
		e.LastSeen = at
		if len(e.RequestIDs) < maxDriftRequestIDs && !slices.Contains(e.RequestIDs, requestID) {
			if upstreamRequestID != "" && e.UpstreamRequestIDs == nil {
				e.UpstreamRequestIDs = make([]string, len(e.RequestIDs), maxDriftRequestIDs)
			}
			e.RequestIDs = append(e.RequestIDs, requestID)
			if e.UpstreamRequestIDs != nil {
				e.UpstreamRequestIDs = append(e.UpstreamRequestIDs, upstreamRequestID)
			}
		}
	}
}

// report returns a copy of the sum, the most frequent departures first.
func (d *driftReport) report() DriftReport {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := DriftReport{Answers: d.answers, Departed: d.departed, Omitted: d.omitted, Drift: make([]Drift, 0, len(d.byKey))}
	for _, e := range d.byKey {
		c := *e
		c.RequestIDs = slices.Clone(e.RequestIDs)
		c.UpstreamRequestIDs = slices.Clone(e.UpstreamRequestIDs)
		r.Drift = append(r.Drift, c)
	}
	slices.SortFunc(r.Drift, func(a, b Drift) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), a.FirstSeen.Compare(b.FirstSeen),
			cmp.Compare(a.Status, b.Status), strings.Compare(a.Where, b.Where), strings.Compare(a.Rule, b.Rule))
	})
	return r
}

func (d *driftReport) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.changes++
	d.answers, d.departed, d.omitted, d.byKey = 0, 0, 0, nil
}

// version changes whenever the report does.
func (d *driftReport) version() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changes
}
