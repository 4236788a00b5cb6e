package doctable

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
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

func TestReadSplitsRowsIntoNamedCells(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	doc := "# Doc\n\n## Other\n\n| a | b |\n|---|---|\n| no | no |\n\n## Bounds\n\nText.\n\n" +
		"| what | bound | constant |\n|---|:---:|---|\n| a `x|y` pipe \\| here | 1 KiB | `K` |\n| short | 2 |\n\nAfter.\n| not | this |\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
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
