package contract

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCheckAnswer(t *testing.T) {
	c := mustLoad(t)
	json := http.Header{"Content-Type": {"application/json"}}
	with := func(h http.Header, name, value string) http.Header {
		h = h.Clone()
		h.Set(name, value)
		return h
	}
	manyErrors := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = `{"field":1}`
		}
		return `{"code":"invalid_request","message":"m","errors":[` + strings.Join(items, ",") + `]}`
	}
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		want    []string // Departure.String() of each, in order
		omitted int
	}{
		{"a conforming token", 200, json, `{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`, nil, 0},
		{"a conforming 401", 401, with(json, "Www-Authenticate", "Bearer"), `{"code":"unauthorized","message":"no"}`, nil, 0},
		{"undocumented headers are not departures", 200, with(json, "Cf-Ray", "x"), `{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`, nil, 0},
		{"a token that is not a UUID", 200, json, `{"code":"ok","data":{"token":"tok_123"}}`,
			[]string{`/data/token: must be a uuid, got "tok_123"`}, 0},
		{"an undocumented status is one departure", 422, json, `{"error":{"reason":"bad"}}`,
			[]string{"status: must be a status the contract documents (200, 400, 401, 413, 415, 429, 500), got 422"}, 0},
		{"a 401 without its challenge", 401, json, `{"code":"unauthorized","message":"no"}`,
			[]string{"header WWW-Authenticate: is required"}, 0},
		{"a challenge of another scheme", 401, with(json, "Www-Authenticate", "Basic"), `{"code":"unauthorized","message":"no"}`,
			[]string{`header WWW-Authenticate: must match ^Bearer( |$), got "Basic"`}, 0},
		{"a Retry-After that is a date", 429, with(json, "Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT"), `{"code":"rate_limited","message":"slow"}`,
			[]string{`header Retry-After: must be an integer, got "Wed, 21 Oct 2026 07:28:00 GMT"`}, 0},
		{"an HTML page on a documented status", 500, http.Header{"Content-Type": {"text/html"}}, `<html></html>`,
			[]string{`header Content-Type: must be application/json, got "text/html"`}, 0},
		{"no Content-Type", 500, http.Header{}, `{"code":"internal_error","message":"m"}`,
			[]string{`header Content-Type: must be application/json, got none`}, 0},
		{"a body that is not JSON", 500, json, `oops`,
			[]string{"body: must be JSON, got invalid character 'o' looking for beginning of value (at byte 1)"}, 0},
		{"a field the contract does not list is allowed: the answer's schema is open", 200, json, `{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"},"expires_in":600}`,
			nil, 0},
		{"an envelope without its message", 400, json, `{"code":"invalid_request"}`,
			[]string{"/message: is required"}, 0},
		{"the same departure in many items is listed up to the cap", 400, json, manyErrors(80),
			nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, omitted := c.CheckAnswer(tt.status, tt.header, []byte(tt.body))
			if tt.omitted < 0 {
				// 51 items kept (maxItems + 1): the maxItems departure and
				// one per item for field and message.
				if len(got) != c.MaxViolations || omitted == 0 {
					t.Fatalf("got %d departures and %d omitted, want %d and some omitted", len(got), omitted, c.MaxViolations)
				}
				return
			}
			var gotText []string
			for _, d := range got {
				gotText = append(gotText, d.String())
			}
			if !slices.Equal(gotText, tt.want) || omitted != tt.omitted {
				t.Errorf("departures:\n got %q (omitted %d)\nwant %q (omitted %d)", gotText, omitted, tt.want, tt.omitted)
			}
		})
	}
}

// TestDeparturesGroupByRule: the same departure with different values has
// the same kind, place and rule, which is what a drift report counts by.
func TestDeparturesGroupByRule(t *testing.T) {
	c := mustLoad(t)
	h := http.Header{"Content-Type": {"application/json"}}
	var keys []string
	for i := range 3 {
		got, _ := c.CheckAnswer(200, h, fmt.Appendf(nil, `{"code":"ok","data":{"token":"tok_%d"}}`, i))
		if len(got) != 1 {
			t.Fatalf("got %v, want one departure", got)
		}
		d := got[0]
		if !strings.Contains(d.Got, fmt.Sprint(i)) {
			t.Errorf("Got = %q, want the value sent", d.Got)
		}
		keys = append(keys, d.Kind+" "+d.Where+" "+d.Rule)
	}
	if keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("keys differ: %q", keys)
	}
}

