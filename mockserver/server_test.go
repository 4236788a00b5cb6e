package mockserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/mockserver"
)

const (
	createPath   = "/verify/token/create"
	partnerToken = "partner-access-token-1234"

	seedConnect          = `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48}`
	seedConnectKnownUser = `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"user_external_id":"1234"}`
	seedTransfer         = `{"mode":3,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}`
)

// answer is a response as a test sees it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) envelope(t *testing.T) gen.Error {
	t.Helper()
	var e gen.Error
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("status %d body %q is not an error envelope: %v", a.status, a.body, err)
	}
	if e.Code == "" || e.Message == "" {
		t.Fatalf("status %d envelope lacks code or message: %s", a.status, a.body)
	}
	return e
}

func (a answer) token(t *testing.T) uuid.UUID {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", a.status, a.body)
	}
	var ok gen.TokenCreated
	if err := json.Unmarshal(a.body, &ok); err != nil {
		t.Fatalf("200 body %q: %v", a.body, err)
	}
	if ok.Code != gen.Ok {
		t.Fatalf("code = %q, want ok", ok.Code)
	}
	return ok.Data.Token
}

// noRedirects is a client that hands back a redirect instead of following
// it (the inspector's forms answer 303).
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// request sends one request, and does not follow a redirect; header pairs
// are name, value, name, value...
func request(t testing.TB, method, url, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		// The error repeats the URL, which a test may make 1 MiB long.
		t.Fatalf("%s %s: %s", method, clip(url), clip(err.Error()))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// create posts a createToken body with valid credentials and content type,
// plus any extra header pairs.
func create(t testing.TB, ts *mockserver.TestServer, body string, header ...string) answer {
	t.Helper()
	h := append([]string{"Authorization", "Bearer " + partnerToken, "Content-Type", "application/json"}, header...)
	return request(t, http.MethodPost, ts.URL+createPath, body, h...)
}

// apiRequest is a POST of body to url (the API's, or its path alone for a
// request written to a connection) with the bearer token and the JSON media
// type: a request the mock checks no further than its body, for a test
// that sends it itself.
func apiRequest(url string, body io.Reader, token string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestSeedExamplesGetDistinctVersion1Tokens(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	seen := map[uuid.UUID]bool{}
	for _, body := range []string{seedConnect, seedConnectKnownUser, seedTransfer} {
		a := create(t, ts, body)
		tok := a.token(t)
		if tok.Version() != 1 {
			t.Errorf("token %s is version %d, want 1 like the reference's", tok, tok.Version())
		}
		if seen[tok] {
			t.Errorf("token %s issued twice", tok)
		}
		seen[tok] = true
		if got := a.header.Get(mockserver.ContractHeader); got != ts.ContractID() || !strings.HasPrefix(got, "1.0.0+") {
			t.Errorf("%s = %q, want %q", mockserver.ContractHeader, got, ts.ContractID())
		}
	}
}

func TestBadRequestsGetTheirDocumentedAnswer(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Tokens = []string{partnerToken} })
	auth := "Bearer " + partnerToken
	huge := `{"mode":1,"display_name":"` + strings.Repeat("x", mockserver.DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name       string
		method     string
		path       string
		header     []string
		body       string
		wantStatus int
		wantCode   string
		wantField  string // a field errors[] must name; "-" for none expected
		wantHeader [2]string
	}{
		{"no Authorization header", "POST", createPath, []string{"Content-Type", "application/json"}, seedConnect, 401, "unauthorized", "-", [2]string{}},
		{"Basic instead of Bearer", "POST", createPath, []string{"Authorization", "Basic dTpw", "Content-Type", "application/json"}, seedConnect, 401, "unauthorized", "-", [2]string{}},
		{"Bearer with no token", "POST", createPath, []string{"Authorization", "Bearer ", "Content-Type", "application/json"}, seedConnect, 401, "unauthorized", "-", [2]string{}},
		{"a token the mock was not told to accept", "POST", createPath, []string{"Authorization", "Bearer someone-else", "Content-Type", "application/json"}, seedConnect, 401, "unauthorized", "-", [2]string{}},
		{"form content type", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/x-www-form-urlencoded"}, seedConnect, 415, "unsupported_media_type", "-", [2]string{}},
		{"no content type", "POST", createPath, []string{"Authorization", auth}, seedConnect, 415, "unsupported_media_type", "-", [2]string{}},
		{"body over 1 MiB", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, huge, 413, "payload_too_large", "-", [2]string{}},
		{"empty body", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, "", 400, "invalid_request", "", [2]string{}},
		{"truncated JSON", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `{"mode":`, 400, "malformed_json", "-", [2]string{}},
		{"trailing garbage", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, seedConnect + "x", 400, "malformed_json", "-", [2]string{}},
		{"body is an array", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `[]`, 400, "invalid_request", "", [2]string{}},
		{"mode 2", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `{"mode":2,"display_name":"x"}`, 400, "invalid_request", "/mode", [2]string{}},
		{"mode as a string", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `{"mode":"1","display_name":"x"}`, 400, "invalid_request", "/mode", [2]string{}},
		{"display_name missing", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `{"mode":1}`, 400, "invalid_request", "/display_name", [2]string{}},
		{"action mode Connect", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":1,"amount":5}]}}`, 400, "invalid_request", "/custom_attributes/actions/0/mode", [2]string{}},
		{"action amount as a string", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":"5"}]}}`, 400, "invalid_request", "/custom_attributes/actions/0/amount", [2]string{}},
		{"partnership_id a boolean", "POST", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, `{"mode":1,"display_name":"x","partnership_id":true}`, 400, "invalid_request", "/partnership_id", [2]string{}},
		{"GET on the API path", "GET", createPath, nil, "", 405, "method_not_allowed", "-", [2]string{"Allow", "POST"}},
		{"PUT on the API path", "PUT", createPath, []string{"Authorization", auth, "Content-Type", "application/json"}, seedConnect, 405, "method_not_allowed", "-", [2]string{"Allow", "POST"}},
		{"OPTIONS on the API path", "OPTIONS", createPath, nil, "", 405, "method_not_allowed", "-", [2]string{"Allow", "POST"}},
		{"unknown path", "POST", "/verify/token/delete", []string{"Authorization", auth, "Content-Type", "application/json"}, seedConnect, 404, "not_found", "-", [2]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := request(t, tc.method, ts.URL+tc.path, tc.body, tc.header...)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", a.status, tc.wantStatus, a.body)
			}
			e := a.envelope(t)
			if e.Code != tc.wantCode {
				t.Errorf("code = %q, want %q (message %q)", e.Code, tc.wantCode, e.Message)
			}
			var fields []string
			if e.Errors != nil {
				for _, f := range *e.Errors {
					fields = append(fields, f.Field)
					if f.Message == "" {
						t.Errorf("field %q has no message", f.Field)
					}
				}
			}
			if tc.wantField == "-" && len(fields) > 0 {
				t.Errorf("errors = %v, want none", fields)
			}
			if tc.wantField != "-" && !slices.Contains(fields, tc.wantField) {
				t.Errorf("errors name %q, want %q among them; body %s", fields, tc.wantField, a.body)
			}
			if h := tc.wantHeader; h[0] != "" && a.header.Get(h[0]) != h[1] {
				t.Errorf("%s = %q, want %q", h[0], a.header.Get(h[0]), h[1])
			}
			if strings.Contains(string(a.body), partnerToken) {
				t.Errorf("the answer repeats the bearer token: %s", a.body)
			}
		})
	}
}

func TestViolationMessagesNameValueAndRule(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	a := create(t, ts, `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":1,"amount":5}]}}`)
	e := a.envelope(t)
	want := gen.FieldError{Field: "/custom_attributes/actions/0/mode", Message: "must be 3 (Transfer) or 4 (Redeem), got 1"}
	if e.Errors == nil || !slices.Contains(*e.Errors, want) {
		t.Errorf("errors = %+v, want %+v", e.Errors, want)
	}
	if !strings.Contains(e.Message, want.Field) {
		t.Errorf("message %q does not name %s", e.Message, want.Field)
	}
}

func TestPreferPicksADocumentedAnswer(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tests := []struct {
		prefer     string
		wantStatus int
		wantCode   string
	}{
		{"code=401", 401, "unauthorized"},
		{"example=expiredToken", 401, "expired_token"},
		{"code=401, example=expiredToken", 401, "expired_token"},
		{"code=404", 400, "invalid_prefer"}, // answered outside the operation, never to a POST
		{"code=405", 400, "invalid_prefer"},
		{"code=429", 429, "rate_limited"},
		{"code=500", 500, "internal_error"},
		{"code=418", 400, "invalid_prefer"},
		{"code=abc", 400, "invalid_prefer"},
		{"example=nope", 400, "invalid_prefer"},
		{"code=429, example=expiredToken", 400, "invalid_prefer"},
	}
	for _, tc := range tests {
		t.Run(tc.prefer, func(t *testing.T) {
			a := create(t, ts, seedConnect, "Prefer", tc.prefer)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", a.status, tc.wantStatus, a.body)
			}
			if e := a.envelope(t); e.Code != tc.wantCode {
				t.Errorf("code = %q, want %q", e.Code, tc.wantCode)
			}
			if tc.wantStatus == 429 && a.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		})
	}
	t.Run("code=200 still issues a fresh token", func(t *testing.T) {
		a, b := create(t, ts, seedConnect, "Prefer", "code=200"), create(t, ts, seedConnect, "Prefer", "code=200")
		if a.token(t) == b.token(t) {
			t.Error("two Prefer code=200 calls got the same token")
		}
	})
	t.Run("example=created answers the reference's sample", func(t *testing.T) {
		if got := create(t, ts, seedConnect, "Prefer", "example=created").token(t).String(); got != "0c371a1c-aa81-11ef-b28c-0a58a9feac02" {
			t.Errorf("token = %s, want the reference's sample", got)
		}
	})
	t.Run("an invalid body wins over Prefer", func(t *testing.T) {
		if a := create(t, ts, `{"mode":2}`, "Prefer", "code=429"); a.status != 400 {
			t.Errorf("status = %d, want 400", a.status)
		}
	})
}

