package contract

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Kinds of Departure.
const (
	// DepartureStatus: the contract does not document the status.
	DepartureStatus = "status"
	// DepartureHeader: a documented header is missing or breaks its schema,
	// or the Content-Type is not one the status documents.
	DepartureHeader = "header"
	// DepartureBody: the body is not JSON, or breaks the status's schema.
	DepartureBody = "body"
)

// Departure is one way an answer of createToken departs from the contract.
// Kind, Where and Rule say which way and never hold what the answer sent,
// so that the same departure seen twice compares equal; Got holds that.
type Departure struct {
	// Kind is DepartureStatus, DepartureHeader or DepartureBody.
	Kind string `json:"kind"`
	// Where is the JSON pointer into the body (empty for the body
	// itself), or the header's name; empty for a status.
	Where string `json:"where,omitempty"`
	// Rule is what the contract wants there.
	Rule string `json:"rule"`
	// Got is what the answer had, cut short; empty when the rule says it
	// all (a required value missing, say).
	Got string `json:"got,omitempty"`
}

// String returns the departure as "where: rule, got value".
func (d Departure) String() string {
	return d.Place() + ": " + violation{field: d.Where, rule: d.Rule, got: d.Got}.message()
}

// Place names where the departure is: "status", "header NAME", a JSON
// pointer, or "body" for the body itself.
func (d Departure) Place() string {
	switch {
	case d.Kind == DepartureHeader:
		return "header " + d.Where
	case d.Kind == DepartureStatus:
		return "status"
	case d.Where == "":
		return "body"
	}
	return d.Where
}

// CheckAnswer checks an answer of createToken that the mock did not make
// (a real API's, in proxy mode) and lists every way it departs from the
// contract, at most MaxViolations of them, with how many more there were.
// An undocumented status is one departure: there is nothing to check the
// rest against. Headers the contract does not document are not departures
// (a real server sends Date, Server and its gateway's own), except a
// Content-Type the status does not document.
func (c *Contract) CheckAnswer(status int, header http.Header, body []byte) (departures []Departure, omitted int) {
	ct := header.Get("Content-Type")
	if c.QuickValidResponse(status, ct, body) {
		return nil, 0
	}
	ref := c.Operation.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return []Departure{{Kind: DepartureStatus, Rule: "must be a status the contract documents (" + c.documentedStatuses() + ")", Got: strconv.Itoa(status)}}, 0
	}
	response := ref.Value
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for name := range response.Headers {
			if !strings.EqualFold(name, "Content-Type") && !yield(name) {
				return
			}
		}
	}) {
		departures = append(departures, checkHeader(name, response.Headers[name], header, c.schemaOptions)...)
	}
	if len(response.Content) > 0 {
		departures = append(departures, c.checkAnswerBody(response.Content, ct, body)...)
	}
	if len(departures) > c.MaxViolations {
		return departures[:c.MaxViolations], len(departures) - c.MaxViolations
	}
	return departures, 0
}

// checkHeader checks one documented header of an answer.
func checkHeader(name string, ref *openapi3.HeaderRef, header http.Header, opts []openapi3.SchemaValidationOption) []Departure {
	if ref == nil || ref.Value == nil {
		return nil
	}
	values := header.Values(name)
	if len(values) == 0 {
		if ref.Value.Required {
			return []Departure{{Kind: DepartureHeader, Where: name, Rule: "is required"}}
		}
		return nil
	}
	if ref.Value.Schema == nil || ref.Value.Schema.Value == nil {
		return nil
	}
	schema := ref.Value.Schema.Value
	var value any = values[0]
	if schema.Type.Is(openapi3.TypeInteger) || schema.Type.Is(openapi3.TypeNumber) {
		n, err := strconv.ParseFloat(values[0], 64)
		if err != nil {
			return []Departure{{Kind: DepartureHeader, Where: name, Rule: "must be " + expected(schema), Got: strconv.Quote(cut(values[0]))}}
		}
		value = n
	}
	var found []violation
	collect(schema.VisitJSON(value, append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}, opts...)...), &found)
	out := make([]Departure, len(found))
	for i, v := range found {
		out[i] = departure(DepartureHeader, name, v)
	}
	return out
}

// checkAnswerBody checks an answer's Content-Type and body against the media
// types its status documents.
func (c *Contract) checkAnswerBody(content openapi3.Content, ct string, body []byte) []Departure {
	media := content.Get(ct)
	if media == nil || ct == "" {
		got := strconv.Quote(cut(ct))
		if ct == "" {
			got = "none"
		}
		return []Departure{{Kind: DepartureHeader, Where: "Content-Type", Rule: "must be " + orList(slices.Sorted(func(yield func(string) bool) {
			for name := range content {
				if !yield(name) {
					return
				}
			}
		})), Got: got}}
	}
	if media.Schema == nil || media.Schema.Value == nil {
		return nil
	}
	value, err := decodeJSON(body)
	if err != nil {
		return []Departure{{Kind: DepartureBody, Rule: "must be JSON", Got: cutBytes(err.Error())}}
	}
	// Arrays over their maxItems are cut first, as in CheckBody: the work
	// and the departures stay bounded whatever the answer holds.
	value = cutArrays(value, media.Schema.Value)
	var found []violation
	collect(media.Schema.Value.VisitJSON(value, append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}, c.schemaOptions...)...), &found)
	slices.SortStableFunc(found, func(a, b violation) int { return comparePointers(a.field, b.field) })
	out := make([]Departure, 0, len(found))
	for _, v := range found {
		d := departure(DepartureBody, v.field, v)
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// departure makes a Departure of a violation, its pointer and rule cut as a
// request violation's message is: an answer's keys and kin-openapi's
// reasons can be any length.
func departure(kind, where string, v violation) Departure {
	return Departure{Kind: kind, Where: cutBytes(where), Rule: cutBytes(v.rule), Got: v.got}
}

func cutBytes(s string) string {
	if len(s) <= maxMessageBytes {
		return s
	}
	return strings.ToValidUTF8(s[:maxMessageBytes], "") + "…"
}

// documentedStatuses lists the statuses createToken documents, ascending.
func (c *Contract) documentedStatuses() string {
	var codes []string
	for code := range c.Operation.Responses.Map() {
		if _, err := strconv.Atoi(code); err == nil {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	return strings.Join(codes, ", ")
}
