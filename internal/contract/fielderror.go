package contract

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/benjiconnect/benji"
)

// FieldError is one violation of the contract in a request body: the
// contract's own type, which the client and the generated models share.
type FieldError = benji.FieldError

// FieldErrors flattens a kin-openapi schema validation error (a SchemaError,
// a MultiError of them, or either wrapped) into one FieldError a violation,
// sorted by field in document order (/actions/2 before /actions/10). Errors
// that carry no schema violation yield nil.
func FieldErrors(err error) []FieldError {
	var found []violation
	collect(err, &found)
	if len(found) == 0 {
		return nil
	}
	out := make([]FieldError, len(found))
	for i, v := range found {
		out[i] = FieldError{Field: v.field, Message: v.message()}
	}
	slices.SortStableFunc(out, compareFieldErrors)
	return slices.Compact(out)
}

// compareFieldErrors orders violations by field, then message.
func compareFieldErrors(a, b FieldError) int {
	if c := comparePointers(a.Field, b.Field); c != 0 {
		return c
	}
	return cmp.Compare(a.Message, b.Message)
}

// comparePointers orders JSON pointers segment by segment, array indexes by
// their value.
func comparePointers(a, b string) int {
	for a != "" && b != "" {
		var sa, sb string
		sa, a = nextSegment(a)
		sb, b = nextSegment(b)
		na, errA := strconv.ParseUint(sa, 10, 64)
		nb, errB := strconv.ParseUint(sb, 10, 64)
		c := cmp.Compare(sa, sb)
		if errA == nil && errB == nil {
			c = cmp.Compare(na, nb)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// nextSegment splits "/a/b" into "a" and "/b".
func nextSegment(p string) (segment, rest string) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// violation is one schema violation as collect finds it: where, what the
// schema wants, and what it got ("" when the rule says it all).
type violation struct {
	field, rule, got string
}

func (v violation) message() string {
	if v.got == "" {
		return v.rule
	}
	return v.rule + ", got " + v.got
}

func collect(err error, out *[]violation) {
	switch e := err.(type) {
	case nil:
		return
	case *openapi3.SchemaError:
		// A oneOf error wraps its alternatives' errors; its own message
		// already names them, so they are not listed again.
		rule, got := ruleOf(e)
		*out = append(*out, violation{field: pointer(e.JSONPointer()), rule: rule, got: got})
		return
	case openapi3.MultiError:
		for _, inner := range e {
			collect(inner, out)
		}
		return
	}
	collect(errors.Unwrap(err), out)
}

// pointer encodes path segments as an RFC 6901 JSON pointer.
func pointer(segments []string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(PointerSegment(s))
	}
	return b.String()
}

// PointerSegment escapes an object key as a segment of an RFC 6901 JSON
// pointer: "~" as "~0", "/" as "~1".
func PointerSegment(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// ruleOf says in plain words what the schema wanted (the rule) and, where the
// rule does not say it all, what it got. It covers the keywords the contract
// uses and falls back on kin-openapi's reason.
func ruleOf(se *openapi3.SchemaError) (rule, got string) {
	s := se.Schema
	value := describe(se.Value)
	switch se.SchemaField {
	case "required":
		return "is required", ""
	case "type", "nullable", "oneOf", "anyOf":
		return "must be " + expected(s), value
	case "enum":
		return "must be " + enumChoices(s), value
	case "minimum":
		if s.Min != nil {
			return "must be at least " + number(*s.Min), value
		}
	case "maximum":
		if s.Max != nil {
			return "must be at most " + number(*s.Max), value
		}
	case "minLength":
		if s.MinLength == 1 {
			return "must not be empty", ""
		}
		return fmt.Sprintf("must be at least %d characters long", s.MinLength), ""
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters long", *s.MaxLength), ""
		}
	case "format":
		switch s.Format {
		case "int32":
			return fmt.Sprintf("must be a whole number from %d to %d", math.MinInt32, math.MaxInt32), value
		case "int64":
			return fmt.Sprintf("must be a whole number from %d to %d", math.MinInt64, math.MaxInt64), value
		}
		return "must be a " + s.Format, value
	case "maxItems":
		if s.MaxItems != nil {
			return fmt.Sprintf("must have at most %d items", *s.MaxItems), ""
		}
	case "minItems":
		return fmt.Sprintf("must have at least %d items", s.MinItems), ""
	case "pattern":
		return "must match " + s.Pattern, value
	case "additionalProperties":
		return "is not allowed", ""
	}
	if se.Reason != "" {
		return se.Reason, ""
	}
	return "does not match the contract (" + se.SchemaField + ")", ""
}

// expected names what a schema admits: "an integer", "a non-empty string",
// "a non-empty string or an integer".
func expected(s *openapi3.Schema) string {
	alternatives := s.OneOf
	if len(alternatives) == 0 {
		alternatives = s.AnyOf
	}
	if len(alternatives) > 0 {
		names := make([]string, 0, len(alternatives))
		for _, ref := range alternatives {
			if ref.Value != nil {
				names = append(names, expected(ref.Value))
			}
		}
		return orList(names)
	}
	if s.Type == nil || len(*s.Type) == 0 {
		return "a value of another shape"
	}
	names := make([]string, 0, len(*s.Type))
	for _, t := range *s.Type {
		switch t {
		case openapi3.TypeInteger, openapi3.TypeArray, openapi3.TypeObject:
			names = append(names, "an "+t)
		case openapi3.TypeString:
			if s.MinLength > 0 {
				names = append(names, "a non-empty string")
			} else {
				names = append(names, "a string")
			}
		default:
			names = append(names, "a "+t)
		}
	}
	return orList(names)
}

// enumChoices lists an enum's values, each followed by its name from the
// schema's x-enum-descriptions when it has them: "3 (Transfer) or 4 (Redeem)".
func enumChoices(s *openapi3.Schema) string {
	names, _ := s.Extensions["x-enum-descriptions"].([]any)
	choices := make([]string, len(s.Enum))
	for i, v := range s.Enum {
		choices[i] = describe(v)
		if i < len(names) {
			choices[i] += fmt.Sprintf(" (%v)", names[i])
		}
	}
	return orList(choices)
}

func orList(items []string) string {
	switch len(items) {
	case 0:
		return "nothing"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// describe renders a decoded JSON value for a message: scalars as JSON
// (strings quoted and cut short), containers by kind.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(cut(v))
	case json.Number:
		return cut(string(v))
	case float64:
		return number(v)
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return cut(fmt.Sprintf("%v", v))
}

func number(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
