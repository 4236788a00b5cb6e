package mockserver

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/benjiconnect/benji/internal/contract"
)

// Kinds of Departure that only a recorded request has.
const (
	DepartureMethod = "method" // a method the contract does not document for the path
	DeparturePath   = "path"   // a path that is not the contract's
)

// Which message of an exchange a RecordDrift is in.
const (
	InRequest = "request"
	InAnswer  = "answer"
)

// maxDriftLines is how many lines of the record a RecordDrift names: the
// first.
const maxDriftLines = 5

// VerifyReport is what VerifyRecord found: how a record departs from the
// current contract. Its JSON form (benji-mock verify --json) is stable.
type VerifyReport struct {
	// Contract is the contract checked against (ContractHeader's value).
	Contract string `json:"contract"`
	// Files are the record's files, as given.
	Files []string `json:"files"`
	// Lines counts the lines read, blank ones included; Exchanges, the
	// exchanges checked (one a line that is not blank); Answers, those of
	// them with an answer (an exchange that failed has none).
	Lines     int `json:"lines"`
	Exchanges int `json:"exchanges"`
	Answers   int `json:"answers"`
	// Departing counts the exchanges whose request or answer departs from
	// the contract.
	Departing int `json:"departing"`
	// Drift lists each distinct departure, the most frequent first.
	Drift []RecordDrift `json:"drift"`
	// Omitted counts departures not listed: past MaxDriftEntries distinct
	// ones, or past the contract's MaxViolations in one message.
	Omitted int `json:"omitted,omitempty"`
	// DroppedCredentials lists the first 10 credential headers found in
	// the record ("file:line: dropped the request's Authorization header
	// ..."); DroppedTotal counts them all. They are not departures from
	// the contract, but a record holding them should not be committed.
	DroppedCredentials []string `json:"dropped_credentials,omitempty"`
	DroppedTotal       int      `json:"dropped_total,omitempty"`
}

// Conforms reports whether nothing in the record departs from the contract.
func (r VerifyReport) Conforms() bool { return len(r.Drift) == 0 && r.Omitted == 0 }

// RecordDrift is one way a record departs from the contract, summed up
// over every exchange that departs in that way.
type RecordDrift struct {
	// Departure says how: Kind is DepartureStatus, DepartureHeader or
	// DepartureBody, or for a request DepartureMethod or DeparturePath;
	// Got is what the first exchange had.
	Departure
	// In is InRequest or InAnswer.
	In string `json:"in"`
	// Status is the status of the answers of the exchanges that depart
	// so, for a request's departure too; 0 for exchanges without an
	// answer.
	Status int `json:"status,omitempty"`
	// Count is how many exchanges depart so.
	Count int `json:"count"`
	// Lines are where the first five of them are in the record:
	// "file:line".
	Lines []string `json:"lines"`
	// RequestID is the upstream's request id for the first of them (the
	// answer's X-Request-Id; failing that, the one the mock forwarded):
	// the id to give Benji when the departure is a bug in the API.
	RequestID string `json:"request_id,omitempty"`
}

// Place names where the departure is: "method", "path", "status",
// "header NAME", a JSON pointer, or "body" for the body itself.
func (d RecordDrift) Place() string {
	switch d.Kind {
	case DepartureMethod, DeparturePath:
		return d.Kind
	}
	return d.Departure.Place()
}

// String returns the departure as "where: rule, got value".
func (d RecordDrift) String() string {
	if d.Got == "" {
		return d.Place() + ": " + d.Rule
	}
	return d.Place() + ": " + d.Rule + ", got " + d.Got
}

// VerifyRecord reads the record in files, as --record writes it, and
// checks every exchange in it against the current contract: the request
// (method, path, Content-Type when the record has the request's headers,
// body) as the mock checks one, and the answer as proxy mode checks the
// upstream's. A record that cannot be read is an error (a *RecordError
// naming the file and the line at fault); departures are in the report,
// and Conforms reports whether there is none. ctx ends the checking early.
func VerifyRecord(ctx context.Context, files ...string) (VerifyReport, error) {
	cat, err := loadCatalog()
	if err != nil {
		return VerifyReport{}, err
	}
	rec, err := loadRecord(files...)
	if err != nil {
		return VerifyReport{}, err
	}
	return verifyLoaded(ctx, cat.contract, cat.contractID, rec)
}

