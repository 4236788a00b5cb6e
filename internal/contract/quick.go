package contract

import (
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// This file holds the quick check: the contract's schemas compiled, once, into
// a validator that walks raw JSON bytes without decoding them. It exists for
// speed (decoding into maps and walking them with kin-openapi costs more than
// the rest of a request), and it only ever says "shown valid": a body it
// cannot show valid goes to kin-openapi, which gives the final answer and the
// messages. So every check still runs on every request, and the quick check
// can never let through what kin-openapi would refuse:
//
//   - A keyword it does not implement makes the whole schema uncompiled, and
//     every body goes to kin-openapi.
//   - Inside a value it answers good, bad or unsure. "Bad" is given only where
//     kin-openapi is sure to refuse too (it matters inside oneOf, which counts
//     matches); anything it is not sure of (escaped strings whose content
//     matters, duplicate keys, null, numbers out of a format's range, syntax
//     errors) is "unsure".
//
// FuzzQuickCheckAgreesWithKin holds it to that.

type verdict uint8

const (
	good verdict = iota
	bad
	unsure
)

type kind uint8

const (
	kindAny kind = iota
	kindObject
	kindArray
	kindString
	kindInteger
	kindNumber
	kindBoolean
)

// quickSchema is one compiled schema.
type quickSchema struct {
	kind kind

	// objects
	props    []quickProp // few: a scan beats hashing the key
	required uint64      // bits of props that are required

	// arrays
	items    *quickSchema
	maxItems int // -1: no bound

	// strings
	nonEmpty bool              // minLength 1
	match    func([]byte) bool // pattern or format, on plain ASCII content

	// integers and numbers
	min, max       float64
	hasMin, hasMax bool
	exclMin        bool
	exclMax        bool
	intMin, intMax float64 // a format's range: outside it is unsure
	hasIntRange    bool

	enumNums []float64
	enumStrs []string

	oneOf []*quickSchema
	// onlyOneOf: the schema has nothing of its own to check beside oneOf.
	onlyOneOf bool
}

type quickProp struct {
	name   string
	bit    uint64
	schema *quickSchema
}

func (q *quickSchema) prop(name []byte) *quickProp {
	for i := range q.props {
		if q.props[i].name == string(name) {
			return &q.props[i]
		}
	}
	return nil
}

// stringFormat is a string format the document validates: kin-openapi gets
// the pattern, the quick check a matcher that must agree with it exactly.
type stringFormat struct {
	pattern string
	match   func([]byte) bool
}

// compileQuick compiles s, or returns nil when s uses anything the quick
// check does not implement. formats lists the document's string formats.
func compileQuick(s *openapi3.Schema, formats map[string]stringFormat) *quickSchema {
	return compileQuickAt(s, formats, nil)
}

func compileQuickAt(s *openapi3.Schema, formats map[string]stringFormat, path []*openapi3.Schema) *quickSchema {
	if s == nil || len(path) > 32 {
		return nil
	}
	for _, p := range path {
		if p == s {
			return nil // recursive schema
		}
	}
	path = append(path, s)
	if s.Not != nil || len(s.AllOf) > 0 || len(s.AnyOf) > 0 || s.Discriminator != nil ||
		s.Always != nil || s.Nullable || s.ReadOnly || s.WriteOnly ||
		s.UniqueItems || s.MinItems != 0 || s.MultipleOf != nil ||
		s.MinProps != 0 || s.MaxProps != nil || s.MaxLength != nil || s.MinLength > 1 ||
		s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil ||
		s.ExclusiveMin.Value != nil || s.ExclusiveMax.Value != nil ||
		len(s.PatternProperties) > 0 || s.Const != nil || s.If != nil || s.PrefixItems != nil ||
		s.Contains != nil || s.PropertyNames != nil || s.DependentRequired != nil ||
		s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil {
		return nil
	}
	q := &quickSchema{maxItems: -1}
	if s.Type != nil {
		switch {
		case len(*s.Type) == 0:
		case len(*s.Type) > 1:
			return nil
		default:
			switch (*s.Type)[0] {
			case openapi3.TypeObject:
				q.kind = kindObject
			case openapi3.TypeArray:
				q.kind = kindArray
			case openapi3.TypeString:
				q.kind = kindString
			case openapi3.TypeInteger:
				q.kind = kindInteger
			case openapi3.TypeNumber:
				q.kind = kindNumber
			case openapi3.TypeBoolean:
				q.kind = kindBoolean
			default:
				return nil
			}
		}
	}
	if q.kind == kindAny && (len(s.Properties) > 0 || len(s.Required) > 0 || s.Items != nil ||
		s.MinLength != 0 || s.Pattern != "" || s.Format != "" || s.Min != nil || s.Max != nil) {
		return nil // keywords that apply by the value's type: keep it simple
	}

	if s.Min != nil {
		q.min, q.hasMin = *s.Min, true
		q.exclMin = s.ExclusiveMin.Bool != nil && *s.ExclusiveMin.Bool
	}
	if s.Max != nil {
		q.max, q.hasMax = *s.Max, true
		q.exclMax = s.ExclusiveMax.Bool != nil && *s.ExclusiveMax.Bool
	}
	if (q.hasMin || q.hasMax) && q.kind != kindInteger && q.kind != kindNumber {
		return nil
	}
	if s.MaxItems != nil {
		if q.kind != kindArray || *s.MaxItems > math.MaxInt32 {
			return nil
		}
		q.maxItems = int(*s.MaxItems)
	}
	if s.MinLength == 1 {
		if q.kind != kindString {
			return nil
		}
		q.nonEmpty = true
	}

	switch s.Format {
	case "":
	case "int32", "int64":
		if q.kind != kindInteger {
			return nil
		}
		q.hasIntRange = true
		if s.Format == "int32" {
			q.intMin, q.intMax = math.MinInt32, math.MaxInt32
		} else {
			// float64 bounds inside int64 by more than their rounding:
			// -9223372036854775809 parses to -(1<<63), so that bound itself
			// must be unsure too.
			q.intMin, q.intMax = -(1<<63)+1024, (1<<63)-1024
		}
	default:
		f, ok := formats[s.Format]
		if !ok || q.kind != kindString || s.Pattern != "" {
			return nil
		}
		q.match = f.match
	}
	if s.Pattern != "" {
		if q.kind != kindString {
			return nil
		}
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return nil
		}
		q.match = re.Match
	}

	for _, v := range s.Enum {
		switch v := v.(type) {
		case string:
			q.enumStrs = append(q.enumStrs, v)
		case float64:
			q.enumNums = append(q.enumNums, v)
		case int:
			q.enumNums = append(q.enumNums, float64(v))
		case int64:
			q.enumNums = append(q.enumNums, float64(v))
		default:
			return nil
		}
	}

	if q.kind == kindObject {
		if len(s.Properties) > 64 {
			return nil
		}
		bit := uint64(1)
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			ref := s.Properties[name]
			if ref == nil || ref.Value == nil {
				return nil
			}
			child := compileQuickAt(ref.Value, formats, path)
			if child == nil {
				return nil
			}
			q.props = append(q.props, quickProp{name: name, bit: bit, schema: child})
			bit <<= 1
		}
		for _, name := range s.Required {
			p := q.prop([]byte(name))
			if p == nil {
				return nil // required but not described: leave it to kin-openapi
			}
			q.required |= p.bit
		}
	} else if len(s.Properties) > 0 || len(s.Required) > 0 {
		return nil
	}
	if s.Items != nil {
		if q.kind != kindArray || s.Items.Value == nil {
			return nil
		}
		if q.items = compileQuickAt(s.Items.Value, formats, path); q.items == nil {
			return nil
		}
	}
	for _, ref := range s.OneOf {
		if ref == nil || ref.Value == nil {
			return nil
		}
		alt := compileQuickAt(ref.Value, formats, path)
		if alt == nil {
			return nil
		}
		q.oneOf = append(q.oneOf, alt)
	}
	q.onlyOneOf = len(q.oneOf) > 0 && q.kind == kindAny && len(q.enumNums)+len(q.enumStrs) == 0
	return q
}

