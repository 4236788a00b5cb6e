// Package doctable reads the tables of the repository's Markdown docs, so
// that a test can hold what a doc states to the Go value it states: each
// bound of docs/mock.md to its constant, each flag's default to the flag's.
// Tests use it; nothing else does.
package doctable

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Row is one row of a table: its cells by the header's column names, and the
// line of the file it is on.
type Row struct {
	Line  int
	Cells map[string]string
}

// Read returns the rows of the first table after the line heading (such as
// "## Bounds") in the Markdown file at path. It fails t when the file, the
// heading or the table is missing, or when a row has more cells than the
// header.
func Read(t testing.TB, path, heading string) []Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		header []string
		rows   []Row
		found  bool
		line   int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		switch {
		case !found:
			found = text == heading
		case strings.HasPrefix(text, "|"):
			cells := splitRow(text)
			switch {
			case header == nil:
				header = cells
			case strings.Trim(strings.Join(cells, ""), "-: ") == "": // the |---| line
			case len(cells) > len(header):
				t.Fatalf("%s:%d: %d cells under a header of %d", path, line, len(cells), len(header))
			default:
				r := Row{Line: line, Cells: map[string]string{}}
				for i, c := range cells {
					r.Cells[header[i]] = c
				}
				rows = append(rows, r)
			}
		case header != nil: // the first line after the table
			return rows
		case strings.HasPrefix(text, "#"):
			t.Fatalf("%s: no table under %q", path, heading)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !found || header == nil {
		t.Fatalf("%s: no table under %q", path, heading)
	}
	return rows
}

// splitRow splits "| a | `b|c` | d |" into its cells; a | inside a code
// span or escaped as \| stays in its cell.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cell strings.Builder
	code := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteByte('|')
			i++
		case c == '`':
			code = !code
			cell.WriteByte(c)
		case c == '|' && !code:
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(c)
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// Code returns the first code span of a cell (the text between the first
// pair of backquotes), or "" when it has none.
func Code(cell string) string {
	if m := codeSpan.FindStringSubmatch(cell); m != nil {
		return m[1]
	}
	return ""
}

// Unit says what a Quantity counts.
type Unit int

// The units of a Quantity.
const (
	Things Unit = iota // a count: "1000", "100 000"
	Bytes              // "256 bytes", "64 KiB", "1 MiB", "1 GiB"
	Time               // "85 s", "2 min", "12 h"
)

// Quantity is a bound: a number of things, of bytes, or a duration (in
// nanoseconds).
type Quantity struct {
	N    int64
	Unit Unit
}

// Count, Size and Duration make the Quantity a constant should be stated as.
func Count[T ~int | ~int64](n T) Quantity { return Quantity{int64(n), Things} }

// Size is a number of bytes.
func Size[T ~int | ~int64](n T) Quantity { return Quantity{int64(n), Bytes} }

// Duration is a length of time.
func Duration(d time.Duration) Quantity { return Quantity{int64(d), Time} }

func (q Quantity) String() string {
	switch q.Unit {
	case Bytes:
		return strconv.FormatInt(q.N, 10) + " bytes"
	case Time:
		return time.Duration(q.N).String()
	}
	return strconv.FormatInt(q.N, 10)
}

var units = map[string]Quantity{
	"": {1, Things}, "B": {1, Bytes}, "byte": {1, Bytes}, "bytes": {1, Bytes},
	"KiB": {1 << 10, Bytes}, "MiB": {1 << 20, Bytes}, "GiB": {1 << 30, Bytes},
	"ms": {int64(time.Millisecond), Time}, "s": {int64(time.Second), Time},
	"min": {int64(time.Minute), Time}, "h": {int64(time.Hour), Time},
}

var quantity = regexp.MustCompile(`^(\d[\d ,]*?)\s*([A-Za-z]*)$`)

// Parse reads a bound as the docs write it: a whole number, with digits
// grouped by spaces or commas if at all, then a unit if it is not a count
// (B, bytes, KiB, MiB, GiB, ms, s, min, h).
func Parse(s string) (Quantity, error) {
	m := quantity.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Quantity{}, fmt.Errorf("%q is not a number and a unit", s)
	}
	n, err := strconv.ParseInt(strings.NewReplacer(" ", "", ",", "").Replace(m[1]), 10, 64)
	if err != nil {
		return Quantity{}, fmt.Errorf("%q: %w", s, err)
	}
	u, ok := units[m[2]]
	if !ok {
		return Quantity{}, fmt.Errorf("%q: unknown unit %q", s, m[2])
	}
	return Quantity{n * u.N, u.Unit}, nil
}

// CheckBounds holds the table under heading in the Markdown file at path to
// want: each row's column bound (its first code span, or the whole cell)
// must equal the constant that its column constant names (its first code
// span). It reports a row whose constant want does not know, and a constant
// of want that no row states.
func CheckBounds(t testing.TB, path, heading, bound, constant string, want map[string]Quantity) {
	t.Helper()
	stated := map[string]bool{}
	for _, r := range Read(t, path, heading) {
		name := Code(r.Cells[constant])
		w, ok := want[name]
		if !ok {
			t.Errorf("%s:%d: the %s column names %q, which is not a known constant", path, r.Line, constant, r.Cells[constant])
			continue
		}
		stated[name] = true
		text := r.Cells[bound]
		if c := Code(text); c != "" {
			text = c
		}
		got, err := Parse(text)
		switch {
		case err != nil:
			t.Errorf("%s:%d: %s: %v", path, r.Line, name, err)
		case got != w:
			t.Errorf("%s:%d: the doc says %s is %q (%s), the code says %s", path, r.Line, name, r.Cells[bound], got, w)
		}
	}
	for name := range want {
		if !stated[name] {
			t.Errorf("%s: no row of %q states %s", path, heading, name)
		}
	}
}
