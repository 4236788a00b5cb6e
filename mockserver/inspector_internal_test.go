package mockserver

import (
	"strings"
	"testing"
)

// The drift section (proxy mode's, to come) shows only when it has
// something to say, and escapes what it says.
func TestInspectorDriftSection(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		drift []driftView
		want  []string
		never []string
	}{
		{"none", nil, nil, []string{`id="drift"`}},
		{"some", []driftView{{Field: "/data/token", Message: "<b>is not a uuid</b>", Count: 3}},
			[]string{`id="drift"`, "<code>/data/token</code> &lt;b&gt;is not a uuid&lt;/b&gt;", `<span class="count">3</span>`}, []string{"<b>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := s.renderInspector("live", 200, liveView{Drift: tc.drift})
			page := string(a.body)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, page)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("lacks %q:\n%s", w, page)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(page, n) {
					t.Errorf("holds %q:\n%s", n, page)
				}
			}
		})
	}
}
