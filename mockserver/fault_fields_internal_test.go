package mockserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The inspector's fault form and the admin API read a fault through one
// definition (Fault.fields, Match.fields): the same form and JSON queue the
// same fault, and what one refuses the other refuses, naming the same
// field.
func TestFaultFormReadsWhatTheAdminAPIReads(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	postForm := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "http://localhost"+faultFormPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return serve(req)
	}
	postJSON := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "http://localhost/__mock/faults", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return serve(req)
	}
	tests := []struct {
		name  string
		form  url.Values
		json  string
		field string // named by both refusals; "" when both queue the fault
	}{
		{"a status", url.Values{"status": {"503"}}, `{"status":503}`, ""},
		{"every field", url.Values{"status": {"429"}, "delay": {"250ms"}, "retry_after": {"2s"}, "times": {"3"}, "reset": {"on"},
			"match.user_external_id": {"u-1"}, "match.display_name": {"Ann"}, "match.mode": {"3"}, "match.partnership_id": {"49"}},
			`{"status":429,"delay":"250ms","retry_after":"2s","times":3,"reset":true,"match":{"user_external_id":"u-1","display_name":"Ann","mode":3,"partnership_id":49}}`, ""},
		{"an example", url.Values{"example": {"expiredToken"}}, `{"example":"expiredToken"}`, ""},
		{"a drop after a delay", url.Values{"drop": {"on"}, "delay": {"1s"}}, `{"drop":true,"delay":"1s"}`, ""},
		{"spaces around a number and a duration", url.Values{"status": {" 500 "}, "delay": {" 10ms"}}, `{"status":500,"delay":"10ms"}`, ""},
		{"a name matched with its spaces", url.Values{"status": {"500"}, "match.display_name": {" Ann "}}, `{"status":500,"match":{"display_name":" Ann "}}`, ""},

		{"a status that is no number", url.Values{"status": {"abc"}}, `{"status":"abc"}`, "status"},
		{"times that are no number", url.Values{"status": {"500"}, "times": {"1.5"}}, `{"status":500,"times":1.5}`, "times"},
		{"a delay that is no duration", url.Values{"status": {"500"}, "delay": {"2 parsecs"}}, `{"status":500,"delay":"2 parsecs"}`, "delay"},
		{"a retry_after that is no duration", url.Values{"status": {"500"}, "retry_after": {"soon"}}, `{"status":500,"retry_after":"soon"}`, "retry_after"},
		{"a mode of 0", url.Values{"status": {"500"}, "match.mode": {"0"}}, `{"status":500,"match":{"mode":0}}`, "mode"},
		{"a mode that is no number", url.Values{"status": {"500"}, "match.mode": {"x"}}, `{"status":500,"match":{"mode":"x"}}`, "mode"},
		{"times out of range", url.Values{"status": {"500"}, "times": {"-1"}}, `{"status":500,"times":-1}`, "times"},
		{"nothing to do", url.Values{"times": {"2"}}, `{"times":2}`, "set status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ClearFaults()
			form := postForm(tt.form)
			formFaults := s.Faults()
			s.ClearFaults()
			api := postJSON(tt.json)
			apiFaults := s.Faults()
			if tt.field == "" {
				if form.Code != http.StatusSeeOther || api.Code != http.StatusCreated {
					t.Fatalf("form %d %.200s; admin API %d %.200s; want 303 and 201", form.Code, form.Body, api.Code, api.Body)
				}
				if len(formFaults) != 1 || !reflect.DeepEqual(formFaults, apiFaults) {
					t.Errorf("the form queued %+v, the admin API %+v", formFaults, apiFaults)
				}
				return
			}
			var refusal struct{ Message string }
			_ = json.Unmarshal(api.Body.Bytes(), &refusal)
			if form.Code != http.StatusBadRequest || !strings.Contains(form.Body.String(), tt.field) ||
				api.Code != http.StatusBadRequest || !strings.Contains(refusal.Message, tt.field) {
				t.Errorf("form %d, admin API %d %q; want both 400 naming %q", form.Code, api.Code, refusal.Message, tt.field)
			}
			if len(formFaults)+len(apiFaults) != 0 {
				t.Errorf("a refused fault was queued: form %+v, admin API %+v", formFaults, apiFaults)
			}
		})
	}

	// Every field the admin API reads has an input of the same name on the
	// page's fault form.
	page := serve(httptest.NewRequest(http.MethodGet, "http://localhost"+inspectorPath, nil)).Body.String()
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
