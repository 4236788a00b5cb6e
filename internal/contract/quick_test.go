package contract

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

func mustLoad(t testing.TB) *Contract {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kinValidBody is the authority: encoding/json then kin-openapi.
func kinValidBody(c *Contract, body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	return len(c.ValidateBody(v)) == 0
}

func kinValidResponse(c *Contract, status int, contentType string, body []byte) bool {
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: httptest.NewRequest(http.MethodPost, CreateTokenPath, nil),
			Route:   c.Route,
		},
		Status:  status,
		Header:  http.Header{"Content-Type": {contentType}},
		Options: c.Options(nil),
	}
	input.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), input) == nil
}

func TestTheContractCompilesForTheQuickCheck(t *testing.T) {
	c := mustLoad(t)
	if c.quickBody == nil {
		t.Fatal("the request body schema did not compile: every request would take the slow path")
	}
	// 401 declares WWW-Authenticate, so kin-openapi checks its answers.
	for _, status := range []int{200, 400, 500} {
		if len(c.quickResponses[status].media) == 0 {
			t.Errorf("the %d response did not compile", status)
		}
	}
}

var quickBodies = []struct {
	body string
	want bool
}{
	{`{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48}`, true},
	{`{"mode":3,"display_name":"x","partnership_id":"49","custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}`, true},
	{` {"mode":4 , "display_name":"" , "extra":{"deep":[1,{"a":null}]}} `, true},
	{`{"mode":1e0,"display_name":"x"}`, true},
	{`{"mode":2,"display_name":"x"}`, false},
	{`{"mode":"1","display_name":"x"}`, false},
	{`{"mode":1}`, false},
	{`{"mode":1,"display_name":"x","partnership_id":""}`, false},
	{`{"mode":1,"display_name":"x","partnership_id":4.5}`, false},
	{`{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":0}]}}`, false},
	{`{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3}]}}`, false},
	{`{"mode":1,"display_name":"x","mode":1}`, true},
	{`{"mode":1,"display_name":null}`, false},
	{`{"mode":1,"display_name":"x"}x`, false},
	{`{"mode":1,"display_name":"x",}`, false},
	{`[]`, false},
	{``, false},
}

func TestQuickCheckAgreesOnKnownBodies(t *testing.T) {
	c := mustLoad(t)
	for _, tc := range quickBodies {
		quick, kin := c.QuickValidBody([]byte(tc.body)), kinValidBody(c, []byte(tc.body))
		if kin != tc.want {
			t.Errorf("kin-openapi says %v for %s; the table says %v", kin, tc.body, tc.want)
		}
		if quick && !kin {
			t.Errorf("the quick check accepts %s, which kin-openapi refuses", tc.body)
		}
	}
	// The common valid bodies must take the quick path, or it is no use.
	for _, tc := range quickBodies[:3] {
		if !c.QuickValidBody([]byte(tc.body)) {
			t.Errorf("the quick check does not show %s valid", tc.body)
		}
	}
}

func TestQuickCheckOnResponses(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		status int
		body   string
	}{
		{200, `{"code":"ok","data":{"token":"0c371a1c-aa81-11ef-b28c-0a58a9feac02"}}`},
		{200, `{"code":"ok","data":{"token":"not-a-uuid"}}`},
		{200, `{"code":"ok","data":{}}`},
		{200, `{"code":"OK","data":{"token":"0c371a1c-aa81-11ef-b28c-0a58a9feac02"}}`},
		{400, `{"code":"invalid_request","message":"m","errors":[{"field":"/mode","message":"x"}]}`},
		{400, `{"code":"Invalid","message":"m"}`},
		{400, `{"code":"invalid_request","message":"m","errors":[` + strings.Repeat(`{"field":"/mode","message":"x"},`, 49) + `{"field":"","message":"x"}]}`},
		{400, `{"code":"invalid_request","message":"m","errors":[` + strings.Repeat(`{"field":"/mode","message":"x"},`, 50) + `{"field":"","message":"x"}]}`},
		{401, `{"code":"unauthorized"}`},
		{503, `{"code":"unavailable","message":"m"}`},
	}
	for _, tc := range tests {
		quick, kin := c.QuickValidResponse(tc.status, "application/json", []byte(tc.body)), kinValidResponse(c, tc.status, "application/json", []byte(tc.body))
		if quick && !kin {
			t.Errorf("%d %s: the quick check accepts what kin-openapi refuses", tc.status, tc.body)
		}
		if kin && !quick {
			t.Errorf("%d %s: a valid answer misses the quick path", tc.status, tc.body)
		}
	}
	if c.QuickValidResponse(200, "text/html", []byte(tests[0].body)) {
		t.Error("a 200 sent as text/html passes")
	}
}

