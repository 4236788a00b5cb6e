package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/benjiconnect/benji/gen"
)

// Wrong admin tokens are slowed: adminGuessBurst of them are answered
// (401), then every guess gets 429 with Retry-After, the right token too,
// without being compared, until the bucket refills (one guess each
// adminGuessEvery). Right tokens spend nothing, and a browser signed in
// before keeps its session. The time is synctest's fake clock: nothing
// sleeps for real.
func TestWrongAdminTokensAreThrottled(t *testing.T) {
	const adminToken = "admin-token-0123456789"
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Options{AdminToken: adminToken})
		if err != nil {
			t.Fatal(err)
		}
		serve := func(req *http.Request) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			return rec
		}
		get := func(path string, header ...string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			return serve(req)
		}
		bearer := func(token string) *httptest.ResponseRecorder {
			return get(adminPrefix+"/requests", "Authorization", "Bearer "+token)
		}
		login := func(token string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, loginPath, strings.NewReader(url.Values{"token": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			return serve(req)
		}
		signedIn := login(adminToken)
		if signedIn.Code != http.StatusSeeOther || len(signedIn.Result().Cookies()) != 1 {
			t.Fatalf("sign in: %d", signedIn.Code)
		}
		cookie := signedIn.Result().Cookies()[0]
		withCookie := func(path string) *httptest.ResponseRecorder {
			return get(path, "Cookie", cookie.Name+"="+cookie.Value)
		}

		for i := range 3 * adminGuessBurst {
			if rec := bearer(adminToken); rec.Code != http.StatusOK {
				t.Fatalf("right token %d: %d, want 200 (right tokens spend nothing)", i+1, rec.Code)
			}
		}
		for i := range adminGuessBurst {
			guess := bearer
			if i%2 == 1 {
				guess = login // the form and the header share the budget
			}
			if rec := guess("wrong-guess"); rec.Code != http.StatusUnauthorized {
				t.Fatalf("wrong guess %d of the burst of %d: %d, want 401", i+1, adminGuessBurst, rec.Code)
			}
		}

		throttled := func(name string, rec *httptest.ResponseRecorder, wantJSON bool) {
			t.Helper()
			if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
				t.Errorf("%s past the burst: %d, Retry-After %q; want 429, 1", name, rec.Code, rec.Header().Get("Retry-After"))
			}
			if len(rec.Result().Cookies()) != 0 {
				t.Errorf("%s past the burst set a cookie", name)
			}
			if wantJSON {
				var e gen.Error
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != OutcomeRateLimited || !strings.Contains(e.Message, "Retry-After") {
					t.Errorf("%s past the burst: body %.200q, want the error envelope with code %s", name, rec.Body.String(), OutcomeRateLimited)
				}
			} else if !strings.Contains(rec.Body.String(), "Too many wrong admin tokens") {
				t.Errorf("%s past the burst: body %.200q, want it to say why", name, rec.Body.String())
			}
		}
		throttled("a wrong bearer token", bearer("wrong-guess"), true)
		throttled("the right bearer token", bearer(adminToken), true)
		throttled("a wrong token in the form", login("wrong-guess"), false)
		throttled("the right token in the form", login(adminToken), false)
		throttled("the page with the right bearer token", get(inspectorPath, "Authorization", "Bearer "+adminToken), false)
		throttled("the fragment with a wrong bearer token", get(livePath, "Authorization", "Bearer wrong-guess"), false)

		for _, path := range []string{adminPrefix + "/requests", inspectorPath, livePath} {
			if rec := withCookie(path); rec.Code != http.StatusOK {
				t.Errorf("%s with a session signed in before: %d, want 200", path, rec.Code)
			}
		}
		if rec := get(inspectorPath); rec.Code != http.StatusUnauthorized {
			t.Errorf("the page without a token or cookie: %d, want 401 (the token form; no guess was made)", rec.Code)
		}

		time.Sleep(adminGuessEvery) // fake time: one more guess is allowed
		if rec := bearer(adminToken); rec.Code != http.StatusOK {
			t.Errorf("the right token after %s: %d, want 200", adminGuessEvery, rec.Code)
		}
		if rec := bearer("wrong-guess"); rec.Code != http.StatusUnauthorized {
			t.Errorf("a wrong token after %s: %d, want 401", adminGuessEvery, rec.Code)
		}
		throttled("the next wrong token", bearer("wrong-guess"), true)

		time.Sleep(adminGuessEvery * adminGuessBurst) // the bucket is full again, and no fuller
		for i := range adminGuessBurst {
			if rec := bearer("wrong-guess"); rec.Code != http.StatusUnauthorized {
				t.Fatalf("wrong guess %d of a refilled burst: %d, want 401", i+1, rec.Code)
			}
		}
		throttled("a wrong token after a refilled burst", bearer("wrong-guess"), true)
	})
}

// The open admin API (no token) has nothing to guess: no throttle.
func TestOpenAdminAPIIsNotThrottled(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * adminGuessBurst {
		req := httptest.NewRequest(http.MethodGet, "http://localhost"+adminPrefix+"/requests", nil)
		req.Header.Set("Authorization", "Bearer anything")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d, want 200", i+1, rec.Code)
		}
	}
}

// Serve warns about an admin token shorter than minAdminTokenBytes, saying
// why, without refusing it and without printing it.
func TestServeWarnsAboutAShortAdminToken(t *testing.T) {
	for _, tt := range []struct {
		name, token string
		warned      bool
	}{
		{"one byte", "a", true},
		{"one byte short", strings.Repeat("k", minAdminTokenBytes-1), true},
		{"the minimum", strings.Repeat("k", minAdminTokenBytes), false},
		{"none", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s, err := New(Options{AdminToken: tt.token, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatalf("a %d-byte admin token is refused: %v", len(tt.token), err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // Serve warns before it serves, then shuts down
			if err := s.Serve(ctx, ln); err != nil {
				t.Fatal(err)
			}
			var warning map[string]any
			for line := range strings.Lines(logs.String()) {
				var l map[string]any
				if json.Unmarshal([]byte(line), &l) == nil && strings.Contains(l["msg"].(string), "admin token is short") {
					warning = l
				}
			}
			if (warning != nil) != tt.warned {
				t.Fatalf("warned %v, want %v; log %.300q", warning != nil, tt.warned, logs.String())
			}
			if warning == nil {
				return
			}
			if warning["level"] != "WARN" || warning["admin_token_bytes"] != float64(len(tt.token)) || warning["min_bytes"] != float64(minAdminTokenBytes) ||
				!strings.Contains(warning["msg"].(string), "guess") {
				t.Errorf("warning %v: want level WARN, the token's length and the minimum, and why", warning)
			}
			if strings.Contains(logs.String(), `"`+tt.token+`"`) {
				t.Errorf("the log prints the admin token: %.300q", logs.String())
			}
		})
	}
}

// Retry-After is the wait in whole seconds, rounded up, never 0.
func TestRetryAfterSecondsRoundsUp(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		want string
	}{
		{time.Nanosecond, "1"},
		{200 * time.Millisecond, "1"},
		{time.Second, "1"},
		{1500 * time.Millisecond, "2"},
		{adminGuessEvery * 3, "3"},
	} {
		if got := retryAfterSeconds(tt.wait); got != tt.want {
			t.Errorf("retryAfterSeconds(%s) = %s, want %s", tt.wait, got, tt.want)
		}
	}
}
