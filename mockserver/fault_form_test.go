package mockserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// The inspector's fault form and the admin API read a fault through one
// definition of its fields: the same form and JSON queue the same fault,
// and what one refuses the other refuses, naming the same field.
func TestFaultFormReadsWhatTheAdminAPIReads(t *testing.T) {
	ts := mockserver.NewTestServer(t)
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
			ts.ClearFaults()
			form := postForm(t, ts, "/__mock/ui/faults", tt.form)
			formFaults := ts.Faults()
			ts.ClearFaults()
			api := request(t, http.MethodPost, ts.URL+"/__mock/faults", tt.json, "Content-Type", "application/json")
			apiFaults := ts.Faults()
			if tt.field == "" {
				if form.status != http.StatusSeeOther || api.status != http.StatusCreated {
					t.Fatalf("form %d %.200s; admin API %d %.200s; want 303 and 201", form.status, form.body, api.status, api.body)
				}
				if len(formFaults) != 1 || !reflect.DeepEqual(formFaults, apiFaults) {
					t.Errorf("the form queued %+v, the admin API %+v", formFaults, apiFaults)
				}
				return
			}
			var refusal struct{ Message string }
			_ = json.Unmarshal(api.body, &refusal)
			if form.status != http.StatusBadRequest || !strings.Contains(string(form.body), tt.field) ||
				api.status != http.StatusBadRequest || !strings.Contains(refusal.Message, tt.field) {
				t.Errorf("form %d, admin API %d %q; want both 400 naming %q", form.status, api.status, refusal.Message, tt.field)
			}
			if len(formFaults)+len(apiFaults) != 0 {
				t.Errorf("a refused fault was queued: form %+v, admin API %+v", formFaults, apiFaults)
			}
		})
	}

}
