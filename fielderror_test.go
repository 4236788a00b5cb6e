package benji_test

import (
	"testing"

	"github.com/benjiconnect/benji"
)

// A violation of the body itself (an empty pointer, RFC 6901's whole
// document) reads "body: ..."; any other pointer, "/" (the member named "")
// included, is quoted as the field.
func TestFieldErrorString(t *testing.T) {
	tests := []struct {
		field benji.FieldError
		want  string
	}{
		{benji.FieldError{Field: "", Message: "is required"}, "body: is required"},
		{benji.FieldError{Field: "/display_name", Message: "must not be empty"}, "/display_name: must not be empty"},
		{benji.FieldError{Field: "/", Message: "is not allowed"}, "/: is not allowed"},
	}
	for _, tc := range tests {
		if got := tc.field.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.field, got, tc.want)
		}
	}
}
