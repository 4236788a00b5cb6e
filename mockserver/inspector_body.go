package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/contract"
)

// Bounds on how the inspector shows one journaled body (itself at most
// 4 KiB): an indented view longer than maxBodyLines is shown raw instead,
// and indentation stops growing past maxIndentDepth levels, so that a
// nested body cannot make a page megabytes long.
const (
	maxBodyLines   = 200
	maxIndentDepth = 16
)

// bodyView is a journaled body as the inspector shows it: indented JSON,
// with the violations that name a line beside it, or the raw text when the
// body is not JSON (or was cut at 4 KiB).
type bodyView struct {
	// Rows is the indented body: each line a violation names is a row of
	// its own, and the lines between are joined into one row (fewer rows
	// make a page of 1000 entries several times quicker to render). Nil
	// when Raw is shown instead.
	Rows []bodyRow
	// Raw is the body as received, when it is not shown as Lines.
	Raw string
	// Unplaced holds the violations shown under a raw body.
	Unplaced []gen.FieldError
}

// bodyRow is lines of an indented body (joined by newlines) and the
// violations whose JSON pointer names them; a row with violations is one
// line.
type bodyRow struct {
	Text       string
	Violations []gen.FieldError
}

// viewBody lays body out as indented JSON, keeping its key order, and puts
// each violation beside the line its pointer names; a pointer to a member
// the body lacks ("/display_name: is required") goes beside the nearest
// enclosing value that it has.
func viewBody(body string, violations []gen.FieldError) bodyView {
	lines, err := indentJSON(body)
	if err != nil {
		view := bodyView{Raw: body}
		for _, v := range violations {
			view.Unplaced = append(view.Unplaced, shown(v))
		}
		return view
	}
	at := make(map[string]int, len(lines))
	for i, l := range lines {
		if _, seen := at[l.pointer]; l.opens && !seen {
			at[l.pointer] = i
		}
	}
	beside := make([][]gen.FieldError, len(lines))
	var view bodyView
	for _, v := range violations {
		p := v.Field
		for {
			if i, ok := at[p]; ok {
				beside[i] = append(beside[i], shown(v))
				break
			}
			if p == "" {
				view.Unplaced = append(view.Unplaced, shown(v))
				break
			}
			p = p[:max(0, strings.LastIndexByte(p, '/'))]
		}
	}
	var run strings.Builder // lines no violation names, so far
	for i, l := range lines {
		if beside[i] == nil {
			if run.Len() > 0 {
				run.WriteByte('\n')
			}
			run.WriteString(l.text)
			continue
		}
		if run.Len() > 0 {
			view.Rows = append(view.Rows, bodyRow{Text: run.String()})
			run.Reset()
		}
		view.Rows = append(view.Rows, bodyRow{Text: l.text, Violations: beside[i]})
	}
	if run.Len() > 0 {
		view.Rows = append(view.Rows, bodyRow{Text: run.String()})
	}
	return view
}

// cost is what the view adds to a page, counted against maxPageBodyLines:
// its lines (a raw body as a line per 100 bytes) and its violations.
func (v bodyView) cost() int {
	n := len(v.Unplaced) + len(v.Raw)/100
	for _, r := range v.Rows {
		n += 1 + strings.Count(r.Text, "\n") + len(r.Violations)
	}
	return n
}

// shown is a violation as the page names it: the body itself, whose
// pointer is empty, as "(body)".
func shown(v gen.FieldError) gen.FieldError {
	if v.Field == "" {
		v.Field = "(body)"
	}
	return v
}

// jsonLine is one line of indented JSON: its text, and the JSON pointer of
// the value it begins (opens is false for a closing bracket's line).
type jsonLine struct {
	text    string
	pointer string
	opens   bool
}

var errTooManyLines = errors.New("the indented body is too long to show")

// indentJSON lays out one JSON value, indented by two spaces a level. It
// walks the decoder's tokens rather than decoding into maps, which would
// lose the key order the client sent; numbers keep their text. It fails
// when body is not exactly one JSON value, or takes over maxBodyLines lines.
func indentJSON(body string) ([]jsonLine, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	in := indenter{dec: dec}
	in.enc = json.NewEncoder(&in.buf)
	in.enc.SetEscapeHTML(false) // html/template escapes the page
	if err := in.value("", "", 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	return in.lines, nil
}

type indenter struct {
	dec   *json.Decoder
	lines []jsonLine
	// buf and enc write strings as JSON, reused from line to line.
	buf bytes.Buffer
	enc *json.Encoder
}

// spaces is the deepest indentation.
var spaces = strings.Repeat("  ", maxIndentDepth)

func (in *indenter) add(l jsonLine) error {
	if len(in.lines) == maxBodyLines {
		return errTooManyLines
	}
	in.lines = append(in.lines, l)
	return nil
}

// value lays out the next value of the decoder, at pointer, after prefix
// (its key, in an object).
func (in *indenter) value(pointer, prefix string, depth int) error {
	tok, err := in.dec.Token()
	if err != nil {
		return err
	}
	indent := spaces[:2*min(depth, maxIndentDepth)]
	open, ok := tok.(json.Delim)
	if !ok {
		return in.add(jsonLine{text: indent + prefix + in.scalar(tok), pointer: pointer, opens: true})
	}
	closing := "]"
	if open == '{' {
		closing = "}"
	}
	if !in.dec.More() { // empty
		if _, err := in.dec.Token(); err != nil {
			return err
		}
		return in.add(jsonLine{text: indent + prefix + string(open) + closing, pointer: pointer, opens: true})
	}
	if err := in.add(jsonLine{text: indent + prefix + string(open), pointer: pointer, opens: true}); err != nil {
		return err
	}
	for i := 0; in.dec.More(); i++ {
		child, childPrefix := pointer+"/"+strconv.Itoa(i), ""
		if open == '{' {
			key, err := in.dec.Token()
			if err != nil {
				return err
			}
			k, _ := key.(string) // the decoder only gives strings as keys
			child, childPrefix = pointer+"/"+contract.PointerSegment(k), in.scalar(k)+": "
		}
		if err := in.value(child, childPrefix, depth+1); err != nil {
			return err
		}
		if in.dec.More() {
			in.lines[len(in.lines)-1].text += ","
		}
	}
	if _, err := in.dec.Token(); err != nil {
		return err
	}
	return in.add(jsonLine{text: indent + closing, pointer: pointer})
}

// scalar writes a string, number, boolean or null as JSON.
func (in *indenter) scalar(tok json.Token) string {
	switch v := tok.(type) {
	case json.Number:
		return v.String()
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	}
	in.buf.Reset()
	_ = in.enc.Encode(tok) // a string, which always encodes
	return string(bytes.TrimSuffix(in.buf.Bytes(), []byte("\n")))
}
