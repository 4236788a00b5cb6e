package mockserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// FuzzCreateToken sends arbitrary bodies and headers: client input must never
// get a 5xx it did not ask for with Prefer, and every answer must be a token
// or the error envelope.
func FuzzCreateToken(f *testing.F) {
	s, err := mockserver.New(mockserver.Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, body := range []string{seedConnect, seedConnectKnownUser, seedTransfer, `{"mode":2}`, `[]`, `{"mode":1e0,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":1e3}]}}`, ``, `{`} {
		f.Add(body, "application/json", "Bearer t", "")
	}
	f.Add(seedConnect, "application/json; charset=utf-8", "bearer t", "code=429")
	f.Add(seedConnect, "text/plain", "Basic t", "example=expiredToken")
	f.Add(`{"mode":1,"display_name":"x","partnership_id":9007199254740993}`, "application/json", "Bearer t", "code=200")
	f.Fuzz(func(t *testing.T, body, contentType, authorization, prefer string) {
		req := httptest.NewRequest(http.MethodPost, createPath, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", authorization)
		req.Header.Set("Prefer", prefer)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if asked := strings.Contains(prefer, "code="+strconv.Itoa(rec.Code)); asked && rec.Code >= 500 {
			// An answer Prefer asked for; a gateway's (502-504) is a page.
			if ct := rec.Header().Get("Content-Type"); rec.Code >= 502 && rec.Code <= 504 && !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("an injected %d is %q, want a gateway's HTML page", rec.Code, ct)
			}
			return
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
		var v struct {
			Code string `json:"code"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Code == "" {
			t.Fatalf("status %d answer is not an envelope: %q", rec.Code, rec.Body)
		}
	})
}
