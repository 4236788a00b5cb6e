package mockserver

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benjiconnect/benji/gen"
)

// The inspector's view model: what page.html.tmpl renders, made from the
// journal and the fault queue. Every string in it is plain text, escaped by
// html/template where the template puts it.

// pageView is what the page's template renders.
type pageView struct {
	Contract string
	// TokenSet says an admin token protects the page: it offers to sign out.
	TokenSet bool
	// LoginError is the token form's complaint, on the token form.
	LoginError string
	Filter     filterForm
	Outcomes   []string
	Statuses   []int
	Examples   []string
	Modes      []modeChoice
	Fault      faultForm
	// FaultError says why the fault form's fault was refused.
	FaultError string
	// Refresh is the page's own address, with its filters.
	Refresh string
	// LiveURL is the fragment the script polls; IntervalMS how often.
	LiveURL    string
	IntervalMS int64
	Live       liveView
}

// liveView is the part of the page that updates by itself.
type liveView struct {
	// Problems lists what is wrong with the filters; nothing is listed then.
	Problems []gen.FieldError
	Entries  []entryView
	// Limit is how many entries are shown at most; More says more match.
	Limit int
	More  bool
	// MaxLimit is the most entries the page shows, whatever the limit.
	MaxLimit int
	// Filtered says a filter is set.
	Filtered bool
	// BodiesOmitted counts the entries listed without their bodies, past
	// maxPageBodyLines.
	BodiesOmitted int
	// Faults shows the first maxPageFaults queued faults; FaultsQueued
	// counts the whole queue and FaultsMore those not shown.
	Faults       []faultView
	FaultsQueued int
	FaultsMore   int
	// Drift is proxy mode's summary of how the real API's answers depart
	// from the contract; nil when the mock is not a proxy. liveTag follows
	// its changes (driftReport.changes).
	Drift *driftSummary
}

// driftSummary is the drift report as the page shows it: at most
// maxPageDrift departures, the most frequent first.
type driftSummary struct {
	Upstream          string
	Answers, Departed int
	Items             []driftView
	// More counts the departures not shown; Omitted, those the report
	// itself only counted.
	More, Omitted int
}

// maxPageDrift bounds the departures the page lists.
const maxPageDrift = 50

// The page's view of the fault queue is bounded whatever the queue holds
// (up to MaxQueuedFaults faults of 64 KiB each, 64 MB): it lists the first
// maxPageFaults faults, the next to be used, each match value cut to
// maxPageMatchBytes (then "…"), and counts the rest. GET /__mock/faults
// lists them whole.
const (
	maxPageFaults     = 20
	maxPageMatchBytes = 64
)

// driftView is one line of the drift summary.
type driftView struct {
	Status    int
	Where     string // "status", "header NAME", or a JSON pointer
	Rule, Got string
	Count     int
	LastSeen  string
	Requests  []driftRequest
}

// driftSummary makes the page's view of the drift report.
func (in *inspector) driftSummary() *driftSummary {
	r := in.srv.Drift()
	d := &driftSummary{Upstream: r.Upstream, Answers: r.Answers, Departed: r.Departed, Omitted: r.Omitted}
	for i, e := range r.Drift {
		if i == maxPageDrift {
			d.More = len(r.Drift) - i
			break
		}
		d.Items = append(d.Items, driftView{
			Status: e.Status, Where: e.Place(), Rule: e.Rule, Got: e.Got, Count: e.Count,
			LastSeen: e.LastSeen.Format("15:04:05"), Requests: driftRequests(e),
		})
	}
	return d
}

// upstreamView is what became of a request at the upstream, in proxy mode,
// or the answer replayed from a record: each departure is shown beside
// what it names (the status, a header, a line of the body).
type upstreamView struct {
	// Replayed says the answer came from a record, not the upstream.
	Replayed    bool
	Status      int
	StatusDrift []string
	Duration    string
	Error       string
	// RequestID is the upstream's X-Request-Id, the id Benji's support
	// knows the request by; empty when it sent none.
	RequestID string
	Headers   []headerLine
	Body      bodyView
	// EmptyBody, BodyOmitted and Truncated are as for the request's body.
	EmptyBody, BodyOmitted, Truncated bool
	// Departures counts the departures listed; DriftOmitted those not kept.
	Departures   int
	DriftOmitted int
}

// filterForm holds the filter form's values as given.
type filterForm struct {
	Outcome, Status, UserExternalID, Limit string
}

// modeChoice is one of the contract's modes, for a select.
type modeChoice struct {
	Value, Name string
}

// entryView is one journal entry as the page shows it.
type entryView struct {
	Seq                 uint64
	Time, TimeFull      string
	Method, Path        string
	Status, StatusClass string
	Outcome             string
	RequestID           string
	Injected            string
	Token               string
	// The decoded body's main fields, when it matched the contract.
	Decoded        bool
	Mode           string
	DisplayName    string
	PartnershipID  string
	UserExternalID string
	Actions        []string
	Body           bodyView
	// Open says the entry's details start unfolded: it has violations.
	Open bool
	// BodyOmitted says the page's budget of body lines ran out before
	// this entry.
	BodyOmitted       bool
	Violations        int
	ViolationsOmitted int
	Truncated         bool
	EmptyBody         bool
	// In proxy mode: the refusal the mock would have answered, and what
	// the upstream answered.
	WouldRefuse string
	Upstream    *upstreamView
}

// faultView is one queued fault as the page shows it.
type faultView struct {
	What  string
	Match string
	Times int
}

