package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// BodyCheck is what CheckBody found in a createToken request body.
type BodyCheck struct {
	// Syntax is set when the body is not one JSON value: what is wrong,
	// with the byte offset where the parser stopped.
	Syntax string
	// Violations lists what breaks the schema, sorted by field: at most the
	// contract's MaxViolations.
	Violations []FieldError
	// Omitted counts the violations found beyond those listed.
	Omitted int
}

// Valid reports whether the body is JSON that the schema accepts.
func (b BodyCheck) Valid() bool { return b.Syntax == "" && len(b.Violations) == 0 }

// CheckBody checks a createToken request body against the schema: it is the
// one call the mock makes for a body. A body the quick check shows valid is
// never decoded; any other is decoded and walked by kin-openapi, which words
// the violations, and by the integer range check that kin-openapi lacks
// (it sees numbers as float64, so 9223372036854775808 passes as an int64).
// A body that CheckBody accepts is one that DecodeBody decodes.
func (c *Contract) CheckBody(body []byte) BodyCheck {
	if len(body) == 0 {
		return BodyCheck{Violations: []FieldError{{Field: "", Message: "is required"}}}
	}
	if c.QuickValidBody(body) {
		return BodyCheck{}
	}
	if bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		return BodyCheck{Syntax: "the body starts with a byte order mark (EF BB BF), which JSON does not allow"}
	}
	value, err := decodeJSON(body)
	if err != nil {
		return BodyCheck{Syntax: err.Error()}
	}
	// An array over its maxItems is cut to one item more before kin-openapi
	// walks it: it still reports the maxItems violation, and the work and
	// the violations stay bounded (an array of 300,000 bad items would
	// otherwise cost seconds and hundreds of megabytes).
	cutArrays(value, c.BodySchema)
	var found []FieldError
	if err := c.BodySchema.VisitJSON(value, c.bodyOptions...); err != nil {
		found = FieldErrors(err)
	}
	var walk canonicalizer
	walk.value(value, c.BodySchema)
	for _, p := range walk.problems {
		// One violation a field: kin-openapi may have refused it already
		// (1.5 is not an integer, 1e400 not a number).
		if !slices.ContainsFunc(found, func(f FieldError) bool { return f.Field == p.Field }) {
			found = append(found, p)
		}
	}
	slices.SortStableFunc(found, compareFieldErrors)
	found = slices.Compact(found)
	for i := range found {
		found[i].Message = cutBytes(found[i].Message)
	}
	check := BodyCheck{Violations: found}
	if n := len(found) - c.MaxViolations; n > 0 {
		check.Violations, check.Omitted = found[:c.MaxViolations:c.MaxViolations], n
	}
	return check
}

// DecodeBody decodes a body that CheckBody accepted into v (a pointer to the
// generated request type), exactly as the schema reads it: object keys match
// property names case-sensitively (encoding/json alone would let
// "DISPLAY_NAME" overwrite "display_name"), properties the schema does not
// know are dropped, and integers written as 1e3 or 1.0 decode as integers.
func (c *Contract) DecodeBody(body []byte, v any) error {
	value, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("decode body: %s", err)
	}
	var walk canonicalizer
	plain := walk.value(value, c.BodySchema)
	if len(walk.problems) > 0 {
		return fmt.Errorf("decode body: %s", walk.problems[0])
	}
	canonical, err := json.Marshal(plain)
	if err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	if err := json.Unmarshal(canonical, v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}

// decodeJSON decodes exactly one JSON value, numbers kept as written.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, syntaxProblem(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, syntaxProblem(err)
		}
		return nil, fmt.Errorf("unexpected %v after the JSON value (at byte %d)", tok, dec.InputOffset())
	}
	return value, nil
}

// syntaxProblem words an encoding/json error with its offset.
func syntaxProblem(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s (at byte %d)", se.Error(), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("unexpected end of input")
	}
	return err
}

// canonicalizer walks a decoded value along its schema. It returns the value
// with unknown object keys dropped and integers as int64, and records the
// integers outside their format's range.
type canonicalizer struct {
	problems []FieldError
	path     []string
}

