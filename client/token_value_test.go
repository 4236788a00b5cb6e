package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/benjiconnect/benji/client"
)

// answering is an API that answers every request with a 200 and body.
func answering(t *testing.T, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(client.RequestIDHeader, "req-token-1")
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// Token.Value is the token as the API sent it, whatever its shape: the
// contract says UUID, but the client hands on what the API gave (the mock's
// drift report is where another shape is called out).
func TestTokenValueIsTheAPIsToken(t *testing.T) {
	tests := []struct {
		name, token string // token: the JSON string's literal, quotes included
		want        string
	}{
		{"a live token that is no UUID", `"tok_live_42"`, "tok_live_42"},
		{"an upper-case UUID", `"0C371A1C-AA81-11EF-B28C-0A58A9FEAC02"`, "0C371A1C-AA81-11EF-B28C-0A58A9FEAC02"},
		{"a UUID in braces", `"{0c371a1c-aa81-11ef-b28c-0a58a9feac02}"`, "{0c371a1c-aa81-11ef-b28c-0a58a9feac02}"},
		{"a URN", `"urn:uuid:0c371a1c-aa81-11ef-b28c-0a58a9feac02"`, "urn:uuid:0c371a1c-aa81-11ef-b28c-0a58a9feac02"},
		{"a UUID without hyphens", `"0c371a1caa8111efb28c0a58a9feac02"`, "0c371a1caa8111efb28c0a58a9feac02"},
		{"spaces inside the string are kept", `" 0c371a1c-aa81-11ef-b28c-0a58a9feac02 "`, " 0c371a1c-aa81-11ef-b28c-0a58a9feac02 "},
		{"unicode", `"tök_😀_42"`, "tök_😀_42"},
		{"unicode as JSON escapes", `"t\u00f6k_\ud83d\ude00"`, "tök_😀"},
		{"a lower-case UUID", `"0c371a1c-aa81-11ef-b28c-0a58a9feac02"`, "0c371a1c-aa81-11ef-b28c-0a58a9feac02"},
		{"the nil UUID is a token like another", `"00000000-0000-0000-0000-000000000000"`, "00000000-0000-0000-0000-000000000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, _ := answering(t, `{"code":"ok","data":{"token":`+tc.token+`}}`)
			tok, err := newClient(t, api.URL).CreateToken(context.Background(), seedRequests[0].req)
			if err != nil {
				t.Fatalf("err = %.300v, want the token %q", err, tc.want)
			}
			if tok.Value != tc.want || tok.StatusCode != 200 || tok.RequestID != "req-token-1" || tok.Attempts != 1 {
				t.Errorf("token %+q (status %d, request id %q, attempts %d), want %+q, 200, req-token-1, 1",
					tok.Value, tok.StatusCode, tok.RequestID, tok.Attempts, tc.want)
			}
		})
	}
}

// A 200 without a token is an *APIError with the status, sent once: the
// answer arrived, so another attempt would not help.
func TestAnswerWithoutATokenIsAnError(t *testing.T) {
	tests := []struct{ name, body string }{
		{"an empty token", `{"code":"ok","data":{"token":""}}`},
		{"a null token", `{"code":"ok","data":{"token":null}}`},
		{"no token", `{"code":"ok","data":{}}`},
		{"a null data", `{"code":"ok","data":null}`},
		{"no data", `{"code":"ok"}`},
		{"a token that is a number", `{"code":"ok","data":{"token":42}}`},
		{"a code other than ok", `{"code":"okay","data":{"token":"tok_live_42"}}`},
		{"no code", `{"data":{"token":"tok_live_42"}}`},
		{"an upper-case code", `{"code":"OK","data":{"token":"tok_live_42"}}`},
		{"a body that is not JSON", `<html>tok_live_42</html>`},
		{"an empty body", ``},
		{"null", `null`},
		{"an array", `[{"code":"ok","data":{"token":"tok_live_42"}}]`},
		{"the envelope followed by more", `{"code":"ok","data":{"token":"tok_live_42"}} {}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, calls := answering(t, tc.body)
			tok, err := newClient(t, api.URL).CreateToken(context.Background(), seedRequests[0].req)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %.300v, token %+v; want an *APIError", err, tok)
			}
			if apiErr.StatusCode != 200 || apiErr.RequestID != "req-token-1" || apiErr.Attempts != 1 || !strings.Contains(apiErr.Message, "holds no token") {
				t.Errorf("APIError %.300v (attempts %d), want a 200 that holds no token, request req-token-1, attempt 1", apiErr, apiErr.Attempts)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}
