package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every field the admin API reads (Fault.fields, Match.fields) has an input
// of the same name on the page's fault form, "match." before a match's.
func TestFaultFormHasAnInputForEveryField(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://localhost"+inspectorPath, nil))
	page := rec.Body.String()
	var f Fault
	for _, field := range f.fields() {
		if !strings.Contains(page, `name="`+field.name+`"`) {
			t.Errorf("the page's fault form has no input %q", field.name)
		}
	}
	for _, field := range f.Match.fields() {
		if !strings.Contains(page, `name="match.`+field.name+`"`) {
			t.Errorf("the page's fault form has no input %q", "match."+field.name)
		}
	}
}