// quickValid reports whether data is one JSON value that the schema accepts,
// as far as the quick check can show. False means "go ask kin-openapi".
func (q *quickSchema) quickValid(data []byte) bool {
	sc := scanner{data: data}
	sc.skipSpace()
	if q.check(&sc) != good {
		return false
	}
	sc.skipSpace()
	return !sc.err && sc.pos == len(sc.data)
}

// scanner walks JSON bytes. Any syntax error sets err; the verdict is then
// unsure, and encoding/json will word the error.
type scanner struct {
	data  []byte
	pos   int
	depth int
	err   bool
}

func (sc *scanner) skipSpace() {
	data, pos := sc.data, sc.pos
	for pos < len(data) && (data[pos] == ' ' || data[pos] == '\t' || data[pos] == '\n' || data[pos] == '\r') {
		pos++
	}
	sc.pos = pos
}

func (sc *scanner) peek() byte {
	if sc.pos < len(sc.data) {
		return sc.data[sc.pos]
	}
	return 0
}

// check validates the value at the scanner's position and moves past it.
func (q *quickSchema) check(sc *scanner) verdict {
	if len(q.oneOf) > 0 {
		return q.checkOneOf(sc)
	}
	return q.checkOwn(sc)
}

func (q *quickSchema) checkOneOf(sc *scanner) verdict {
	start, end, matches := sc.pos, -1, 0
	for _, alt := range q.oneOf {
		sc.pos = start
		switch alt.check(sc) {
		case good:
			matches++
			end = sc.pos
		case unsure:
			return unsure
		}
		if sc.err {
			return unsure
		}
	}
	if matches != 1 {
		return bad
	}
	if q.onlyOneOf {
		sc.pos = end
		return good
	}
	// The schema's own keywords apply too.
	sc.pos = start
	v := q.checkOwn(sc)
	if v == good && sc.pos != end {
		return unsure
	}
	return v
}