// FuzzCheckAnswerAgreesWithKin: CheckAnswer finds a departure in exactly the
// answers that kin-openapi's response validation refuses, whatever the
// upstream sends; it never lists more than MaxViolations, and never panics.
func FuzzCheckAnswerAgreesWithKin(f *testing.F) {
	c := mustLoad(f)
	f.Add(uint8(0), "application/json", "", []byte(`{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`))
	f.Add(uint8(0), "application/json", "", []byte(`{"code":"ok","data":{"token":"tok"}}`))
	f.Add(uint8(2), "application/json", "Bearer", []byte(`{"code":"unauthorized","message":"m"}`))
	f.Add(uint8(2), "application/json", "Basic", []byte(`{"code":"unauthorized"}`))
	f.Add(uint8(1), "application/json; charset=utf-8", "", []byte(`{"code":"invalid_request","message":"m","errors":[{"field":1}]}`))
	f.Add(uint8(5), "text/html", "", []byte(`<html>`))
	f.Add(uint8(7), "application/json", "", []byte(`{}`))
	statuses := []int{200, 400, 401, 413, 415, 429, 500, 422, 503}
	f.Fuzz(func(t *testing.T, pick uint8, contentType, challenge string, body []byte) {
		status := statuses[int(pick)%len(statuses)]
		header := http.Header{"Content-Type": {contentType}}
		if challenge != "" {
			header["Www-Authenticate"] = []string{challenge}
		}
		got, omitted := c.CheckAnswer(status, header, body)
		if len(got) > c.MaxViolations || (omitted > 0 && len(got) != c.MaxViolations) {
			t.Fatalf("%d departures listed, %d omitted", len(got), omitted)
		}
		kin := c.CheckResponse(status, header, body)
		if (len(got) == 0) != (kin == nil) {
			t.Fatalf("status %d, Content-Type %q, challenge %q, body %q: CheckAnswer says %v, kin-openapi says %v", status, contentType, challenge, body, got, kin)
		}
	})
}

// TestCheckAnswerAgreesWithKin: CheckAnswer finds a departure in exactly the
// answers that kin-openapi refuses, over answers that conform and answers
// that depart in each way an upstream's can. Each row is judged by kin-openapi
// alone (no quick check) and by CheckResponse, so that a row the quick check
// passes is still put to the library.
func TestCheckAnswerAgreesWithKin(t *testing.T) {
	c := mustLoad(t)
	const token = `{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`
	json := func(extra ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		departs bool
	}{
		{"a token", 200, json(), token, false},
		{"a token, keys in another order and spaced", 200, json(), ` { "data" : { "token" : "5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b" } , "code" : "ok" } `, false},
		{"a token with a charset", 200, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, token, false},
		{"a token with an extra field", 200, json(), `{"code":"ok","data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"},"expires_in":600}`, false},
		{"a token with undocumented headers", 200, json("Cf-Ray", "x", "Server", "nginx"), token, false},
		{"a 400 with its errors", 400, json(), `{"code":"invalid_request","message":"m","errors":[{"field":"/mode","message":"bad"}]}`, false},
		{"a 401 with its challenge", 401, json("Www-Authenticate", "Bearer"), `{"code":"unauthorized","message":"no"}`, false},
		{"a 429 with Retry-After", 429, json("Retry-After", "2"), `{"code":"rate_limited","message":"slow"}`, false},
		{"a 500", 500, json(), `{"code":"internal_error","message":"m"}`, false},

		{"a token that is not a UUID", 200, json(), `{"code":"ok","data":{"token":"tok_123"}}`, true},
		{"a 200 without data", 200, json(), `{"code":"ok"}`, true},
		{"a code of the wrong type", 200, json(), `{"code":1,"data":{"token":"5a3f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}}`, true},
		{"an undocumented status", 422, json(), `{"error":{"reason":"bad"}}`, true},
		{"a gateway's 502", 502, http.Header{"Content-Type": {"text/html"}}, `<html>Bad Gateway</html>`, true},
		{"a 401 without its challenge", 401, json(), `{"code":"unauthorized","message":"no"}`, true},
		{"a challenge of another scheme", 401, json("Www-Authenticate", "Basic"), `{"code":"unauthorized","message":"no"}`, true},
		{"a Retry-After that is a date", 429, json("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT"), `{"code":"rate_limited","message":"slow"}`, true},
		{"an HTML page on a documented status", 500, http.Header{"Content-Type": {"text/html"}}, `<html></html>`, true},
		{"no Content-Type", 500, http.Header{}, `{"code":"internal_error","message":"m"}`, true},
		{"a body that is not JSON", 500, json(), `oops`, true},
		{"an empty body", 200, json(), ``, true},
		{"an envelope without its message", 400, json(), `{"code":"invalid_request"}`, true},
		{"an error item of the wrong type", 400, json(), `{"code":"invalid_request","message":"m","errors":[{"field":1}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := c.CheckAnswer(tt.status, tt.header, []byte(tt.body))
			kin := c.kinCheckResponse(tt.status, tt.header, []byte(tt.body))
			full := c.CheckResponse(tt.status, tt.header, []byte(tt.body))
			if (len(got) > 0) != tt.departs || (kin != nil) != tt.departs || (full != nil) != tt.departs {
				t.Errorf("want departs=%v; CheckAnswer says %.200q, kin-openapi %.200v, CheckResponse %.200v", tt.departs, fmt.Sprint(got), kin, full)
			}
		})
	}
}
