package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/benjiconnect/benji/client"
	"github.com/benjiconnect/benji/client/contractcheck"
	"github.com/benjiconnect/benji/mockserver"
)

const partnerToken = "sk_partner_do-not-leak-42"

// fast keeps retries quick in tests that do not care about the waits.
var fast = client.WithRetryPolicy(client.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})

func newClient(t *testing.T, baseURL string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(partnerToken, append([]client.Option{client.WithBaseURL(baseURL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var seedRequests = []struct {
	name string
	req  client.Request
}{
	{"connect", client.Request{Mode: client.Connect, DisplayName: "Reward Cookies", PartnershipID: "49", PartnerID: 3, MerchantID: 48}},
	{"connect with user_external_id", client.Request{Mode: client.Connect, DisplayName: "Reward Cookies", PartnershipID: "49", PartnerID: 3, MerchantID: 48, UserExternalID: "1234"}},
	{"transfer", client.Request{Mode: client.Transfer, DisplayName: "Reward Cookies", PartnershipID: "49", PartnerID: 3, MerchantID: 48,
		Actions: []client.Action{{Mode: client.Transfer, Amount: 1000, AllowsEditing: true}}}},
}

func TestCreateTokenForTheSeedRequests(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	c := newClient(t, ts.URL)
	for _, tc := range seedRequests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := c.CreateToken(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			id, err := uuid.Parse(tok.Value)
			if err != nil || tok.StatusCode != 200 || tok.Attempts != 1 || tok.RequestID == "" {
				t.Errorf("token = %+v (parse error %v)", tok, err)
			}
			e, ok := ts.RequestForToken(id.String())
			if !ok || e.Request == nil {
				t.Fatal("the mock has no record of the request")
			}
			if got := e.Request; got.DisplayName != tc.req.DisplayName || int(got.Mode) != int(tc.req.Mode) ||
				got.PartnerId == nil || *got.PartnerId != tc.req.PartnerID || got.MerchantId == nil || *got.MerchantId != tc.req.MerchantID {
				t.Errorf("the mock received %+v", got)
			}
			if e.RequestID != tok.RequestID {
				t.Errorf("request id %q, the mock journaled %q", tok.RequestID, e.RequestID)
			}
		})
	}
}

func TestErrorsMapToAPIError(t *testing.T) {
	tests := []struct {
		name       string
		fault      *mockserver.Fault
		req        client.Request
		wantStatus int
		wantCode   string
		wantField  string
		check      func(error) bool
	}{
		{"invalid body", nil, client.Request{Mode: 2, DisplayName: "x"}, 400, "invalid_request", "/mode", client.IsInvalidRequest},
		{"invalid action", nil, client.Request{Mode: client.Transfer, DisplayName: "x", Actions: []client.Action{{Mode: client.Connect, Amount: 0}}}, 400, "invalid_request", "/custom_attributes/actions/0/amount", client.IsInvalidRequest},
		{"expired token", &mockserver.Fault{Example: "expiredToken"}, seedRequests[0].req, 401, "expired_token", "", client.IsUnauthorized},
		{"too large", &mockserver.Fault{Status: 413}, seedRequests[0].req, 413, "payload_too_large", "", nil},
		{"unsupported media type", &mockserver.Fault{Status: 415}, seedRequests[0].req, 415, "unsupported_media_type", "", nil},
		{"rate limited", &mockserver.Fault{Status: 429, Times: 3}, seedRequests[0].req, 429, "rate_limited", "", client.IsRateLimited},
		{"server error", &mockserver.Fault{Status: 500}, seedRequests[0].req, 500, "internal_error", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := mockserver.NewTestServer(t)
			if tc.fault != nil {
				if err := ts.QueueFault(*tc.fault); err != nil {
					t.Fatal(err)
				}
			}
			_, err := newClient(t, ts.URL, fast).CreateToken(context.Background(), tc.req)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.StatusCode != tc.wantStatus || apiErr.Code != tc.wantCode || apiErr.Message == "" || apiErr.RequestID == "" {
				t.Errorf("APIError = %+v, want status %d code %s with message and request id", apiErr, tc.wantStatus, tc.wantCode)
			}
			if tc.wantField != "" && !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("error %q does not name %s", err, tc.wantField)
			}
			if tc.wantStatus == 429 && apiErr.RetryAfter != time.Second {
				t.Errorf("RetryAfter = %s, want the contract's 1s", apiErr.RetryAfter)
			}
			if tc.check != nil && !tc.check(err) {
				t.Errorf("the helper for %d does not recognise %v", tc.wantStatus, err)
			}
			if strings.Contains(err.Error(), partnerToken) {
				t.Errorf("the error holds the token: %v", err)
			}
		})
	}
}

// PartnerID and MerchantID of zero are not sent at all.
func TestZeroPartnerAndMerchantAreNotSent(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tok, err := newClient(t, ts.URL).CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "x"})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := ts.RequestForToken(tok.Value)
	if !ok || strings.Contains(e.Body, "partner_id") || strings.Contains(e.Body, "merchant_id") {
		t.Errorf("the mock received %s, want neither partner_id nor merchant_id", e.Body)
	}
}