func (q *quickSchema) checkOwn(sc *scanner) verdict {
	if sc.depth >= 256 {
		sc.err = true // deeper than anyone means; encoding/json stops at 10000
		return unsure
	}
	sc.depth++
	v := q.checkValue(sc)
	sc.depth--
	return v
}

func (q *quickSchema) checkValue(sc *scanner) verdict {
	switch sc.peek() {
	case '{':
		return q.checkObject(sc)
	case '[':
		return q.checkArray(sc)
	case '"':
		return q.checkString(sc)
	case 't', 'f':
		if !sc.literal() {
			return unsure
		}
		if len(q.enumNums)+len(q.enumStrs) > 0 {
			return bad
		}
		return q.expect(kindBoolean)
	case 'n':
		sc.literal()
		return unsure // null: nullable rules are kin-openapi's
	default:
		return q.checkNumber(sc)
	}
}

// expect is the verdict of a type check for a value of kind k.
func (q *quickSchema) expect(k kind) verdict {
	switch {
	case q.kind == kindAny || q.kind == k:
		return good
	case q.kind == kindNumber && k == kindInteger:
		return good
	}
	return bad
}

func (sc *scanner) literal() bool {
	for _, lit := range []string{"true", "false", "null"} {
		if len(sc.data)-sc.pos >= len(lit) && string(sc.data[sc.pos:sc.pos+len(lit)]) == lit {
			sc.pos += len(lit)
			return true
		}
	}
	sc.err = true
	return false
}

func (q *quickSchema) checkObject(sc *scanner) verdict {
	sc.pos++ // {
	result := q.expect(kindObject)
	var seen uint64
	sc.skipSpace()
	if sc.peek() == '}' {
		sc.pos++
	} else {
		for {
			sc.skipSpace()
			key, plain, ok := sc.str()
			if !ok {
				return unsure
			}
			sc.skipSpace()
			if sc.peek() != ':' {
				sc.err = true
				return unsure
			}
			sc.pos++
			sc.skipSpace()
			var child *quickSchema
			if result != bad && q.kind == kindObject {
				if !plain {
					return unsure // an escaped key may name a property
				}
				if p := q.prop(key); p != nil {
					if seen&p.bit != 0 {
						return unsure // a duplicate: encoding/json keeps the last
					}
					seen |= p.bit
					child = p.schema
				}
			}
			if result = sc.member(child, result); result == unsure {
				return unsure
			}
			if done, ok := sc.afterMember('}'); !ok {
				return unsure
			} else if done {
				break
			}
		}
	}
	if result == good && len(q.enumNums)+len(q.enumStrs) > 0 {
		return bad
	}
	if result == good && seen&q.required != q.required {
		return bad
	}
	return result
}

func (q *quickSchema) checkArray(sc *scanner) verdict {
	sc.pos++ // [
	result := q.expect(kindArray)
	sc.skipSpace()
	if sc.peek() == ']' {
		sc.pos++
	} else {
		for n := 1; ; n++ {
			if q.maxItems >= 0 && n > q.maxItems && result == good {
				result = bad // kin-openapi refuses an array over maxItems
			}
			sc.skipSpace()
			items := q.items
			if result == bad {
				items = nil // already refused: only the syntax is left to check
			}
			if result = sc.member(items, result); result == unsure {
				return unsure
			}
			if done, ok := sc.afterMember(']'); !ok {
				return unsure
			} else if done {
				break
			}
		}
	}
	if result == good && len(q.enumNums)+len(q.enumStrs) > 0 {
		return bad
	}
	return result
}