func (w *canonicalizer) value(v any, s *openapi3.Schema) any {
	if s == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		if len(s.Properties) == 0 {
			return v
		}
		out := make(map[string]any, len(s.Properties))
		for name, ref := range s.Properties {
			if child, ok := v[name]; ok {
				w.path = append(w.path, name)
				out[name] = w.value(child, ref.Value)
				w.path = w.path[:len(w.path)-1]
			}
		}
		return out
	case []any:
		if s.Items == nil {
			return v
		}
		out := make([]any, len(v))
		for i, item := range v {
			w.path = append(w.path, strconv.Itoa(i))
			out[i] = w.value(item, s.Items.Value)
			w.path = w.path[:len(w.path)-1]
		}
		return out
	case json.Number:
		format, ok := integerFormat(s)
		if !ok {
			return v
		}
		n, ok := exactInteger(string(v))
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if format == "int32" {
			lo, hi = math.MinInt32, math.MaxInt32
		}
		if !ok || n < lo || n > hi {
			w.problems = append(w.problems, FieldError{
				Field:   pointer(w.path),
				Message: fmt.Sprintf("must be a whole number from %d to %d, got %s", lo, hi, cut(string(v))),
			})
			return v
		}
		return n
	}
	return v
}

// integerFormat reports whether s (or one of its oneOf alternatives) takes
// integers, and their format.
func integerFormat(s *openapi3.Schema) (string, bool) {
	if s.Type.Is(openapi3.TypeInteger) {
		return s.Format, true
	}
	for _, alt := range s.OneOf {
		if alt.Value != nil && alt.Value.Type.Is(openapi3.TypeInteger) {
			return alt.Value.Format, true
		}
	}
	return "", false
}

// exactInteger reads a JSON number that must be a whole number within int64,
// whatever its notation (1000, 1e3, 1000.0).
func exactInteger(text string) (int64, bool) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true
	}
	if len(text) > 64 {
		return 0, false // no int64 needs this many characters but padding
	}
	f, _, err := big.ParseFloat(text, 10, 256, big.ToZero)
	if err != nil || !f.IsInt() {
		return 0, false
	}
	n, acc := f.Int64()
	return n, acc == big.Exact
}

// cut shortens a value quoted in a message to 40 characters, so that a
// message stays short whatever the body holds.
func cut(s string) string {
	const most = 40
	n := 0
	for i := range s {
		if n == most {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// maxMessageBytes bounds a violation's message, whatever kin-openapi's
// reason says.
const maxMessageBytes = 200

// cutArrays shortens, in place, every array of v that its schema bounds with
// maxItems to maxItems+1 items.
func cutArrays(v any, s *openapi3.Schema) any {
	if s == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		for name, ref := range s.Properties {
			if child, ok := v[name]; ok {
				v[name] = cutArrays(child, ref.Value)
			}
		}
	case []any:
		if s.MaxItems != nil && uint64(len(v)) > *s.MaxItems+1 {
			v = v[:*s.MaxItems+1]
		}
		if s.Items != nil {
			for i, item := range v {
				v[i] = cutArrays(item, s.Items.Value)
			}
		}
		return v
	}
	return v
}

// CheckResponse checks an answer of createToken (status, headers, body)
// against the contract and returns why it is not allowed, or nil. Answers the
// quick check shows valid skip kin-openapi.
//
// Two definitions of an allowed answer exist on purpose, and
// TestCheckAnswerAgreesWithKin (with FuzzCheckAnswerAgreesWithKin) holds
// them to the same verdict. CheckResponse is kin-openapi's: the library's
// word, used on the mock's own answers, where any departure is a bug in the
// mock and one error to log is all that is needed. CheckAnswer is written by
// hand because kin-openapi cannot say what the drift report needs of a real
// API's answer: every departure as a value (kind, place, rule, what was
// sent) that compares equal when seen twice, capped at MaxViolations; kin
// gives errors in its own words, stopping at an undocumented status or a
// bad header. Replacing kin here would put the mock's self-check on
// hand-written code; dropping CheckAnswer would lose the report.
func (c *Contract) CheckResponse(status int, header http.Header, body []byte) error {
	if ct := header["Content-Type"]; len(ct) > 0 && c.QuickValidResponse(status, ct[0], body) {
		return nil
	}
	return c.kinCheckResponse(status, header, body)
}

// kinCheckResponse is CheckResponse without the quick check: kin-openapi's
// verdict alone.
func (c *Contract) kinCheckResponse(status int, header http.Header, body []byte) error {
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: c.responseRequest,
			Route:   c.Route,
			Options: c.responseOptions,
		},
		Status:  status,
		Header:  header,
		Options: c.responseOptions,
	}
	input.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), input)
}