// pageView builds the page from the journal and the fault queue, filtered
// by q as GET /__mock/requests is (same parameters, same checks). It
// returns 400 with the filters' problems listed when q is not valid.
func (in *inspector) pageView(q url.Values) (pageView, int) {
	v := pageView{
		Contract: in.contractID,
		TokenSet: in.guard.closed(),
		Filter: filterForm{
			Outcome:        cutString(q.Get("outcome"), maxPathBytes),
			Status:         cutString(q.Get("status"), maxPathBytes),
			UserExternalID: cutString(q.Get("user_external_id"), maxPathBytes),
			Limit:          cutString(q.Get("limit"), maxPathBytes),
		},
		Outcomes:   in.outcomes,
		Statuses:   in.statuses,
		Examples:   in.examples,
		IntervalMS: pollInterval.Milliseconds(),
		Refresh:    inspectorPath,
		LiveURL:    livePath,
	}
	for _, value := range slices.Sorted(maps.Keys(in.modes)) {
		v.Modes = append(v.Modes, modeChoice{Value: value, Name: in.modes[value]})
	}
	if len(q) > 0 {
		v.Refresh += "?" + q.Encode()
		v.LiveURL += "?" + q.Encode()
	}
	faults, queued := in.srv.faults.head(maxPageFaults)
	for _, f := range faults {
		v.Live.Faults = append(v.Live.Faults, in.faultView(f))
	}
	v.Live.FaultsQueued, v.Live.FaultsMore = queued, queued-len(faults)
	if in.srv.proxy != nil {
		v.Live.Drift = in.driftSummary()
	}
	f, problems := parseFilter(q, in.outcomes)
	if len(problems) > 0 {
		v.Live.Problems = problems[:min(len(problems), in.maxViolations)]
		return v, http.StatusBadRequest
	}
	v.Live.Filtered = f.Status != 0 || f.Outcome != "" || f.UserExternalID != "" || f.Header != ""
	limit := f.Limit
	if limit == 0 {
		limit = defaultPageEntries
	}
	limit = min(limit, maxPageEntries)
	f.Limit = limit + 1 // one more, to know that more match
	entries := in.srv.Requests(f)
	v.Live.Limit, v.Live.MaxLimit, v.Live.More = limit, maxPageEntries, len(entries) > limit
	entries = entries[:min(len(entries), limit)]
	v.Live.Entries = make([]entryView, len(entries))
	budget := maxPageBodyLines
	for i := range entries {
		ev := in.entryView(&entries[i], budget > 0)
		v.Live.Entries[i] = ev
		budget -= ev.cost()
		if ev.BodyOmitted {
			v.Live.BodiesOmitted++
		}
	}
	return v, http.StatusOK
}

// entryView makes the page's view of an entry; withBody says whether to
// lay its body out.
func (in *inspector) entryView(e *Entry, withBody bool) entryView {
	v := entryView{
		Seq:               e.Seq,
		Time:              e.Time.Format("15:04:05.000"),
		TimeFull:          e.Time.Format(time.RFC3339Nano),
		Method:            e.Method,
		Path:              e.Path,
		Status:            strconv.Itoa(e.Status),
		StatusClass:       "s" + strconv.Itoa(e.Status/100),
		Outcome:           e.Outcome,
		RequestID:         e.RequestID,
		Injected:          e.Injected,
		Token:             e.Token,
		Violations:        len(e.Violations),
		ViolationsOmitted: e.ViolationsOmitted,
		Truncated:         e.Truncated,
		EmptyBody:         e.Body == "",
		Open:              len(e.Violations) > 0,
	}
	if e.Status == 0 {
		v.Status = "—"
	}
	switch {
	case v.EmptyBody && len(e.Violations) == 0:
	case withBody:
		v.Body = viewBody(e.Body, e.Violations)
	default:
		v.BodyOmitted, v.Open = true, false
	}
	v.WouldRefuse = e.WouldRefuse
	if u := e.Upstream; u != nil {
		v.Upstream = in.upstreamView(u, withBody)
	}
	if r := e.Request; r != nil {
		v.Decoded = true
		v.Mode = in.named(in.modes, int64(r.Mode))
		v.DisplayName = r.DisplayName
		if r.PartnershipId != nil {
			v.PartnershipID = partnershipID(*r.PartnershipId)
		}
		if r.UserExternalId != nil {
			v.UserExternalID = *r.UserExternalId
		}
		if r.CustomAttributes != nil && r.CustomAttributes.Actions != nil {
			for _, a := range *r.CustomAttributes.Actions {
				action := in.named(in.actionModes, int64(a.Mode)) + " × " + strconv.FormatInt(a.Amount, 10)
				if a.AllowsEditing != nil && *a.AllowsEditing {
					action += ", editable"
				}
				v.Actions = append(v.Actions, action)
			}
		}
	}
	return v
}

// named writes an enum value with its contract name: "3 Transfer".
func (in *inspector) named(names map[string]string, value int64) string {
	s := strconv.FormatInt(value, 10)
	if name, ok := names[s]; ok {
		return s + " " + name
	}
	return s
}

func (in *inspector) faultView(f Fault) faultView {
	v := faultView{What: strings.TrimPrefix(f.describe(), "fault "), Times: f.Times}
	var match []string
	for _, m := range []struct{ name, value string }{
		{"user_external_id", f.Match.UserExternalID},
		{"display_name", f.Match.DisplayName},
		{"partnership_id", f.Match.PartnershipID},
	} {
		if m.value != "" {
			match = append(match, m.name+"="+strconv.Quote(cutString(m.value, maxPageMatchBytes)))
		}
	}
	if f.Match.Mode != 0 {
		match = append(match, "mode="+in.named(in.modes, int64(f.Match.Mode)))
	}
	v.Match = strings.Join(match, ", ")
	return v
}
