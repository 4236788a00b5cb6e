package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// An attempt with no WithTimeout ends after DefaultTimeout, measured in fake
// time against a server that never answers.
func TestDefaultTimeoutBoundsEachAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := roundTripperErr(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		c, err := New("t", WithBaseURL("http://benji.test"), WithTransport(rt), WithoutRetries())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = c.CreateToken(context.Background(), Request{Mode: Connect, DisplayName: "x"})
		if took := time.Since(start); took != DefaultTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the attempt ended after %s with %v, want DefaultTimeout (%s) and a deadline error", took, err, DefaultTimeout)
		}
	})
}

// No more than maxResponseBytes of an answer is read: a 200 whose token
// comes after that bound holds no token, and is not retried.
func TestAnswersAreReadUpToTheBound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		padding int
		wantErr bool
	}{
		{"a padded answer under the bound", maxResponseBytes - 100, false},
		{"a padded answer over the bound", maxResponseBytes, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"pad":"` + strings.Repeat("x", tc.padding) + `","code":"ok","data":{"token":"tok_live_42"}}`
			calls := 0
			rt := roundTripperErr(func(r *http.Request) (*http.Response, error) {
				calls++
				return answer(200, nil, body), nil
			})
			c, _ := New("t", WithBaseURL("http://benji.test"), WithTransport(rt))
			tok, err := c.CreateToken(context.Background(), Request{Mode: Connect, DisplayName: "x"})
			var apiErr *APIError
			switch {
			case tc.wantErr && (!errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "holds no token") || calls != 1):
				t.Errorf("%d-byte answer: err %.200v after %d calls, want one 200 that holds no token", len(body), err, calls)
			case !tc.wantErr && (err != nil || tok.Value != "tok_live_42"):
				t.Errorf("%d-byte answer: err %.200v, want the token", len(body), err)
			}
			if err != nil && len(err.Error()) > 1000 {
				t.Errorf("the error quotes %d bytes of the answer", len(err.Error()))
			}
		})
	}
}

// roundTripperErr answers from a function that may fail, in memory.
type roundTripperErr func(*http.Request) (*http.Response, error)

func (f roundTripperErr) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// An error quotes at most maxQuote bytes of a body or a Location, cut at a
// rune's start; the Location field keeps the whole address.
func TestErrorsQuoteAnswersShort(t *testing.T) {
	long := "https://elsewhere.test/" + strings.Repeat("a", 5000)
	html := "<p>" + strings.Repeat("é", 3000) + "</p>" // byte 200 falls inside an é
	for _, tc := range []struct {
		name   string
		answer *http.Response
	}{
		{"a redirect to a long address", answer(307, http.Header{"Location": {long}}, "")},
		{"a long HTML page", answer(502, http.Header{"Content-Type": {"text/html"}}, html)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := roundTripperErr(func(r *http.Request) (*http.Response, error) {
				if r.URL.Host != "benji.test" {
					return nil, errors.New("the client followed the redirect")
				}
				tc.answer.Request = r
				return tc.answer, nil
			})
			c, _ := New("t", WithBaseURL("http://benji.test"), WithTransport(rt), WithoutRetries())
			_, err := c.CreateToken(context.Background(), Request{Mode: Connect, DisplayName: "x"})
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %.200v, want an *APIError", err)
			}
			if n := len(err.Error()); n > maxQuote+300 {
				t.Errorf("the error is %d bytes long, want at most the %d-byte quote and some words", n, maxQuote)
			}
			if !strings.Contains(err.Error(), "…") || strings.Contains(err.Error(), `\x`) {
				t.Errorf("error %.400q: want a quote cut at a rune's start and marked …", err)
			}
			if tc.answer.StatusCode == 307 && apiErr.Location != long {
				t.Errorf("Location holds %d bytes, want the whole %d", len(apiErr.Location), len(long))
			}
		})
	}
}