// A base URL with a path the API does not serve gets the mock's 404 (a POST
// to the API's own path never can).
func TestWrongBaseURLIsNotFound(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	_, err := newClient(t, ts.URL+"/v2", fast).CreateToken(context.Background(), seedRequests[0].req)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "not_found" || apiErr.RequestID == "" {
		t.Errorf("err = %v, want a 404 not_found APIError with a request id", err)
	}
}

func TestUnknownTokenIsUnauthorized(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Tokens = []string{"another"} })
	_, err := newClient(t, ts.URL).CreateToken(context.Background(), seedRequests[0].req)
	if !client.IsUnauthorized(err) || client.IsRateLimited(err) || client.IsInvalidRequest(err) {
		t.Errorf("err = %v, want only IsUnauthorized", err)
	}
	if n := len(ts.Requests(mockserver.Filter{})); n != 1 {
		t.Errorf("%d requests sent, want 1: a 401 is not retried", n)
	}
}

func TestRetriesRateLimitsGatewaysAndLostAnswersOnly(t *testing.T) {
	t.Run("429 then success, the same body each time", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		ts.QueueFault(mockserver.Fault{Status: 429, Times: 2})
		tok, err := newClient(t, ts.URL, fast).CreateToken(context.Background(), seedRequests[2].req)
		if err != nil {
			t.Fatal(err)
		}
		entries := ts.Requests(mockserver.Filter{})
		if tok.Attempts != 3 || len(entries) != 3 {
			t.Fatalf("attempts %d, %d requests journaled; want 3 and 3", tok.Attempts, len(entries))
		}
		for _, e := range entries[1:] {
			if e.Body != entries[0].Body {
				t.Errorf("a retry sent another body:\n%s\n%s", e.Body, entries[0].Body)
			}
		}
	})
	t.Run("a dropped connection is retried", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		ts.QueueFault(mockserver.Fault{Drop: true})
		tok, err := newClient(t, ts.URL, fast).CreateToken(context.Background(), seedRequests[0].req)
		if err != nil || tok.Attempts != 2 {
			t.Fatalf("token %+v err %v, want success on attempt 2", tok, err)
		}
	})
	t.Run("an attempt that times out is retried", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		// The second attempt has the same timeout: generous, so that it
		// ends on a busy machine, and well short of the first one's delay.
		ts.QueueFault(mockserver.Fault{Delay: time.Minute})
		tok, err := newClient(t, ts.URL, fast, client.WithTimeout(5*time.Second)).CreateToken(context.Background(), seedRequests[0].req)
		if err != nil || tok.Attempts != 2 {
			t.Fatalf("token %+v err %v, want success on attempt 2", tok, err)
		}
	})
	t.Run("no retry on 400, 401 or 500", func(t *testing.T) {
		for _, f := range []mockserver.Fault{{Status: 400}, {Status: 401}, {Status: 500}} {
			ts := mockserver.NewTestServer(t)
			ts.QueueFault(f)
			if _, err := newClient(t, ts.URL, fast).CreateToken(context.Background(), seedRequests[0].req); err == nil {
				t.Errorf("status %d: no error", f.Status)
			}
			if n := len(ts.Requests(mockserver.Filter{})); n != 1 {
				t.Errorf("status %d: %d requests, want 1", f.Status, n)
			}
		}
	})
	t.Run("503 twice then 200, from a gateway", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) <= 2 {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(503)
				fmt.Fprint(w, "<html><body><h1>503 Service Unavailable</h1></body></html>")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"code":"ok","data":{"token":"0c371a1c-aa81-11ef-b28c-0a58a9feac02"}}`)
		}))
		defer srv.Close()
		tok, err := newClient(t, srv.URL, fast).CreateToken(context.Background(), seedRequests[0].req)
		if err != nil || tok.Attempts != 3 || calls.Load() != 3 {
			t.Fatalf("token %+v err %v after %d calls, want success on attempt 3", tok, err, calls.Load())
		}
	})
	t.Run("an HTML 502 that never clears", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>\n<body>Bad gateway from the proxy</body></html>")
		}))
		defer srv.Close()
		_, err := newClient(t, srv.URL, fast).CreateToken(context.Background(), seedRequests[0].req)
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || apiErr.Code != "" || !strings.Contains(apiErr.Message, "Bad gateway from the proxy") {
			t.Fatalf("err = %v, want an *APIError quoting the HTML", err)
		}
		if calls.Load() != 3 || apiErr.Attempts != 3 {
			t.Errorf("%d calls, Attempts %d; want 3 and 3", calls.Load(), apiErr.Attempts)
		}
	})
	t.Run("retries can be turned off", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		ts.QueueFault(mockserver.Fault{Status: 429})
		_, err := newClient(t, ts.URL, client.WithoutRetries()).CreateToken(context.Background(), seedRequests[0].req)
		if !client.IsRateLimited(err) || len(ts.Requests(mockserver.Filter{})) != 1 {
			t.Errorf("err %v after %d requests, want one 429", err, len(ts.Requests(mockserver.Filter{})))
		}
	})
}

func TestTheCallersContextBoundsEveryAttemptAndWait(t *testing.T) {
	t.Run("the caller's deadline ends a slow attempt", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		ts.QueueFault(mockserver.Fault{Delay: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := newClient(t, ts.URL).CreateToken(ctx, seedRequests[0].req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		if took := time.Since(start); took > 30*time.Second { // the delay is a minute
			t.Errorf("returned after %s, long past the 50ms deadline", took)
		}
	})
	t.Run("no wait for a Retry-After beyond the deadline", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		ts.QueueFault(mockserver.Fault{Status: 429, Times: 3, RetryAfter: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		patient := client.WithRetryPolicy(client.RetryPolicy{MaxDelay: 2 * time.Minute})
		_, err := newClient(t, ts.URL, patient).CreateToken(ctx, seedRequests[0].req) // Retry-After: 60
		if !client.IsRateLimited(err) {
			t.Errorf("err = %v, want the 429 at once", err)
		}
		if ctx.Err() != nil {
			t.Error("the client waited past the deadline")
		}
		if n := len(ts.Requests(mockserver.Filter{})); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newClient(t, "http://127.0.0.1:1").CreateToken(ctx, seedRequests[0].req)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestValidationOptionRefusesBeforeSending(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	c := newClient(t, ts.URL, contractcheck.Option())
	_, err := c.CreateToken(context.Background(), client.Request{Mode: client.Transfer, DisplayName: "x",
		Actions: []client.Action{{Mode: client.Connect, Amount: 10}}})
	var ve *client.ValidationError
	if !errors.As(err, &ve) || !client.IsInvalidRequest(err) || !strings.Contains(err.Error(), "/custom_attributes/actions/0/mode") {
		t.Fatalf("err = %v, want a *ValidationError naming the action's mode", err)
	}
	if n := len(ts.Requests(mockserver.Filter{})); n != 0 {
		t.Errorf("%d requests reached the server, want none", n)
	}
	if _, err := c.CreateToken(context.Background(), seedRequests[2].req); err != nil {
		t.Errorf("a valid request was refused: %v", err)
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for name, build := range map[string]func() (*client.Client, error){
		"empty token":       func() (*client.Client, error) { return client.New("") },
		"relative base URL": func() (*client.Client, error) { return client.New("t", client.WithBaseURL("localhost:4010")) },
		"zero timeout":      func() (*client.Client, error) { return client.New("t", client.WithTimeout(0)) },
		"nil HTTP client":   func() (*client.Client, error) { return client.New("t", client.WithHTTPClient(nil)) },
		"negative retries": func() (*client.Client, error) {
			return client.New("t", client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: -1}))
		},
	} {
		if _, err := build(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The partner access token must not reach an error, a log line or any
// printing of the client, on any path.
func TestTokenNeverLeaks(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Tokens = []string{"another"} })
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, ts.URL, fast, client.WithLogger(logger))

	var errs []error
	_, err := c.CreateToken(context.Background(), seedRequests[0].req) // 401
	errs = append(errs, err)
	ts.QueueFault(mockserver.Fault{Status: 429, Times: 5})
	_, err = newClient(t, ts.URL, fast, client.WithLogger(logger)).CreateToken(context.Background(), seedRequests[0].req)
	errs = append(errs, err)
	_, err = newClient(t, "http://127.0.0.1:1", fast, client.WithLogger(logger)).CreateToken(context.Background(), seedRequests[0].req)
	errs = append(errs, err)
	_, err = client.New(partnerToken, client.WithBaseURL("nope"))
	errs = append(errs, err)

	// A copy of the client, printed without its methods (fmt reads the
	// fields of a struct value by reflection), and the client inside a
	// struct of the caller's.
	holder := struct{ C client.Client }{*c}
	printed := []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c),
		fmt.Sprintf("%v %+v %#v", *c, *c, *c), fmt.Sprintf("%v %+v %#v", holder, holder, holder)}
	for _, e := range errs {
		if e == nil {
			t.Fatal("an expected error did not happen")
		}
		printed = append(printed, e.Error(), fmt.Sprintf("%+v %#v", e, e))
	}
	printed = append(printed, logs.String())
	for _, p := range printed {
		if strings.Contains(p, partnerToken) {
			t.Errorf("the token leaked: %s", p)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("no retry was logged, so the log check proved nothing:\n%s", logs.String())
	}
}

// TestConcurrentCreateToken shares one client across goroutines; run with -race.
func TestConcurrentCreateToken(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	// Enough attempts that no request fails, however the 10 faults fall
	// among the goroutines (three attempts let one request meet three).
	c := newClient(t, ts.URL, client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 11, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	ts.QueueFault(mockserver.Fault{Status: 429, Times: 10})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]bool{}
	for range 8 {
		wg.Go(func() {
			for range 20 {
				tok, err := c.CreateToken(context.Background(), seedRequests[1].req)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[tok.Value] {
					t.Errorf("token %s twice", tok.Value)
				}
				seen[tok.Value] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 160 {
		t.Errorf("%d tokens, want 160", len(seen))
	}
}

// BenchmarkCreateToken is the client's whole call against an in-process mock
// over loopback HTTP.
func BenchmarkCreateToken(b *testing.B) {
	ts := mockserver.NewTestServer(b)
	c, err := client.New(partnerToken, client.WithBaseURL(ts.URL))
	if err != nil {
		b.Fatal(err)
	}
	req := seedRequests[2].req
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateToken(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// The retries a partner relies on in an outage, against the mock's gateway
// faults rather than a hand-made server: one 502, 503 or 504 is retried to a
// token; as many as the attempts end in an *APIError with the status.
func TestRetriesAgainstGatewayFaults(t *testing.T) {
	for _, status := range []int{502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			ts := mockserver.NewTestServer(t)
			if err := ts.QueueFault(mockserver.Fault{Status: status}); err != nil {
				t.Fatal(err)
			}
			tok, err := newClient(t, ts.URL, fast).CreateToken(context.Background(), seedRequests[0].req)
			if err != nil || tok.Value == "" {
				t.Fatalf("after one %d: %v, want a token", status, err)
			}
			if got := ts.Requests(mockserver.Filter{}); len(got) != 2 || got[1].Status != status || got[0].Status != 200 {
				t.Errorf("journal %+v, want the %d then the 200", got, status)
			}

			// Through the admin API, as a service in docker-compose would.
			a := fmt.Sprintf(`{"status":%d,"times":3}`, status)
			resp, err := http.Post(ts.URL+"/__mock/faults", "application/json", strings.NewReader(a))
			if err != nil || resp.StatusCode != 201 {
				t.Fatalf("queue %s: %v %v", a, resp, err)
			}
			resp.Body.Close()
			_, err = newClient(t, ts.URL, fast).CreateToken(context.Background(), seedRequests[0].req)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
				t.Fatalf("after three %ds: %v, want an *APIError with the status", status, err)
			}
			if n := len(ts.Faults()); n != 0 {
				t.Errorf("%d faults left: the client made fewer than 3 attempts", n)
			}
		})
	}
}

// The User-Agent names the client and the module version it was built with,
// then the caller's suffix.
func TestUserAgent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":"ok","data":{"token":"0c371a1c-aa81-11ef-b28c-0a58a9feac02"}}`)
	}))
	defer srv.Close()
	if _, err := newClient(t, srv.URL, client.WithUserAgent("checkout/2.1")).CreateToken(context.Background(), seedRequests[0].req); err != nil {
		t.Fatal(err)
	}
	ua := <-got
	if want := client.UserAgent() + " checkout/2.1"; ua != want {
		t.Errorf("User-Agent %q, want %q", ua, want)
	}
	// A test binary records no version: "devel".
	if v := client.UserAgent(); v != "benji-go/devel" && !strings.HasPrefix(v, "benji-go/v") {
		t.Errorf("UserAgent() = %q, want benji-go/ and a version Go recorded, or devel", v)
	}
}