// FuzzQuickCheckAgreesWithKin holds the quick check to its promise: it never
// shows valid a body that encoding/json and kin-openapi refuse.
func FuzzQuickCheckAgreesWithKin(f *testing.F) {
	c := mustLoad(f)
	for _, tc := range quickBodies {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(`{"mode":3,"display_name":"x","partnership_id":"\u0034","custom_attributes":{"actions":[{"mode":4,"amount":9007199254740993,"allows_editing":false}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if c.QuickValidBody(body) && !kinValidBody(c, body) {
			t.Fatalf("the quick check accepts %q, which kin-openapi refuses", body)
		}
		if c.QuickValidResponse(200, "application/json", body) && !kinValidResponse(c, 200, "application/json", body) {
			t.Fatalf("the quick check accepts the 200 answer %q, which kin-openapi refuses", body)
		}
		if c.QuickValidResponse(400, "application/json", body) && !kinValidResponse(c, 400, "application/json", body) {
			t.Fatalf("the quick check accepts the 400 answer %q, which kin-openapi refuses", body)
		}
	})
}

func TestUUIDMatcherAgreesWithTheRegexp(t *testing.T) {
	re := regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC9562)
	for _, s := range []string{
		"0c371a1c-aa81-11ef-b28c-0a58a9feac02", "0C371A1C-AA81-11EF-B28C-0A58A9FEAC02",
		"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "FFFFffff-ffff-ffff-ffff-ffffffffffff",
		"0c371a1c-aa81-01ef-b28c-0a58a9feac02", "0c371a1c-aa81-91ef-b28c-0a58a9feac02", "0c371a1c-aa81-11ef-c28c-0a58a9feac02",
		"0c371a1c-aa81-11ef-b28c-0a58a9feac0", "0c371a1c-aa81-11ef-b28c-0a58a9feac021", "0c371a1caa81-11ef-b28c-0a58a9feac02-",
		"0c371a1g-aa81-11ef-b28c-0a58a9feac02", "", "00000000-0000-0000-0000-00000000000f",
	} {
		if got, want := uuidRFC9562([]byte(s)), re.MatchString(s); got != want {
			t.Errorf("uuidRFC9562(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

func FuzzUUIDMatcher(f *testing.F) {
	re := regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC9562)
	f.Add("0c371a1c-aa81-11ef-b28c-0a58a9feac02")
	f.Add("ffffffff-ffff-ffff-ffff-ffffffffffff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := uuidRFC9562([]byte(s)), re.MatchString(s); got != want {
			t.Fatalf("uuidRFC9562(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}

func BenchmarkValidateBody(b *testing.B) {
	c := mustLoad(b)
	body := []byte(`{"mode":3,"display_name":"Reward Cookies","partnership_id":49,"custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}`)
	b.Run("quick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !c.QuickValidBody(body) {
				b.Fatal("not shown valid")
			}
		}
	})
	b.Run("kin-openapi", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !kinValidBody(c, body) {
				b.Fatal("invalid")
			}
		}
	})
	resp := []byte(`{"code":"ok","data":{"token":"0c371a1c-aa81-11ef-b28c-0a58a9feac02"}}`)
	b.Run("kin-openapi-response", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !kinValidResponse(c, 200, "application/json", resp) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("quick-response", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !c.QuickValidResponse(200, "application/json", resp) {
				b.Fatal("not shown valid")
			}
		}
	})
}