func TestHealthAndSpecAnswerWithoutBeingJournaled(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	if a := request(t, "GET", ts.URL+"/healthz", ""); a.status != 200 {
		t.Errorf("/healthz status = %d", a.status)
	}
	a := request(t, "GET", ts.URL+"/openapi.yaml", "")
	if a.status != 200 || !strings.Contains(string(a.body), "operationId: createToken") {
		t.Errorf("/openapi.yaml status = %d, body starts %.60q", a.status, a.body)
	}
	if len(ts.Requests(mockserver.Filter{})) != 0 {
		t.Error("health and spec requests were journaled")
	}
}

// With an allowlist, each listed token is accepted and nothing else is.
func TestTokenAllowlist(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Tokens = []string{"first-token", "second-token"} })
	for _, tt := range []struct {
		token string
		want  int
	}{
		{"first-token", http.StatusOK},
		{"second-token", http.StatusOK},
		{"second-token ", http.StatusOK}, // surrounding space is not part of the token
		{"second", http.StatusUnauthorized},
		{"second-token-2", http.StatusUnauthorized},
	} {
		a := request(t, "POST", ts.URL+createPath, seedTransfer, "Authorization", "Bearer "+tt.token, "Content-Type", "application/json")
		if a.status != tt.want {
			t.Errorf("token %q: status %d, want %d; body %s", tt.token, a.status, tt.want, a.body)
		}
	}
}
