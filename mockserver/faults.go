package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benjiconnect/benji/gen"
)

// Fault is behaviour queued for the next matching createToken requests that
// pass validation: a documented error status, an added delay, a dropped
// connection, or a mix (a delay before a 503, say). Requests that fail
// validation get their 4xx as usual and do not use up a fault.
type Fault struct {
	// Status is a status the contract documents for createToken, answered
	// with that status's example body, or a gateway's 502, 503 or 504,
	// answered with a short HTML page as a load balancer in front of the
	// API would (not checked against the contract; it still carries the
	// mock's X-Benji-Contract and X-Request-Id headers, which a real
	// gateway would not). Zero keeps the normal answer.
	Status int
	// Example picks a named example of the contract instead of the status's
	// default one (for instance "expiredToken").
	Example string
	// Delay is waited before answering (or dropping).
	Delay time.Duration
	// Drop closes the connection without an answer, after Delay.
	Drop bool
	// Reset sends the answer's status and headers and half its body, then
	// resets the connection. It needs a Status or an Example.
	Reset bool
	// RetryAfter, when positive, sets the answer's Retry-After header (in
	// whole seconds, rounded up). It needs a Status or an Example.
	RetryAfter time.Duration
	// Times is how many matching requests the fault applies to; zero means 1.
	Times int
	// Match restricts the fault to requests whose body has these values.
	Match Match
}

// matchModes is what a fault's match.mode must be, in the admin API and the
// inspector's form alike.
const matchModes = "1 (Connect), 3 (Transfer) or 4 (Redeem)"

// Match selects requests by fields of their body; zero fields match any.
type Match struct {
	UserExternalID string   `json:"user_external_id,omitempty"`
	DisplayName    string   `json:"display_name,omitempty"`
	Mode           gen.Mode `json:"mode,omitempty"`
	// PartnershipID matches a string id or an integer one written the same
	// way ("49" matches 49).
	PartnershipID string `json:"partnership_id,omitempty"`
}

func (m Match) matches(r *gen.TokenRequest) bool {
	if m == (Match{}) {
		return true
	}
	if r == nil {
		return false
	}
	if m.UserExternalID != "" && (r.UserExternalId == nil || *r.UserExternalId != m.UserExternalID) {
		return false
	}
	if m.DisplayName != "" && r.DisplayName != m.DisplayName {
		return false
	}
	if m.Mode != 0 && r.Mode != m.Mode {
		return false
	}
	if m.PartnershipID != "" && (r.PartnershipId == nil || partnershipID(*r.PartnershipId) != m.PartnershipID) {
		return false
	}
	return true
}

// partnershipID renders either form of the id as a string.
func partnershipID(p gen.PartnershipID) string {
	if n, err := p.AsPartnershipID1(); err == nil {
		return strconv.FormatInt(n, 10)
	}
	s, _ := p.AsPartnershipID0()
	return s
}

