package client

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"3", 3 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Thu, 26 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Thu, 26 Nov 2026 11:59:00 GMT", 0, true}, // a date past: retry now
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestBackoffStaysWithinItsBounds(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 40: time.Second} {
		var top time.Duration
		for range 2000 {
			d := p.backoff(attempt, 0)
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: backoff %s outside [0, %s]", attempt, d, ceiling)
			}
			top = max(top, d)
		}
		if top < ceiling/2 {
			t.Errorf("attempt %d: 2000 draws never passed %s of a %s ceiling: no full jitter", attempt, top, ceiling)
		}
	}
	if d := p.backoff(1, 3*time.Second); d != time.Second {
		t.Errorf("Retry-After 3s with a 1s cap waited %s", d)
	}
	if d := p.backoff(1, 300*time.Millisecond); d != 300*time.Millisecond {
		t.Errorf("Retry-After 300ms waited %s", d)
	}
}

// roundTripper answers from a function, in memory, so that fake time
// (testing/synctest) governs the waits between attempts.
type roundTripper func(*http.Request) *http.Response

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r), nil }

func answer(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func TestRetryAfterIsHonouredExactly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Time
		rt := roundTripper(func(r *http.Request) *http.Response {
			at = append(at, time.Now())
			if len(at) < 3 {
				return answer(429, http.Header{"Retry-After": {"2"}}, `{"code":"rate_limited","message":"slow down"}`)
			}
			return answer(200, nil, `{"code":"ok","data":{"token":"0c371a1c-aa81-11ef-b28c-0a58a9feac02"}}`)
		})
		c, err := New("t", WithBaseURL("http://benji.test"), WithTransport(rt))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.CreateToken(context.Background(), Request{Mode: Connect, DisplayName: "x"})
		if err != nil || tok.Attempts != 3 {
			t.Fatalf("token %+v err %v", tok, err)
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap != 2*time.Second {
				t.Errorf("wait before attempt %d = %s, want Retry-After's 2s", i+1, gap)
			}
		}
	})
}

func TestBackoffGrowsAndRespectsMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Time
		rt := roundTripper(func(r *http.Request) *http.Response {
			at = append(at, time.Now())
			return answer(503, nil, "")
		})
		p := RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Minute}
		c, _ := New("t", WithBaseURL("http://benji.test"), WithTransport(rt), WithRetryPolicy(p))
		_, err := c.CreateToken(context.Background(), Request{Mode: Connect, DisplayName: "x"})
		if err == nil || len(at) != 5 {
			t.Fatalf("%d attempts, err %v; want 5 and a 503", len(at), err)
		}
		for i := 1; i < len(at); i++ {
			if gap, ceiling := at[i].Sub(at[i-1]), time.Second<<(i-1); gap > ceiling {
				t.Errorf("wait before attempt %d = %s, above its %s ceiling", i+1, gap, ceiling)
			}
		}
	})
}
