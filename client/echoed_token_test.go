package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/client"
)

// TestErrorsNeverQuoteThePartnerToken: whatever an answer echoes of the
// partner token (in the envelope's message or fields, in an HTML page, in a
// redirect's Location, in a 200 without a token), the error a caller logs
// holds none of it.
func TestErrorsNeverQuoteThePartnerToken(t *testing.T) {
	const token = "ptk_live/9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	escaped := strings.ReplaceAll(token, "/", `\/`)
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
	}{
		{"envelope message", 401, http.Header{"Content-Type": {"application/json"}, "Www-Authenticate": {"Bearer"}},
			`{"code":"unauthorized","message":"Bearer ` + token + ` is not a token we know"}`},
		{"envelope field", 400, http.Header{"Content-Type": {"application/json"}},
			`{"code":"invalid_request","message":"bad","errors":[{"field":"/display_name","message":"saw \u0070` + escaped[1:] + `"}]}`},
		{"html page", 502, http.Header{"Content-Type": {"text/html"}}, `<p>upstream refused Authorization: Bearer ` + token + `</p>`},
		{"redirect", 302, http.Header{"Location": {"https://elsewhere.example/?t=" + url.QueryEscape(token)}}, ""},
		{"200 without a token", 200, http.Header{"Content-Type": {"application/json"}}, `{"code":"ok","data":{"echo":"` + token + `"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer api.Close()
			c, err := client.New(token, client.WithBaseURL(api.URL), client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 1}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateToken(context.Background(), client.Request{DisplayName: "Reward Cookies", Mode: client.Connect})
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			seen := err.Error() + "\n" + apiErr.Message + "\n" + apiErr.Location
			for _, f := range apiErr.Fields {
				seen += "\n" + f.Message
			}
			for _, form := range []string{token, escaped, url.QueryEscape(token), token[9:]} {
				if strings.Contains(seen, form) {
					t.Errorf("the error quotes the partner token (%q): %.300s", form, seen)
				}
			}
			if !strings.Contains(seen, "[REDACTED]") {
				t.Errorf("the error does not say what it redacted: %.300s", seen)
			}
		})
	}
}