// faultJSON is a Fault as the admin API reads and writes it: the delay as a
// Go duration string ("250ms").
type faultJSON struct {
	Status     int    `json:"status,omitempty"`
	Example    string `json:"example,omitempty"`
	Delay      string `json:"delay,omitempty"`
	Drop       bool   `json:"drop,omitempty"`
	Reset      bool   `json:"reset,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
	Times      int    `json:"times,omitempty"`
	Match      Match  `json:"match,omitzero"`
}

// MarshalJSON writes the fault as the admin API shows it.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Status: f.Status, Example: f.Example, Drop: f.Drop, Reset: f.Reset, Times: f.Times, Match: f.Match}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	if f.RetryAfter > 0 {
		j.RetryAfter = f.RetryAfter.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a fault as the admin API takes it. Keys match exactly
// (as the API's do), and an unknown one is an error: a typo in a test's
// fault should not pass silently.
func (f *Fault) UnmarshalJSON(data []byte) error {
	*f = Fault{}
	fields := f.fields()
	members, err := exactObject(data, append(fieldNames(fields), "match")...)
	if err != nil {
		return err
	}
	if err := setFields(fields, members); err != nil {
		return err
	}
	if raw, ok := members["match"]; ok {
		if err := f.Match.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("match: %w", err)
		}
	}
	return nil
}

// UnmarshalJSON reads a match as the admin API takes it: exact keys, no
// empty strings (leave a field out to match any value), and partnership_id
// as a string or an integer, as requests send it.
func (m *Match) UnmarshalJSON(data []byte) error {
	*m = Match{}
	fields := m.fields()
	members, err := exactObject(data, fieldNames(fields)...)
	if err != nil {
		return err
	}
	if err := setFields(fields, members); err != nil {
		return err
	}
	return nil
}

// faultField is one field of a Fault or a Match as the admin API's JSON and
// the inspector's fault form both read it: its name, where its value goes
// and what the value must be. Fault.fields and Match.fields are the one
// list of them; a field or a rule changed there changes both.
type faultField struct {
	// name is the JSON key, and the form input's name (after "match." for
	// a match's field).
	name string
	// dst is where the value goes: *int, *string, *bool, *time.Duration,
	// *gen.Mode or *stringOrInteger.
	dst any
	// want is what a value must be, for the error: "a whole number".
	want string
	// nonZero refuses a value given as its zero ("" or 0): a match field
	// is left out to match any value.
	nonZero bool
	// exact keeps a form value's spaces: it is compared as sent.
	exact bool
}

// fields lists a fault's fields, but its match (Match.fields).
func (f *Fault) fields() []faultField {
	return []faultField{
		{name: "status", dst: &f.Status, want: "an HTTP status"},
		{name: "example", dst: &f.Example, want: "a string"},
		{name: "delay", dst: &f.Delay, want: `a Go duration such as "250ms"`},
		{name: "drop", dst: &f.Drop, want: "true or false"},
		{name: "reset", dst: &f.Reset, want: "true or false"},
		{name: "retry_after", dst: &f.RetryAfter, want: `a Go duration such as "2s"`},
		{name: "times", dst: &f.Times, want: "a whole number"},
	}
}

// fields lists a match's fields.
func (m *Match) fields() []faultField {
	const anyText = "a non-empty string (leave it out to match any)"
	return []faultField{
		{name: "user_external_id", dst: &m.UserExternalID, want: anyText, nonZero: true, exact: true},
		{name: "display_name", dst: &m.DisplayName, want: anyText, nonZero: true, exact: true},
		{name: "mode", dst: &m.Mode, want: matchModes, nonZero: true},
		{name: "partnership_id", dst: (*stringOrInteger)(&m.PartnershipID), want: "a non-empty string or an integer", nonZero: true},
	}
}

// setFields sets each of fields that members (a JSON object's) holds.
func setFields(fields []faultField, members map[string]json.RawMessage) error {
	for _, field := range fields {
		if raw, ok := members[field.name]; ok {
			if err := field.fromJSON(raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldNames returns the fields' names in order.
func fieldNames(fields []faultField) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

// fromJSON sets the field from its JSON value.
func (f faultField) fromJSON(raw json.RawMessage) error {
	var err error
	switch dst := f.dst.(type) {
	case *time.Duration: // a Go duration string; "" leaves it out
		var text string
		if json.Unmarshal(raw, &text) != nil {
			return fmt.Errorf("%s must be %s", f.name, f.want)
		}
		if text == "" {
			return nil
		}
		if *dst, err = time.ParseDuration(text); err != nil {
			return fmt.Errorf("%s must be %s, got %q", f.name, f.want, cutString(text, 32))
		}
		return nil
	default:
		err = json.Unmarshal(raw, dst)
	}
	if err != nil || (f.nonZero && f.isZero()) {
		return fmt.Errorf("%s must be %s", f.name, f.want)
	}
	return nil
}

// fromText sets the field from a form's value; an empty one (after spaces,
// unless exact) leaves it out.
func (f faultField) fromText(text string) error {
	if !f.exact {
		text = strings.TrimSpace(text)
	}
	if text == "" {
		return nil
	}
	var err error
	switch dst := f.dst.(type) {
	case *int:
		*dst, err = strconv.Atoi(text)
	case *gen.Mode:
		var n int64
		n, err = strconv.ParseInt(text, 10, 32)
		*dst = gen.Mode(n)
	case *time.Duration:
		*dst, err = time.ParseDuration(text)
	case *bool:
		*dst = true // a checked box
	case *string:
		*dst = text
	case *stringOrInteger:
		*dst = stringOrInteger(text)
	default:
		return fmt.Errorf("%s: the form cannot set a %T", f.name, f.dst)
	}
	if err != nil || (f.nonZero && f.isZero()) {
		return fmt.Errorf("%s must be %s, got %q", f.name, f.want, cutString(text, 32))
	}
	return nil
}

// isZero reports whether the field holds its zero value.
func (f faultField) isZero() bool {
	switch dst := f.dst.(type) {
	case *string:
		return *dst == ""
	case *stringOrInteger:
		return *dst == ""
	case *gen.Mode:
		return *dst == 0
	}
	return false
}

// stringOrInteger is a match's partnership_id: a string, or an integer
// written as one ("49" for 49), as requests send it.
type stringOrInteger string

// UnmarshalJSON reads a JSON string or integer.
func (s *stringOrInteger) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		*s = stringOrInteger(text)
		return nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	*s = stringOrInteger(strconv.FormatInt(n, 10))
	return nil
}

// faultFromText reads a fault from text values, as the inspector's form
// sends them: value returns the text of the input named name ("status",
// "match.mode"), empty when left out.
func faultFromText(value func(name string) string) (Fault, error) {
	var f Fault
	for _, field := range f.fields() {
		if err := field.fromText(value(field.name)); err != nil {
			return f, err
		}
	}
	for _, field := range f.Match.fields() {
		if err := field.fromText(value("match." + field.name)); err != nil {
			return f, fmt.Errorf("match.%w", err)
		}
	}
	return f, nil
}

// exactObject splits a JSON object into its members, refusing keys other
// than known ones (compared exactly) and keys given twice.
func exactObject(data []byte, known ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("must be a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("must be a JSON object")
		}
		key := tok.(string)
		if !slices.Contains(known, key) {
			return nil, fmt.Errorf("unknown field %q; the fields are %s", cutString(key, 32), strings.Join(known, ", "))
		}
		if _, twice := fields[key]; twice {
			return nil, fmt.Errorf("field %q is given twice", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("must be a JSON object")
		}
		fields[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("must be one JSON object")
	}
	return fields, nil
}

// Bounds on faults: QueueFault refuses what is over them.
const (
	// MaxQueuedFaults is how many faults may wait in the queue at once.
	MaxQueuedFaults = 1000
	// MaxRetryAfter is the largest Fault.RetryAfter.
	MaxRetryAfter = time.Hour
	// MaxFaultTimes is the largest Fault.Times.
	MaxFaultTimes = 100_000
)

// ErrInvalidFault is wrapped by every error QueueFault returns: the fault
// names something the contract does not document, or nothing at all.
var ErrInvalidFault = errors.New("invalid fault")

// check validates a fault against the contract and the server's bounds, and
// fills in its defaults. maxDelay is the longest delay the server can wait
// and still answer before its write timeout.
func (f Fault) check(cat *catalog, maxDelay time.Duration) (Fault, error) {
	if f.Times == 0 {
		f.Times = 1
	}
	switch {
	case f.Times < 0 || f.Times > MaxFaultTimes:
		return f, fmt.Errorf("%w: times must be between 1 and %d, got %d", ErrInvalidFault, MaxFaultTimes, f.Times)
	case f.Delay < 0 || f.Delay > maxDelay:
		return f, fmt.Errorf("%w: delay must be between 0 and %s (what the server can wait and still answer before its write timeout), got %s",
			ErrInvalidFault, maxDelay, f.Delay)
	case f.Drop && (f.Status != 0 || f.Example != ""):
		return f, fmt.Errorf("%w: a dropped connection has no status or example", ErrInvalidFault)
	case (f.Reset || f.RetryAfter != 0) && f.Status == 0 && f.Example == "":
		return f, fmt.Errorf("%w: reset and retry_after need a status or an example", ErrInvalidFault)
	case f.RetryAfter < 0 || f.RetryAfter > MaxRetryAfter:
		return f, fmt.Errorf("%w: retry_after must be between 0 and %s, got %s", ErrInvalidFault, MaxRetryAfter, f.RetryAfter)
	case f.Status == 0 && f.Example == "" && f.Delay == 0 && !f.Drop:
		return f, fmt.Errorf("%w: set status, example, delay or drop", ErrInvalidFault)
	}
	if f.Status != 0 || f.Example != "" {
		if _, err := cat.pick(f.Status, f.Example); err != nil {
			return f, fmt.Errorf("%w: %w", ErrInvalidFault, err)
		}
	}
	return f, nil
}

// faultQueue holds queued faults in FIFO order, safe for concurrent use.
type faultQueue struct {
	mu     sync.Mutex
	faults []Fault // Times counts down as requests use them
	// changes counts every change to the queue (a fault queued, taken or
	// cleared): the inspector's fragment changes with it (see version).
	changes uint64
}

func (q *faultQueue) push(f Fault) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.faults) >= MaxQueuedFaults {
		return fmt.Errorf("%w: %d faults are queued already, the most there may be; clear them or let requests use them up", ErrInvalidFault, len(q.faults))
	}
	q.faults = append(q.faults, f)
	q.changes++
	return nil
}

// take returns the first fault matching the request and uses one of its
// times up. request is the decoded body, nil when no fault needed it
// (anyMatch) or it did not decode.
func (q *faultQueue) take(request *gen.TokenRequest) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.faults {
		f := &q.faults[i]
		if f.Match != (Match{}) && !f.Match.matches(request) {
			continue
		}
		taken := *f
		f.Times--
		q.changes++
		if f.Times == 0 {
			q.faults = append(q.faults[:i], q.faults[i+1:]...)
		}
		return taken, true
	}
	return Fault{}, false
}

// anyMatch reports whether a queued fault has a match, which needs the
// request decoded.
func (q *faultQueue) anyMatch() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.faults {
		if q.faults[i].Match != (Match{}) {
			return true
		}
	}
	return false
}

func (q *faultQueue) list() []Fault {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Fault{}, q.faults...)
}

// head returns a copy of the first n faults at most, and how many are
// queued: what the inspector shows, without copying a queue of 64 MB.
func (q *faultQueue) head(n int) ([]Fault, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.faults[:min(n, len(q.faults))]), len(q.faults)
}

func (q *faultQueue) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.faults = nil
	q.changes++
}

// version changes whenever the queue does, so that the inspector's
// fragment can answer 304 without looking at the faults themselves.
func (q *faultQueue) version() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.changes
}

// describe names a fault for the journal and logs.
func (f Fault) describe() string {
	s := "fault"
	if f.Status != 0 {
		s += " status=" + strconv.Itoa(f.Status)
	}
	if f.Example != "" {
		s += " example=" + f.Example
	}
	if f.Delay > 0 {
		s += " delay=" + f.Delay.String()
	}
	if f.Drop {
		s += " drop"
	}
	if f.Reset {
		s += " reset"
	}
	if f.RetryAfter > 0 {
		s += " retry_after=" + f.RetryAfter.String()
	}
	return s
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