func (q *quickSchema) checkString(sc *scanner) verdict {
	content, plain, ok := sc.str()
	if !ok {
		return unsure
	}
	if v := q.expect(kindString); v != good {
		return v
	}
	if q.nonEmpty && len(content) == 0 {
		return bad
	}
	if len(q.enumNums) > 0 && len(q.enumStrs) == 0 {
		return bad
	}
	needsContent := len(q.enumStrs) > 0 || q.match != nil
	if !needsContent {
		return good
	}
	if !plain || !ascii(content) {
		return unsure
	}
	if len(q.enumStrs) > 0 {
		found := false
		for _, e := range q.enumStrs {
			if e == string(content) {
				found = true
				break
			}
		}
		if !found {
			return bad
		}
	}
	if q.match != nil && !q.match(content) {
		return bad
	}
	return good
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// str reads a string token and returns its raw content, whether it is plain
// (no escapes), and whether it was well formed.
func (sc *scanner) str() (content []byte, plain, ok bool) {
	if sc.peek() != '"' {
		sc.err = true
		return nil, false, false
	}
	sc.pos++
	start := sc.pos
	plain = true
	for sc.pos < len(sc.data) {
		// Runs of ordinary bytes first, without the switch, in locals
		// the compiler keeps in registers.
		data, pos := sc.data, sc.pos
		for pos < len(data) && plainByte[data[pos]] {
			pos++
		}
		sc.pos = pos
		if sc.pos == len(sc.data) {
			break
		}
		c := sc.data[sc.pos]
		switch {
		case c == '"':
			content = sc.data[start:sc.pos]
			sc.pos++
			return content, plain, true
		case c == '\\':
			plain = false
			if sc.pos+1 >= len(sc.data) {
				sc.err = true
				return nil, false, false
			}
			switch sc.data[sc.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				sc.pos += 2
			case 'u':
				if sc.pos+6 > len(sc.data) || !hex4(sc.data[sc.pos+2:sc.pos+6]) {
					sc.err = true
					return nil, false, false
				}
				sc.pos += 6
			default:
				sc.err = true
				return nil, false, false
			}
		case c < 0x20:
			sc.err = true
			return nil, false, false
		default:
			sc.pos++
		}
	}
	sc.err = true
	return nil, false, false
}

func hex4(b []byte) bool {
	for _, c := range b {
		if !hexDigit[c] {
			return false
		}
	}
	return true
}

// member checks the value of an object member or array element against
// schema, or with no schema only skips it, and folds the verdict into the
// container's result so far.
func (sc *scanner) member(schema *quickSchema, result verdict) verdict {
	if schema == nil {
		if !sc.skipValue() {
			return unsure
		}
		return result
	}
	switch schema.check(sc) {
	case bad:
		return bad
	case unsure:
		return unsure
	}
	return result
}

// afterMember reads what follows a member of an object or array: a comma
// (more to come) or the closing bracket (done). Anything else is a syntax
// error.
func (sc *scanner) afterMember(closing byte) (done, ok bool) {
	sc.skipSpace()
	switch sc.peek() {
	case ',':
		sc.pos++
		return false, true
	case closing:
		sc.pos++
		return true, true
	}
	sc.err = true
	return false, false
}

// number reads a number token per the JSON grammar.
func (sc *scanner) number() (token []byte, ok bool) {
	start := sc.pos
	digits := func() int {
		n := 0
		for sc.pos < len(sc.data) && '0' <= sc.data[sc.pos] && sc.data[sc.pos] <= '9' {
			sc.pos++
			n++
		}
		return n
	}
	if sc.peek() == '-' {
		sc.pos++
	}
	if sc.peek() == '0' {
		sc.pos++
	} else if digits() == 0 {
		sc.err = true
		return nil, false
	}
	if sc.peek() == '.' {
		sc.pos++
		if digits() == 0 {
			sc.err = true
			return nil, false
		}
	}
	if c := sc.peek(); c == 'e' || c == 'E' {
		sc.pos++
		if c := sc.peek(); c == '+' || c == '-' {
			sc.pos++
		}
		if digits() == 0 {
			sc.err = true
			return nil, false
		}
	}
	return sc.data[start:sc.pos], true
}

func (q *quickSchema) checkNumber(sc *scanner) verdict {
	token, ok := sc.number()
	if !ok {
		return unsure
	}
	v, ok := parseNumber(token)
	if !ok {
		return unsure // out of float64's range: encoding/json refuses it
	}
	isInt := v == math.Trunc(v)
	switch q.kind {
	case kindAny, kindNumber:
	case kindInteger:
		if !isInt {
			return bad
		}
		if slices.ContainsFunc(token, func(c byte) bool { return c == '.' || c == 'e' || c == 'E' }) {
			// float64 can make a fraction whole (9007199254740993.5,
			// 10e-700): the exact check decides what is an integer.
			return unsure
		}
	default:
		return bad
	}
	if len(q.enumStrs) > 0 && len(q.enumNums) == 0 {
		return bad
	}
	if len(q.enumNums) > 0 {
		found := false
		for _, e := range q.enumNums {
			if e == v {
				found = true
				break
			}
		}
		if !found {
			return bad
		}
	}
	if q.hasIntRange && (v < q.intMin || v > q.intMax) {
		return unsure
	}
	if q.hasMin && (v < q.min || q.exclMin && v == q.min) {
		return bad
	}
	if q.hasMax && (v > q.max || q.exclMax && v == q.max) {
		return bad
	}
	return good
}

// parseNumber converts a number token as encoding/json does; short integers
// skip strconv.
func parseNumber(token []byte) (float64, bool) {
	neg := len(token) > 0 && token[0] == '-'
	digits := token
	if neg {
		digits = token[1:]
	}
	if len(digits) > 0 && len(digits) <= 15 {
		n, plain := int64(0), true
		for _, c := range digits {
			if c < '0' || c > '9' {
				plain = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if plain {
			if neg {
				return -float64(n), true
			}
			return float64(n), true
		}
	}
	v, err := strconv.ParseFloat(string(token), 64)
	return v, err == nil
}

// skipValue moves past any JSON value, checking only its syntax.
func (sc *scanner) skipValue() bool {
	if sc.depth >= 256 {
		sc.err = true
		return false
	}
	sc.depth++
	ok := sc.skipOne()
	sc.depth--
	return ok
}

func (sc *scanner) skipOne() bool {
	switch sc.peek() {
	case '{':
		sc.pos++
		sc.skipSpace()
		if sc.peek() == '}' {
			sc.pos++
			return true
		}
		for {
			sc.skipSpace()
			if _, _, ok := sc.str(); !ok {
				return false
			}
			sc.skipSpace()
			if sc.peek() != ':' {
				sc.err = true
				return false
			}
			sc.pos++
			sc.skipSpace()
			if !sc.skipValue() {
				return false
			}
			if done, ok := sc.afterMember('}'); !ok || done {
				return ok
			}
		}
	case '[':
		sc.pos++
		sc.skipSpace()
		if sc.peek() == ']' {
			sc.pos++
			return true
		}
		for {
			sc.skipSpace()
			if !sc.skipValue() {
				return false
			}
			if done, ok := sc.afterMember(']'); !ok || done {
				return ok
			}
		}
	case '"':
		_, _, ok := sc.str()
		return ok
	case 't', 'f', 'n':
		return sc.literal()
	default:
		_, ok := sc.number()
		return ok
	}
}

// uuidRFC9562 matches exactly what openapi3.FormatOfStringForUUIDOfRFC9562
// does (a versioned UUID, the nil UUID or the max UUID), without a regexp on
// the hot path. TestUUIDMatcherAgreesWithTheRegexp holds it to that.
func uuidRFC9562(b []byte) bool {
	if len(b) != 36 || b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
		return false
	}
	for i, c := range b {
		if !hexDigit[c] && i != 8 && i != 13 && i != 18 && i != 23 {
			return false
		}
	}
	version, variant := b[14], b[19]
	if '1' <= version && version <= '8' &&
		(variant == '8' || variant == '9' || variant == 'a' || variant == 'b' || variant == 'A' || variant == 'B') {
		return true
	}
	// The nil and the max UUID have no version.
	zeros, fs := true, true
	for i, c := range b {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		zeros = zeros && c == '0'
		fs = fs && (c == 'f' || c == 'F')
	}
	return zeros || fs
}

// hexDigit marks the bytes that are hexadecimal digits.
var hexDigit = [256]bool{
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true,
	'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true,
}

// plainByte marks the bytes that may stand in a JSON string as they are:
// not '"', not '\\' and not a control character.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