// verifyLoaded checks a record read back against c.
func verifyLoaded(ctx context.Context, c *contract.Contract, contractID string, rec *loadedRecord) (VerifyReport, error) {
	v := &verifier{contract: c, byKey: map[recordDriftKey]*recordDriftSum{}}
	for _, l := range rec.exchanges {
		if err := ctx.Err(); err != nil {
			return VerifyReport{}, fmt.Errorf("verify %s: %w", l.at, err)
		}
		v.check(l)
	}
	report := VerifyReport{
		Contract:           contractID,
		Files:              slices.Clone(rec.files),
		Lines:              int(rec.lines),
		Exchanges:          len(rec.exchanges),
		Answers:            v.answers,
		Departing:          v.departing,
		Drift:              make([]RecordDrift, 0, len(v.byKey)),
		Omitted:            v.omitted,
		DroppedCredentials: slices.Clone(rec.dropped),
		DroppedTotal:       rec.droppedTotal,
	}
	sums := slices.SortedFunc(maps.Values(v.byKey), func(a, b *recordDriftSum) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.order, b.order))
	})
	for _, s := range sums {
		report.Drift = append(report.Drift, s.RecordDrift)
	}
	return report, nil
}

// recordDriftKey tells departures apart, as driftKey does, on either side
// of an exchange.
type recordDriftKey struct {
	in string
	driftKey
}

// recordDriftSum is a RecordDrift being summed up.
type recordDriftSum struct {
	RecordDrift
	order int // the order in which departures were first seen
}

// verifier sums up the departures of a record's exchanges.
type verifier struct {
	contract  *contract.Contract
	answers   int
	departing int
	omitted   int
	byKey     map[recordDriftKey]*recordDriftSum
}

// check checks one exchange and adds what departs to the sums. A request
// the contract refuses departs only when the API did not refuse it too
// (its answer is not a 4xx): then the API accepts what the contract does
// not.
func (v *verifier) check(l recordLine) {
	x := l.exchange
	status := 0
	if x.Response != nil {
		status = x.Response.Status
		v.answers++
	}
	departures, omitted := v.checkRequest(x.Request)
	// A request of another operation leaves nothing to check its answer
	// against.
	otherOperation := len(departures) > 0 && (departures[0].Kind == DepartureMethod || departures[0].Kind == DeparturePath)
	if status >= 400 && status < 500 {
		departures, omitted = nil, 0 // the API refused it, as the contract does
	}
	for i := range departures {
		departures[i].In, departures[i].Status = InRequest, status
	}
	if x.Response != nil && !otherOperation {
		found, more := v.contract.CheckAnswer(status, x.Response.Header, recordedBytes(x.Response.Body, x.Response.BodyText))
		for _, d := range found {
			departures = append(departures, RecordDrift{Departure: cutDeparture(d), In: InAnswer, Status: status})
		}
		omitted += more
	}
	if len(departures) == 0 && omitted == 0 {
		return
	}
	v.departing++
	v.omitted += omitted
	requestID := x.RequestID
	if x.Response != nil {
		if id := x.Response.Header.Get(RequestIDHeader); id != "" {
			requestID = id
		}
	}
	for _, d := range departures {
		key := recordDriftKey{d.In, driftKey{d.Status, d.Kind, d.Where, d.Rule}}
		sum := v.byKey[key]
		if sum == nil {
			if len(v.byKey) >= MaxDriftEntries {
				v.omitted++
				continue
			}
			sum = &recordDriftSum{RecordDrift: d, order: len(v.byKey)}
			sum.RequestID = cutString(requestID, maxFieldBytes)
			v.byKey[key] = sum
		}
		sum.Count++
		if len(sum.Lines) < maxDriftLines && !slices.Contains(sum.Lines, l.at.String()) {
			sum.Lines = append(sum.Lines, l.at.String())
		}
	}
}

