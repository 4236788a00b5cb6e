package client_test

import (
	"testing"

	"github.com/benjiconnect/benji/client"
)

// A violation of the body itself (an empty pointer, RFC 6901's whole
// document) reads "body: ..."; any other pointer, "/" (the member named "")
// included, is quoted as the field. APIError and ValidationError print
// their fields this way.
func TestFieldErrorString(t *testing.T) {
	tests := []struct {
		field client.FieldError
		want  string
	}{
		{client.FieldError{Field: "", Message: "must be an object, got an array"}, "body: must be an object, got an array"},
		{client.FieldError{Field: "/mode", Message: "is required"}, "/mode: is required"},
		{client.FieldError{Field: "/custom_attributes/actions/0/mode", Message: "must be 3 (Transfer) or 4 (Redeem), got 1"},
			"/custom_attributes/actions/0/mode: must be 3 (Transfer) or 4 (Redeem), got 1"},
		{client.FieldError{Field: "/", Message: "is not allowed"}, "/: is not allowed"},
	}
	for _, tc := range tests {
		if got := tc.field.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.field, got, tc.want)
		}
	}
	ve := &client.ValidationError{Fields: []client.FieldError{tests[0].field, tests[1].field}}
	if got, want := ve.Error(), "benji: invalid request: body: must be an object, got an array; /mode: is required"; got != want {
		t.Errorf("ValidationError = %q, want %q", got, want)
	}
	ae := &client.APIError{StatusCode: 400, Code: "invalid_request", Message: "m", Fields: []client.FieldError{tests[0].field}}
	if got, want := ae.Error(), "benji: 400 invalid_request: m (body: must be an object, got an array)"; got != want {
		t.Errorf("APIError = %q, want %q", got, want)
	}
}
