package mockserver

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/gen"
)

func TestViewBodyPlacesViolationsBesideTheirLines(t *testing.T) {
	for _, tc := range []struct {
		name       string
		body       string
		violations []gen.FieldError
		// want is the lines, each followed by " <- pointer" for every
		// violation beside it; nil wants the raw body.
		want         []string
		wantUnplaced []string
	}{
		{
			name: "key order and number text kept",
			body: `{"z":1.50,"a":[true,null,"s"],"m":{}, "e":[]}`,
			want: []string{`{`, `  "z": 1.50,`, `  "a": [`, `    true,`, `    null,`, `    "s"`, `  ],`, `  "m": {},`, `  "e": []`, `}`},
		},
		{
			name:       "violations beside their lines, a missing member beside its object",
			body:       `{"mode":2,"custom_attributes":{"actions":[{"mode":1}]}}`,
			violations: []gen.FieldError{{Field: "/display_name"}, {Field: "/mode"}, {Field: "/custom_attributes/actions/0/amount"}, {Field: "/custom_attributes/actions/0/mode"}},
			want: []string{`{ <- /display_name`, `  "mode": 2, <- /mode`, `  "custom_attributes": {`, `    "actions": [`,
				`      { <- /custom_attributes/actions/0/amount`, `        "mode": 1 <- /custom_attributes/actions/0/mode`, `      }`, `    ]`, `  }`, `}`},
		},
		{
			name:       "a key with / and ~ is one pointer segment",
			body:       `{"a/b":{"~":1}}`,
			violations: []gen.FieldError{{Field: "/a~1b/~0"}},
			want:       []string{`{`, `  "a/b": {`, `    "~": 1 <- /a~1b/~0`, `  }`, `}`},
		},
		{
			name:       "the body itself",
			body:       `[]`,
			violations: []gen.FieldError{{Field: "", Message: "must be an object"}},
			want:       []string{`[] <- (body)`},
		},
		{
			name: "strings written as JSON, not as HTML",
			body: `{"d":"<b>\"x\"\u00e9\n"}`,
			want: []string{`{`, `  "d": "<b>\"x\"é\n"`, `}`},
		},
		{name: "not JSON", body: `{nope`, violations: []gen.FieldError{{Field: "/mode"}}, wantUnplaced: []string{"/mode"}},
		{name: "two values", body: `{} {}`},
		{name: "empty", body: ``, violations: []gen.FieldError{{Field: ""}}, wantUnplaced: []string{"(body)"}},
		{name: "cut at 4 KiB", body: `{"display_name":"abc`},
		{name: "too many lines", body: "[" + strings.Repeat("1,", maxBodyLines) + "1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := viewBody(tc.body, tc.violations)
			if tc.want == nil {
				if v.Rows != nil || v.Raw != tc.body {
					t.Fatalf("got %d rows and raw %q, want the raw body", len(v.Rows), v.Raw)
				}
			} else {
				var got []string
				for _, r := range v.Rows {
					if r.Violations == nil {
						got = append(got, strings.Split(r.Text, "\n")...)
						continue
					}
					s := r.Text
					if strings.Contains(s, "\n") {
						t.Errorf("a row with violations holds more than one line: %q", s)
					}
					for _, f := range r.Violations {
						s += " <- " + f.Field
					}
					got = append(got, s)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
			}
			var unplaced []string
			for _, f := range v.Unplaced {
				unplaced = append(unplaced, f.Field)
			}
			if !slices.Equal(unplaced, tc.wantUnplaced) {
				t.Errorf("unplaced %q, want %q", unplaced, tc.wantUnplaced)
			}
		})
	}
}

// A deeply nested body stays a few lines long per level, and its
// indentation stops growing.
func TestViewBodyBoundsIndentation(t *testing.T) {
	depth := 60
	body := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	v := viewBody(body, nil)
	if len(v.Rows) == 0 {
		t.Fatal("shown raw, want indented")
	}
	for _, l := range strings.Split(v.Rows[0].Text, "\n") {
		if indent := len(l) - len(strings.TrimLeft(l, " ")); indent > 2*maxIndentDepth {
			t.Fatalf("a line indented by %d spaces, want at most %d", indent, 2*maxIndentDepth)
		}
	}
}

// FuzzIndentJSON checks the body layout against encoding/json: whatever it
// lays out is the same JSON value as the body, it lays out every valid
// body that fits, and it never panics.
func FuzzIndentJSON(f *testing.F) {
	for _, seed := range []string{
		`{"mode":3,"display_name":"Reward Cookies","custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}`,
		`[]`, `{}`, `"x"`, `1e400`, `{"a":{"b":[1,{"c":null}]}}`, `{"a/b~":1}`, `{nope`, `{} x`, `[[[[]]]]`, `"\ud800"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		lines, err := indentJSON(body)
		if err != nil {
			if json.Valid([]byte(body)) && err != errTooManyLines && !strings.Contains(err.Error(), "depth") {
				t.Fatalf("a valid body refused: %v", err)
			}
			return
		}
		if len(lines) > maxBodyLines {
			t.Fatalf("%d lines, over %d", len(lines), maxBodyLines)
		}
		var text strings.Builder
		for _, l := range lines {
			text.WriteString(l.text)
		}
		want, err := decodeNumbers(body)
		if err != nil {
			t.Fatalf("laid out a body encoding/json refuses: %q", body)
		}
		got, err := decodeNumbers(text.String())
		if err != nil {
			t.Fatalf("laid out as invalid JSON %q: %v", text.String(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("laid out %v, want %v", got, want)
		}
	})
}

// decodeNumbers decodes one JSON value, its numbers kept as their text.
func decodeNumbers(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one value")
	}
	return v, nil
}