// checkRequest checks a recorded request as the mock checks one: method
// and path (a request of another operation has nothing more to check),
// Content-Type when the record has the request's headers (a line written
// by hand may leave them out), and the body.
func (v *verifier) checkRequest(req RecordedRequest) ([]RecordDrift, int) {
	c := v.contract
	if !slices.Contains(c.Methods, req.Method) {
		return []RecordDrift{{Departure: Departure{Kind: DepartureMethod, Rule: "must be " + strings.Join(slices.Sorted(slices.Values(c.Methods)), " or ") + " on " + contract.CreateTokenPath,
			Got: cutString(req.Method, 64)}}}, 0
	}
	if path, _, _ := strings.Cut(req.Path, "?"); path != contract.CreateTokenPath {
		return []RecordDrift{{Departure: Departure{Kind: DeparturePath, Rule: "must be " + contract.CreateTokenPath, Got: strconv.Quote(cutString(path, 64))}}}, 0
	}
	var out []RecordDrift
	if req.Header != nil {
		if ct := req.Header.Get("Content-Type"); !c.AcceptsMediaType(ct) {
			got := "none"
			if ct != "" {
				got = strconv.Quote(cutString(ct, 64))
			}
			types := slices.Sorted(maps.Keys(c.Operation.RequestBody.Value.Content))
			out = append(out, RecordDrift{Departure: Departure{Kind: DepartureHeader, Where: "Content-Type", Rule: "must be " + strings.Join(types, " or "), Got: got}})
		}
	}
	check := c.CheckBody(recordedBytes(req.Body, req.BodyText))
	if check.Syntax != "" {
		out = append(out, RecordDrift{Departure: Departure{Kind: DepartureBody, Rule: "must be JSON", Got: cutString(check.Syntax, 64)}})
	}
	for _, f := range check.Violations {
		// A violation's message is its rule, then what the body had:
		// departures are told apart by their rule alone.
		rule, got, _ := strings.Cut(f.Message, ", got ")
		out = append(out, RecordDrift{Departure: cutDeparture(contract.Departure{Kind: DepartureBody, Where: f.Field, Rule: rule, Got: got})})
	}
	return out, check.Omitted
}

// WriteText writes the report for people: a summary, then one row per
// distinct departure, in columns.
func (r VerifyReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "contract  %s\n", r.Contract)
	fmt.Fprintf(&b, "record    %s: %d lines, %d exchanges, %d answers\n", printable(strings.Join(r.Files, ", ")), r.Lines, r.Exchanges, r.Answers)
	for _, d := range r.DroppedCredentials {
		fmt.Fprintf(&b, "warning   %s\n", printable(d))
	}
	if n := r.DroppedTotal - len(r.DroppedCredentials); n > 0 {
		fmt.Fprintf(&b, "warning   and %d more credential headers dropped\n", n)
	}
	if r.Conforms() {
		fmt.Fprintf(&b, "result    conforms: no departure from the contract in %d exchanges\n", r.Exchanges)
		_, err := io.WriteString(w, b.String())
		return err
	}
	ways := fmt.Sprintf("%d ways", len(r.Drift))
	if len(r.Drift) == 1 {
		ways = "1 way"
	}
	if r.Omitted > 0 {
		ways += fmt.Sprintf(" (and %d departures not listed)", r.Omitted)
	}
	fmt.Fprintf(&b, "result    departs: %d of %d exchanges depart from the contract, in %s\n\n", r.Departing, r.Exchanges, ways)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNT\tIN\tSTATUS\tWHERE\tTHE CONTRACT WANTS\tGOT (FIRST)\tLINES\tREQUEST ID")
	for _, d := range r.Drift {
		status := "-"
		if d.Status != 0 {
			status = strconv.Itoa(d.Status)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Count, d.In, status, column(d.Place()), column(d.Rule),
			column(d.Got), printable(strings.Join(d.Lines, ",")), column(d.RequestID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// column is a cell of the text report: "-" for nothing, and without the
// tabs and line breaks that would break the columns.
func column(s string) string {
	if s == "" {
		return "-"
	}
	return printable(strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s))
}

// printable escapes the control characters of s (C0, DEL, C1) as \xNN: the
// text report goes to a terminal, where a record's text could otherwise
// clear the screen or forge a link.
func printable(s string) string {
	control := func(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }
	if !strings.ContainsFunc(s, control) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if control(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
