package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/benjiconnect/benji/client"
)

// elsewhere is a server on another port of the same host that answers like
// the API and records every request that reaches it, with its
// Authorization: the place a redirect must never lead the partner token.
type elsewhere struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newElsewhere(t *testing.T) *elsewhere {
	t.Helper()
	e := &elsewhere{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.auth = append(e.auth, r.Header.Get("Authorization"))
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"code":"ok","data":{"token":"0c371a1c-aa81-11ef-b28c-0a58a9feac02"}}`)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *elsewhere) received() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.auth...)
}

// redirecting is an API that answers a request to the API's path with
// status and a Location on target (any other path with a 418, so that a
// client that follows does not loop), and counts the requests.
func redirecting(t *testing.T, status int, target string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/verify/token/create" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set(client.RequestIDHeader, "req-redirect-1")
		http.Redirect(w, r, target, status)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// The client follows no redirect: a 3xx from the API is an *APIError with
// the status, the request id and where it pointed, sent once, and the
// partner token never reaches the other port, whichever HTTP client the
// caller supplied. The caller's *http.Client is left as it was given.
func TestRedirectsAreNotFollowed(t *testing.T) {
	followAll := func(*http.Request, []*http.Request) error { return nil }
	setups := []struct {
		name string
		// option builds the client's HTTP option and returns a check that
		// the caller's value was not changed ("" when it was not).
		option func() (client.Option, func() string)
	}{
		{"default HTTP client", func() (client.Option, func() string) {
			return func(*client.Client) error { return nil }, func() string { return "" }
		}},
		{"WithHTTPClient, no CheckRedirect", func() (client.Option, func() string) {
			hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			return client.WithHTTPClient(hc), func() string {
				if hc.CheckRedirect != nil {
					return "the caller's http.Client got a CheckRedirect"
				}
				return ""
			}
		}},
		{"WithHTTPClient whose CheckRedirect follows everything", func() (client.Option, func() string) {
			var asked atomic.Int32
			hc := &http.Client{CheckRedirect: func(r *http.Request, via []*http.Request) error {
				asked.Add(1)
				return followAll(r, via)
			}}
			return client.WithHTTPClient(hc), func() string {
				if hc.CheckRedirect == nil {
					return "the caller's CheckRedirect was removed"
				}
				if n := asked.Load(); n != 0 {
					return fmt.Sprintf("the caller's CheckRedirect was asked %d times", n)
				}
				return ""
			}
		}},
		{"WithTransport", func() (client.Option, func() string) {
			return client.WithTransport(http.DefaultTransport.(*http.Transport).Clone()), func() string { return "" }
		}},
	}
	for _, setup := range setups {
		for _, status := range []int{301, 302, 303, 307, 308} {
			t.Run(fmt.Sprintf("%s/%d", setup.name, status), func(t *testing.T) {
				other := newElsewhere(t)
				target := other.URL + "/verify/token/create"
				api, calls := redirecting(t, status, target)
				opt, unchanged := setup.option()
				c := newClient(t, api.URL, opt) // the default retry policy: 3 attempts

				tok, err := c.CreateToken(context.Background(), seedRequests[0].req)

				if got := other.received(); len(got) != 0 {
					leaked := false
					for _, a := range got {
						leaked = leaked || strings.Contains(a, partnerToken)
					}
					t.Errorf("the other port received %d requests (partner token among them: %v)", len(got), leaked)
				}
				var apiErr *client.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("err = %.200v (%T), token %+v; want an *APIError", err, err, tok)
				}
				if apiErr.StatusCode != status || apiErr.Attempts != 1 || apiErr.RequestID != "req-redirect-1" {
					t.Errorf("APIError status %d, attempts %d, request id %q; want %d, 1, req-redirect-1",
						apiErr.StatusCode, apiErr.Attempts, apiErr.RequestID, status)
				}
				if apiErr.Location != target {
					t.Errorf("Location = %.200q, want %q", apiErr.Location, target)
				}
				if !strings.Contains(err.Error(), target) {
					t.Errorf("error %.300q does not name where the redirect pointed", err)
				}
				if strings.Contains(err.Error(), partnerToken) {
					t.Errorf("the error holds the partner token")
				}
				if n := calls.Load(); n != 1 {
					t.Errorf("the API received %d requests, want 1: a redirect is not retried", n)
				}
				if msg := unchanged(); msg != "" {
					t.Error(msg)
				}
			})
		}
	}
}

// A relative Location is reported resolved against the request's URL.
func TestRedirectLocationIsResolved(t *testing.T) {
	api, _ := redirecting(t, http.StatusTemporaryRedirect, "/v2/verify/token/create")
	_, err := newClient(t, api.URL).CreateToken(context.Background(), seedRequests[0].req)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Location != api.URL+"/v2/verify/token/create" {
		t.Fatalf("err = %.300v, want an *APIError whose Location is %s/v2/verify/token/create", err, api.URL)
	}
}

// An HTTP client shared with the rest of a service still follows redirects
// there: the client works on a copy.
func TestCallersHTTPClientStillFollowsRedirects(t *testing.T) {
	other := newElsewhere(t)
	api, _ := redirecting(t, http.StatusFound, other.URL+"/")
	hc := &http.Client{}
	newClient(t, api.URL, client.WithHTTPClient(hc))
	resp, err := hc.Get(api.URL + "/verify/token/create")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(other.received()) != 1 {
		t.Errorf("the caller's own client got %d and reached the target %d times, want 200 and 1", resp.StatusCode, len(other.received()))
	}
}
