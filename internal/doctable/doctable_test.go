package doctable

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseReadsTheDocsUnits(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Quantity
	}{
		{"1000", Count(1000)},
		{"100 000", Count(100000)},
		{"30,000", Count(30000)},
		{"256 bytes", Size(256)},
		{"64 KiB", Size(64 << 10)},
		{"1 MiB", Size(1 << 20)},
		{"256MiB", Size(256 << 20)},
		{"1 GiB", Size(1 << 30)},
		{"200 ms", Duration(200 * time.Millisecond)},
		{"85 s", Duration(85 * time.Second)},
		{"2 min", Duration(2 * time.Minute)},
		{"12 h", Duration(12 * time.Hour)},
	} {
		if got, err := Parse(tc.text); err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.text, got, err, tc.want)
		}
	}
	for _, text := range []string{"", "many", "1.5 MiB", "64 KB", "-1", "10 parsecs"} {
		if got, err := Parse(text); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", text, got)
		}
	}
}

// writeDoc writes text to a Markdown file of its own and returns its path.
func writeDoc(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.md")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSplitsRowsIntoNamedCells(t *testing.T) {
	path := writeDoc(t, "# Doc\n\n## Other\n\n| a | b |\n|---|---|\n| no | no |\n\n## Bounds\n\nText.\n\n"+
		"| what | bound | constant |\n|---|:---:|---|\n| a `x|y` pipe \\| here | 1 KiB | `K` |\n| short | 2 |\n\nAfter.\n| not | this |\n")
	rows := Read(t, path, "## Bounds")
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(rows), rows)
	}
	if r := rows[0]; r.Line != 15 || r.Cells["what"] != "a `x|y` pipe | here" || r.Cells["bound"] != "1 KiB" || Code(r.Cells["constant"]) != "K" {
		t.Errorf("first row %+v", r)
	}
	if got := slices.Sorted(maps.Keys(rows[1].Cells)); !slices.Equal(got, []string{"bound", "what"}) {
		t.Errorf("a short row has cells %v, want what and bound", got)
	}
}

// reported is a testing.TB that keeps what CheckBounds reports.
type reported struct {
	testing.TB
	errors []string
}

func (r *reported) Helper() {}
func (r *reported) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCheckBoundsReportsEachDisagreement(t *testing.T) {
	path := writeDoc(t, "## Bounds\n\n| what | bound | constant |\n|---|---|---|\n"+
		"| right | 64 KiB | `Right` |\n| wrong value | 2 min | `Wrong` |\n| wrong unit | 30 | `Unit` |\n| gone | 1 | `Gone` |\n| not a number | many | `Words` |\n")
	r := &reported{TB: t}
	CheckBounds(r, path, "## Bounds", "bound", "constant", map[string]Quantity{
		"Right": Size(64 << 10), "Wrong": Duration(time.Minute), "Unit": Duration(30 * time.Second),
		"Words": Count(3), "Unstated": Count(1),
	})
	want := []string{"Wrong", "Unit", "Gone", "Words", "Unstated"}
	if len(r.errors) != len(want) {
		t.Fatalf("reported %d problems, want %d (%v): %q", len(r.errors), len(want), want, r.errors)
	}
	for i, name := range want {
		if !strings.Contains(r.errors[i], name) {
			t.Errorf("report %d is %q, want one naming %s", i, r.errors[i], name)
		}
	}
}