// An answer cut by a connection reset: a 200 whose token never arrived is
// retried like a lost answer; a 400 is not retried, and its status is kept.
func TestAnswersCutByAReset(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	if err := ts.QueueFault(mockserver.Fault{Status: 200, Reset: true}); err != nil {
		t.Fatal(err)
	}
	tok, err := newClient(t, ts.URL, fast).CreateToken(context.Background(), seedRequests[0].req)
	if err != nil || tok.Attempts != 2 {
		t.Fatalf("after a cut 200: %v (attempts %v), want a token on the second attempt", err, tok)
	}

	ts.ResetRequests()
	if err := ts.QueueFault(mockserver.Fault{Example: "invalidRequest", Reset: true}); err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, ts.URL, fast).CreateToken(context.Background(), seedRequests[0].req)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.RequestID == "" || !strings.Contains(apiErr.Message, "cut") {
		t.Fatalf("after a cut 400: %v, want an *APIError 400 with its request id saying it was cut", err)
	}
	// The mock journals a reset answer after the client has seen the reset:
	// wait for the entry, then count.
	cut400s := func() int { return len(ts.Requests(mockserver.Filter{Status: 400})) }
	for deadline := time.Now().Add(10 * time.Second); cut400s() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := cut400s(); n != 1 || apiErr.Attempts != 1 {
		t.Errorf("%d requests journaled and %d attempts for a cut 400, want 1 and 1: a 400 is not retried", n, apiErr.Attempts)
	}
}
