package mockserver

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/benjiconnect/benji/gen"
)

// What an entry's details show of the upstream's answer (or the recorded
// one, in replay mode): made from UpstreamAnswer, which keeps everything
// within its bounds; every string is the upstream's text, escaped by
// html/template where the template puts it.

// headerLine is one of the answer's headers on the page, with the
// departures that name it.
type headerLine struct {
	Name, Value string
	Drift       []string
}

// driftRequest is one request of a drift, as the drift table names it: by
// the upstream's request id where it answered with its own (the one its
// support knows), with the id it was sent as beside it.
type driftRequest struct {
	ID, SentAs string
}

// upstreamView makes the page's view of what the upstream answered; withBody
// says whether to lay its body out.
func (in *inspector) upstreamView(u *UpstreamAnswer, withBody bool) *upstreamView {
	v := &upstreamView{
		Replayed:     u.Replayed,
		Status:       u.Status,
		Duration:     u.Duration.Round(10 * time.Microsecond).String(),
		Error:        u.Error,
		RequestID:    u.RequestID,
		Truncated:    u.Truncated,
		EmptyBody:    u.Body == "",
		Departures:   len(u.Drift),
		DriftOmitted: u.DriftOmitted,
	}
	if id := u.Header.Get(RequestIDHeader); id != "" {
		v.RequestID = id // the forwarded id, when the upstream sent it back
	}
	if u.Error != "" {
		return v
	}
	headers := map[string]*headerLine{}
	for name, values := range u.Header {
		if len(values) > 0 {
			headers[name] = &headerLine{Name: name, Value: values[0]}
		}
	}
	var bodyDrift []gen.FieldError
	for _, d := range u.Drift {
		message := strings.TrimPrefix(d.String(), d.Place()+": ")
		switch d.Kind {
		case DepartureStatus:
			v.StatusDrift = append(v.StatusDrift, message)
		case DepartureHeader:
			name := http.CanonicalHeaderKey(d.Where)
			h := headers[name]
			if h == nil { // not sent, or not kept
				h = &headerLine{Name: name}
				headers[name] = h
			}
			h.Drift = append(h.Drift, message)
		default:
			bodyDrift = append(bodyDrift, gen.FieldError{Field: d.Where, Message: message})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		v.Headers = append(v.Headers, *headers[name])
	}
	switch {
	case v.EmptyBody && len(bodyDrift) == 0:
	case withBody:
		v.Body = viewBody(u.Body, bodyDrift)
	default:
		v.BodyOmitted = true
	}
	return v
}

// cost is what the entry's view adds to a page, counted against
// maxPageBodyLines: its body's and its upstream answer's lines.
func (v entryView) cost() int {
	n := v.Body.cost()
	if u := v.Upstream; u != nil {
		n += u.Body.cost() + len(u.Headers) + len(u.StatusDrift)
	}
	return n
}

// driftRequests names the requests of a drift, the upstream's ids first.
func driftRequests(d Drift) []driftRequest {
	out := make([]driftRequest, len(d.RequestIDs))
	for i, id := range d.RequestIDs {
		out[i].ID = id
		if i < len(d.UpstreamRequestIDs) && d.UpstreamRequestIDs[i] != "" {
			out[i] = driftRequest{ID: d.UpstreamRequestIDs[i], SentAs: id}
		}
	}
	return out
}
